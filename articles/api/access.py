"""Who may do what through the API: anonymous throttling and the editors' write permission.

Referenced from settings (REST_FRAMEWORK), so this module must not import DRF's views.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import permissions, throttling


class AnonymousRateThrottle(throttling.AnonRateThrottle):
    """Anonymous clients: NEWSROOM_API_ANON_RATE requests (e.g. "120/min"); none when empty.

    Reads the setting per request (DRF's class reads its rates once), so deployments and
    tests can change it."""

    def get_rate(self):
        # DRF makes a throttle per request and lets every request through when this is None.
        return settings.NEWSROOM_API_ANON_RATE or None


class EditorsMayPatch(permissions.BasePermission):
    """Reading is open; changing needs the `articles.change_article` permission."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(
            request.user
            and request.user.is_authenticated
            and request.user.has_perm("articles.change_article")
        )

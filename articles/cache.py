"""Whole-page caching of the public site, invalidated by a content version.

Every cached page's key holds the current content version; any write to articles, topics
or providers bumps the version, so the next request renders afresh and stale pages simply
age out. The version lives in the "shared" cache (Redis, or a database table without Redis)
because every process must see it: app servers, and the importer's command.
"""

from functools import wraps
from uuid import uuid4

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

VERSION_KEY = "newsroom:content-version"


def content_version() -> str:
    shared = caches["shared"]
    version = shared.get(VERSION_KEY)
    if version is None:
        shared.add(VERSION_KEY, uuid4().hex, timeout=None)
        version = shared.get(VERSION_KEY)
    return version


def content_changed() -> None:
    """Call after a write the public can see; takes effect when the transaction commits."""
    transaction.on_commit(_bump)


def _bump() -> None:
    # A fresh random version rather than an increment: two writers bumping at once cannot
    # both land on one number (the database cache's incr is a read then a write), so a
    # page rendered before either write is never stored under the final version.
    caches["shared"].set(VERSION_KEY, uuid4().hex, timeout=None)


def connect_signals() -> None:
    """Saving or deleting content through the ORM invalidates cached pages.

    Writes that bypass save() (queryset.update(), the importer's bulk inserts) call
    content_changed() themselves.
    """
    from django.db.models.signals import post_delete, post_save

    from .models import Article, Provider, Topic

    for model in (Article, Provider, Topic):
        post_save.connect(_on_write, sender=model, dispatch_uid=f"cache-{model.__name__}-save")
        post_delete.connect(_on_write, sender=model, dispatch_uid=f"cache-{model.__name__}-del")


def _on_write(**kwargs) -> None:
    content_changed()


def cached_page(view):
    """Cache a public view's successful responses for anonymous GET requests."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        # Signed-in users (editors) see previews and their own state: never cached.
        if (
            request.method not in ("GET", "HEAD")
            or request.user.is_authenticated
            or settings.NEWSROOM_PAGE_CACHE_SECONDS <= 0  # caching switched off
        ):
            return view(request, *args, **kwargs)
        # The host is part of the key: pages and feeds carry absolute URLs built from it.
        key = f"newsroom:page:{content_version()}:{request.get_host()}{request.get_full_path()}"
        pages = caches["default"]
        response = pages.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()
            if response.status_code == 200:
                pages.set(key, response, settings.NEWSROOM_PAGE_CACHE_SECONDS)
        return response

    return wrapper

"""The site's security hooks that its settings name.

- ContentSecurityPolicyMiddleware: the Content-Security-Policy header (NEWSROOM_CSP);
- client_address and locked_out: django-axes' client address and its lock-out page
  (settings AXES_CLIENT_IP_CALLABLE and AXES_LOCKOUT_CALLABLE).
"""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import render
from rest_framework.throttling import BaseThrottle

CSP_HEADER = "Content-Security-Policy"


def policy_header(directives: dict[str, list[str]]) -> str:
    """A policy as its header value: `name source source; name ...` (in the given order)."""
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


def fallback(name: str) -> str | None:
    """The directive a browser reads in place of `name` when a policy lacks it."""
    if name.endswith(("-src-elem", "-src-attr")):
        return name.rsplit("-", 1)[0]  # script-src-attr: script-src
    if name.endswith("-src") and name != "default-src":
        return "default-src"
    return None  # form-action, base-uri, frame-ancestors...: no fallback


def extended_policy(base: dict[str, list[str]], extra: dict[str, list[str]]) -> dict:
    """The base policy with the extra sources added to their directives.

    A directive the base lacks starts from what the browser would read in its place
    (style-src-attr from style-src, img-src from default-src...): adding a source to it
    must not take away what was allowed there."""
    policy = {name: list(sources) for name, sources in base.items()}
    for name, sources in extra.items():
        if name not in policy:
            inherited = name
            while inherited is not None and inherited not in base:
                inherited = fallback(inherited)
            policy[name] = list(base.get(inherited, [])) if inherited else []
        policy[name] += [source for source in sources if source not in policy[name]]
    return policy


class ContentSecurityPolicyMiddleware:
    """Sets NEWSROOM_CSP as the Content-Security-Policy of every response, with the
    additions NEWSROOM_CSP_PATHS makes for a path prefix (pages a library writes, DRF's).

    The policy never changes with the request, so each header is joined once here: pages
    are cached whole (articles/cache.py) and base.html is rendered once per process
    (articles/frame.py), which rules out a per-request nonce anyway. A response that set
    its own header keeps it. With debug on, Django's technical 404 and 500 pages, which
    are made of inline styles and scripts, go without one (django-csp does the same).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = policy_header(settings.NEWSROOM_CSP)
        self.by_prefix = [
            (prefix, policy_header(extended_policy(settings.NEWSROOM_CSP, extra)))
            for prefix, extra in settings.NEWSROOM_CSP_PATHS.items()
        ]
        self.debug = settings.DEBUG

    def __call__(self, request):
        response = self.get_response(request)
        if CSP_HEADER in response:
            return response
        if self.debug and response.status_code in (404, 500):
            return response
        header = self.header
        for prefix, extended in self.by_prefix:
            if request.path_info.startswith(prefix):
                header = extended
                break
        response.headers[CSP_HEADER] = header
        return response


def client_address(request) -> str | None:
    """The client's address for the sign-in rate limit: the API throttle's rule.

    With NEWSROOM_NUM_PROXIES=0, the connection's own address (REMOTE_ADDR), whatever
    X-Forwarded-For a client sends; with N proxies, the address the outermost of them
    appended to X-Forwarded-For, the one entry a client cannot write itself."""
    return BaseThrottle().get_ident(request)


def locked_out(request, response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a sign-in it refused: 429, when to try again, and how."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {
        **admin.site.each_context(request),
        "title": "Too many failed sign-in attempts",
        "minutes": minutes,
    }
    locked = render(request, "admin/locked_out.html", context, status=HTTPStatus.TOO_MANY_REQUESTS)
    locked["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return locked

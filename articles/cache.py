"""Whole-page caching of the public site, invalidated by a content version.

Any write to articles, topics or providers replaces the content version, a random token in
the "shared" cache (Redis, or a database table without Redis) that every process sees: app
servers and the importer's command alike. Each cached page is stored beside the version it
was rendered under and served only while that is still the current version, so a page is
never served from before a change once the change has committed.

How a page gets cached:
- a view opts in with `cached_page` (a decorator that also works through
  `method_decorator(cached_page, name="dispatch")` on class-based views, DRF's included);
- `PageCacheMiddleware`, first in MIDDLEWARE, stores the finished response (every other
  middleware's headers included) and answers later requests for the same page before the
  rest of the stack runs: one cache round trip (version and page together) when pages and
  version share a store, as with Redis;
- `serve_cached_pages` wraps the WSGI application (newsroom/wsgi.py) and answers those
  requests before Django builds a request at all: a hit then costs about a third less.

A page's key is made of the raw request values Django builds the page's scheme, host and
URLs from (see `page_key`), and of a fingerprint of the settings that decide which of them
Django accepts. A page is only ever stored after Django accepted those values (its host
check, its HTTPS redirect), so a request with the same values is one Django would accept.

Only anonymous requests are served or stored: no session cookie and no Authorization
header. An opted-in view promises that its response depends on nothing else of the request
but the method, scheme, host, path, query string and the headers in KEY_HEADERS; a response
that varies on any other header, sets a cookie, or says it is private is not stored.
"""

from __future__ import annotations

import hashlib
import logging
from functools import wraps
from http import HTTPStatus
from uuid import uuid4

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends import redis
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import cc_delim_re, get_conditional_response
from django.utils.http import parse_http_date_safe

logger = logging.getLogger(__name__)

VERSION_KEY = "newsroom:content-version"
PAGE_KEY = "newsroom:page:"
PAGES = "default"  # the cache alias pages are kept in; the version lives in "shared"
# Request headers a cached page may vary on, as `Vary` names them and as META keys: each one's
# value is part of a page's key (DRF's browsable API varies on Accept, CORS on Origin).
KEY_HEADERS = {
    "accept": "HTTP_ACCEPT",
    "accept-encoding": "HTTP_ACCEPT_ENCODING",
    "origin": "HTTP_ORIGIN",
}
# Cookie is in Vary wherever the session was looked at; by serving only requests without a
# session cookie, and storing no response that sets a cookie, the cache honours it.
IGNORED_VARY = {"cookie"}
# Set on the request by `cached_page`: the view's response may be stored.
OPT_IN = "newsroom_page_cache"


def content_version() -> str:
    shared = caches["shared"]
    version = shared.get(VERSION_KEY)
    if version is None:
        version = _create_version()
    return version


def _create_version() -> str:
    shared = caches["shared"]
    shared.add(VERSION_KEY, uuid4().hex, timeout=None)
    return shared.get(VERSION_KEY)


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
    """Let PageCacheMiddleware keep this view's responses to anonymous GET requests."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        # DRF's Request wraps Django's: the middleware sees only the latter.
        setattr(getattr(request, "_request", request), OPT_IN, True)
        return view(request, *args, **kwargs)

    return wrapper


class RedisCache(redis.RedisCache):
    """Django's Redis cache, with one Redis client per connection pool instead of one per call.

    Django builds a new redis.Redis for every cache call, and redis-py fills some 170 response
    callbacks into each: a third of the time a cached page took to serve (profiled). A client
    is thread-safe and its pool forgets its connections in a forked child, so one will do.
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedRedisClient


class ReusedRedisClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class PageCacheMiddleware:
    """Serve and store the pages of `cached_page` views for anonymous readers.

    Place it first: it stores responses as the client gets them (SecurityMiddleware's
    headers included) and answers before the rest of the stack. SecurityMiddleware's HTTPS
    redirect still holds, since the scheme is in the key and a page is only stored after
    Django served it with a 200.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _eligible(request.META):
            return self.get_response(request)
        key, version, entry = _find(request.META)
        if entry is not None:
            return _hit(request, entry)
        response = self.get_response(request)
        if request.method == "GET" and _storable(request, response):
            _store(key, version, response)
        return response


def _eligible(meta) -> bool:
    """May this request (its WSGI environ, or request.META) be answered from the cache?"""
    return (
        meta.get("REQUEST_METHOD") in ("GET", "HEAD")
        and settings.NEWSROOM_PAGE_CACHE_SECONDS > 0  # 0 switches page caching off
        and "HTTP_AUTHORIZATION" not in meta
        # Any cookie of that name, even one that only looks like it: then Django decides.
        and settings.SESSION_COOKIE_NAME not in meta.get("HTTP_COOKIE", "")
    )


# Where a lookup's result is kept on the request, so that a miss in the WSGI wrapper is
# not looked up again by the middleware.
FOUND = "newsroom.page_cache"


def _find(meta) -> tuple[str, str, tuple | None]:
    """The page's key, the current version, and the page stored under that version."""
    found = meta.get(FOUND)
    if found is None:
        key = page_key(meta)
        version, entry = _lookup(key)
        current = entry if entry is not None and entry[0] == version else None
        found = meta[FOUND] = (key, version, current)
    return found


# What Django builds a page's scheme, host and URLs from, besides KEY_HEADERS: each value
# is part of the key, so that two requests share a page only if Django would see them alike.
REQUEST_VALUES = (
    "wsgi.url_scheme",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
)


def page_key(environ) -> str:
    """The key of the page for a request (its WSGI environ, or request.META)."""
    parts = [_settings_fingerprint()]
    parts += [str(environ.get(name, "")) for name in REQUEST_VALUES]
    if settings.SECURE_PROXY_SSL_HEADER:  # the header that says the client used HTTPS
        parts.append(environ.get(settings.SECURE_PROXY_SSL_HEADER[0], ""))
    parts += [environ.get(name, "") for name in KEY_HEADERS.values()]
    return PAGE_KEY + hashlib.md5("\n".join(parts).encode(), usedforsecurity=False).hexdigest()


def _settings_fingerprint() -> str:
    # A new deployment that no longer accepts a host (or now redirects to HTTPS) must not
    # be answered from pages the old one stored.
    return repr(
        (
            settings.ALLOWED_HOSTS,
            settings.USE_X_FORWARDED_HOST,
            settings.USE_X_FORWARDED_PORT,
            settings.SECURE_PROXY_SSL_HEADER,
            settings.SECURE_SSL_REDIRECT,
            settings.SECURE_SSL_HOST,
        )
    )


def _lookup(key: str) -> tuple[str | None, tuple | None]:
    """The current content version and the stored page (or None), in one round trip when
    pages and version share a store."""
    pages = caches[PAGES]
    if settings.CACHES[PAGES] == settings.CACHES["shared"]:
        found = pages.get_many([VERSION_KEY, key])
        version, entry = found.get(VERSION_KEY), found.get(key)
    else:
        version, entry = caches["shared"].get(VERSION_KEY), pages.get(key)
    if version is None:
        version, entry = _create_version(), None
    return version, entry


def _storable(request, response) -> bool:
    if (
        not getattr(request, OPT_IN, False)
        or response.status_code != 200
        or response.streaming
        or response.cookies  # a session or CSRF cookie is one reader's, never everyone's
    ):
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:  # signed in by some other means
        return False
    cache_control = response.get("Cache-Control", "").lower()
    if any(word in cache_control for word in ("private", "no-store", "no-cache")):
        return False
    vary = {v.strip().lower() for v in cc_delim_re.split(response.get("Vary", "")) if v.strip()}
    return vary <= KEY_HEADERS.keys() | IGNORED_VARY


def _store(key: str, version: str, response) -> None:
    # Plain values rather than the pickled response: smaller, faster to load, and no
    # attribute of the request or of the view's context can travel with it.
    entry = (version, response.status_code, list(response.items()), response.content)
    caches[PAGES].set(key, entry, settings.NEWSROOM_PAGE_CACHE_SECONDS)


def _hit(request, entry: tuple) -> HttpResponse:
    _version, status, headers, content = entry
    response = HttpResponse(content, status=status, headers=headers)
    if request.method != "GET":
        return response
    # ConditionalGetMiddleware sits below us and so never sees a hit: answer 304s here.
    last_modified = response.get("Last-Modified")
    return get_conditional_response(
        request,
        etag=response.get("ETag"),
        last_modified=parse_http_date_safe(last_modified) if last_modified else None,
        response=response,
    )


def serve_cached_pages(application):
    """Wrap a WSGI application: answer requests for cached pages before Django runs.

    The same rules as PageCacheMiddleware (which stores the pages and answers them too
    when the application is not wrapped, as under runserver), without building a Django
    request or passing through its handler: a hit costs a third less (measured).
    """

    def app(environ, start_response):
        entry = None
        if _eligible(environ):
            try:
                entry = _find(environ)[2]
            except Exception:  # the cache is unreachable: Django answers, and reports it
                logger.exception("Page cache lookup failed; passing the request to Django")
        if entry is None:
            return application(environ, start_response)
        _version, status, headers, content = entry
        if any(name in environ for name in CONDITIONAL_HEADERS):
            response = _hit(_EnvironRequest(environ), entry)  # 304s, as Django answers them
            status, headers, content = response.status_code, response.items(), response.content
        start_response(f"{status} {HTTPStatus(status).phrase}", list(headers))
        return [b"" if environ["REQUEST_METHOD"] == "HEAD" else content]

    return app


CONDITIONAL_HEADERS = (
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
)


class _EnvironRequest:
    """What get_conditional_response() reads of a request, from a WSGI environ."""

    def __init__(self, environ):
        self.META = environ
        self.method = environ["REQUEST_METHOD"]

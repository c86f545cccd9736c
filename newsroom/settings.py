"""Settings for Newsroom, read from the environment (12-factor).

Development defaults are safe to run as they are: debug on, an embedded SQLite database
under var/, a local-memory cache. Production sets DJANGO_DEBUG=0 and must then give a
DJANGO_SECRET_KEY; see .env.example and the README.
"""

import base64
import hashlib
import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: use 1/0, true/false, yes/no or on/off.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: use a whole number.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off: set it to a long random "
            "string, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")


def env_proxy_ssl_header(name: str) -> tuple[str, str] | None:
    """The request header by which a TLS-terminating proxy says the client used HTTPS, as
    SECURE_PROXY_SSL_HEADER wants it: ("HTTP_X_FORWARDED_PROTO", "https"). Either spelling
    of the header is accepted (X-Forwarded-Proto or HTTP_X_FORWARDED_PROTO)."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    if not re.fullmatch(r"[A-Za-z0-9_-]+", value):
        raise ImproperlyConfigured(
            f"{name}={value!r}: give the header's name, e.g. HTTP_X_FORWARDED_PROTO."
        )
    meta = value.upper().replace("-", "_")
    if not meta.startswith("HTTP_"):
        meta = "HTTP_" + meta
    return (meta, "https")


# HTTPS. Development and the tests serve plain HTTP on 127.0.0.1 (debug on: all of this off);
# production answers over HTTPS only, normally behind a proxy that terminates TLS.
# Only trust the proxy's header when the proxy sets it on every request and strips a
# client's own: otherwise any client could claim HTTPS. Without it, behind such a proxy,
# every request looks like plain HTTP and the redirect below would loop.
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header("DJANGO_SECURE_PROXY_SSL_HEADER")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# A load balancer checks app servers over plain HTTP: /healthz must answer it, not redirect.
# (Patterns are matched against the path without its leading slash.)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Browsers remember to use HTTPS only (a year, Django's deploy check's recommendation).
# includeSubDomains and preload are on with it; a domain whose subdomains are not all HTTPS
# yet, or that is not meant for browsers' built-in preload lists, switches them off.
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
# Session and CSRF cookies only travel over HTTPS in production (debug serves plain HTTP).
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# Headers on every response, debug or not (SecurityMiddleware, XFrameOptionsMiddleware).
SECURE_CONTENT_TYPE_NOSNIFF = True  # no guessing a script out of a text file
# Publishers see that readers came from us (our origin), never which page or search did.
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # no page of ours is ever framed (CSP frame-ancestors says it too)

# Content-Security-Policy of every response (newsroom/security.py). No 'unsafe-inline'
# and no 'unsafe-eval': our pages' scripts and styles are files under /static/ only, so an
# injected <script> or style="" would not run. JSON-LD (<script type="application/ld+json">)
# is data the browser never executes, which script-src does not govern. Article images come
# from the publishers' hosts, hence img-src https: (data: for the small inline SVG icons of
# the admin's and Swagger UI's stylesheets).
NEWSROOM_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "https:", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


def csp_hash(text: str) -> str:
    """A CSP source allowing exactly this inline text (a style attribute's value)."""
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return f"'sha256-{digest}'"


# Sources a path (by prefix) adds to the policy above, for pages whose markup is a
# library's; the first prefix that matches wins. The admin needs nothing (Django 5.2's is
# clean), nor do the API docs (templates/drf_spectacular/). DRF's browsable API writes one
# style attribute, on its Filters button: that exact declaration is allowed there, by its
# hash ('unsafe-hashes' is what lets a hash match an attribute; no other value can match).
NEWSROOM_CSP_PATHS = {
    "/api/": {"style-src-attr": ["'unsafe-hashes'", csp_hash("float: right; margin-right: 10px")]},
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",  # the sitemap.xml and sitemap_index.xml templates
    "rest_framework",
    "rest_framework.authtoken",  # API tokens for editors' tools
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from our own static files
    "corsheaders",
    "axes",  # failed sign-ins, and lock-outs (AccessAttempt, in the admin for superusers)
    "articles",
]

MIDDLEWARE = [
    # Anonymous readers' cached pages, stored as they leave (every header below included)
    # and served before the rest of the stack. See articles/cache.py.
    "articles.cache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "newsroom.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before anything that may answer: CORS headers go on every API response, errors too.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    # ETag / Last-Modified answers: 304 Not Modified to a client that has the page already.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Django's, building the message storage only when a message is added or read.
    "newsroom.middleware.LazyMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last (django-axes): turns a sign-in refused for too many failures into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL, else an embedded SQLite file tuned for a web app.
SQLITE_OPTIONS = {
    # IMMEDIATE takes the write lock when a transaction starts, so two writers queue on the
    # busy timeout instead of one failing with "database is locked" when it tries to upgrade.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,  # seconds to wait for a lock (SQLite's busy timeout)
    # WAL lets readers go on while one writer writes; NORMAL sync is safe with WAL.
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA foreign_keys=ON;"
        "PRAGMA cache_size=-20000;"
    ),
}
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    # (for SQLite too: reopening the file and its page cache costs 1-2 ms a request)
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
    else:
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": dict(SQLITE_OPTIONS),
            # Kept open between requests: opening SQLite and its page cache afresh cost
            # 1-2 ms a request (measured under gunicorn's sync workers).
            "CONN_MAX_AGE": 60,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Caches: Redis when REDIS_URL is set, shared by every app server. Otherwise pages are cached
# in each process's memory, and the content version that invalidates them (which every
# process, the importer's included, must see) lives in a database table (migration 0004).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    REDIS_CACHE = {
        "BACKEND": "articles.cache.RedisCache",  # Django's, reusing its Redis clients
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "newsroom"),
    }
    CACHES = {"default": REDIS_CACHE, "shared": REDIS_CACHE}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "shared": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "newsroom_cache",
        },
    }
# Seconds a public page stays cached; any change to the content invalidates it sooner.
# 0 switches page caching off.
NEWSROOM_PAGE_CACHE_SECONDS = env_int("NEWSROOM_PAGE_CACHE_SECONDS", 600)

# The JSON API (articles/api/). Anonymous clients are throttled per address; editors' tools
# authenticate with a session (and CSRF) or a token (`manage.py drf_create_token USER`).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so an anonymous write is told 401 with a WWW-Authenticate: Token header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_CLASSES": ["articles.api.access.AnonymousRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "articles.api.errors.api_exception_handler",
    # Editors' tools write JSON; form encodings would only blur what a value means ("0").
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # JSON for a client that states no preference without DRF's general matching.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "articles.api.renderers.ContentNegotiation",
    "DEFAULT_RENDERER_CLASSES": [
        "articles.api.renderers.JSONRenderer",  # DRF's, encoding with orjson
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # How many proxies in front of the app add to X-Forwarded-For; the throttle takes the
    # client's address from there. 0: the connection's own address, which no client forges.
    "NUM_PROXIES": env_int("NEWSROOM_NUM_PROXIES", 0),
}
# Requests an anonymous client may make, e.g. "120/min" or "5000/day"; empty: no limit.
NEWSROOM_API_ANON_RATE = os.environ.get("NEWSROOM_API_ANON_RATE", "300/min")

SPECTACULAR_SETTINGS = {
    "TITLE": "Newsroom API",
    "DESCRIPTION": "Curated AI news as JSON: published articles, their topics and providers. "
    "Editors may publish, hold back and re-score articles.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files (drf-spectacular-sidecar), never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge from validator.swagger.io: it would hand our schema's address to a third
    # party on every visit (the CSP's img-src https: would let it).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "articles.api.serializers.forbid_unknown_fields",
    ],
}

# CORS for the API only, and only for the origins an operator lists (none by default).
CORS_ALLOWED_ORIGINS = env_list("NEWSROOM_CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"

# Sign-in rate limit (django-axes): after NEWSROOM_LOGIN_FAILURE_LIMIT wrong passwords for
# one username from one address, that username is refused from that address, right password
# or not, for NEWSROOM_LOGIN_LOCKOUT_MINUTES (429 and a page saying so). By username and
# address together, so that nobody can lock an editor out from elsewhere. Failures are kept
# in the database, which every app server shares.
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out sign-in before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("NEWSROOM_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("NEWSROOM_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The client's address as the API throttle takes it (NEWSROOM_NUM_PROXIES): with no proxy,
# the connection's own, so a forged X-Forwarded-For cannot make a fresh address per try.
AXES_CLIENT_IP_CALLABLE = "newsroom.security.client_address"
AXES_LOCKOUT_CALLABLE = "newsroom.security.locked_out"
AXES_RESET_ON_SUCCESS = True  # an editor who finally types it right starts afresh
AXES_DISABLE_ACCESS_LOG = True  # failures only: no row per successful sign-in to prune
AXES_VERBOSE = False  # no banner on every manage.py command; failures are still logged

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed names (collectstatic); whitenoise serves them with far-future caching.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# The site's own address, for feeds, sitemaps and canonical links outside a request.
NEWSROOM_SITE_NAME = os.environ.get("NEWSROOM_SITE_NAME", "Newsroom")

# The import command's defaults (see the README).
NEWSROOM_SEEDS_DIR = BASE_DIR / "seeds"
NEWSROOM_IMPORT_MAX_BYTES = env_int("NEWSROOM_IMPORT_MAX_BYTES", 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}

"""Production settings: Django's deploy check passes, and every page carries the security
headers (HTTPS only, HSTS, Content-Security-Policy without inline code, no sniffing, no
framing), while development keeps serving plain HTTP on 127.0.0.1.

The production settings are the ones the documented environment (.env.example) gives:
read in a subprocess, as a server would read them, then applied to this process's
settings to request pages with the test client.
"""

import ast
import os
import secrets
import subprocess
import sys
from functools import cache

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from articles.models import ArticleTopic
from newsroom.security import ContentSecurityPolicyMiddleware, extended_policy

from .conftest import PROJECT
from .factories import ArticleFactory, TopicFactory
from .test_settings import settings_in_subprocess

HOST = "news.example.com"
SECRET_KEY = secrets.token_urlsafe(50)  # a strong one, as production must have
# Settings that decide what a response's security headers are.
SECURITY_SETTINGS = (
    "ALLOWED_HOSTS",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "X_FRAME_OPTIONS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "NEWSROOM_CSP",
    "NEWSROOM_CSP_PATHS",
)


def documented_environment() -> dict[str, str]:
    """.env.example as a process manager would load it, with a real secret key, and without
    the database and cache servers (SQLite and local memory will do for these checks)."""
    env = {}
    for line in (PROJECT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    assert env["DJANGO_DEBUG"] == "0"
    env["DJANGO_SECRET_KEY"] = SECRET_KEY
    del env["DATABASE_URL"], env["REDIS_URL"]
    return env


MINIMAL_ENVIRONMENT = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": SECRET_KEY,
    "DJANGO_ALLOWED_HOSTS": HOST,
}


def production_settings(env: dict[str, str]) -> dict:
    """The SECURITY_SETTINGS a server started with this environment would have."""
    return dict(_read_settings(tuple(sorted(env.items()))))


@cache  # a subprocess each: read each environment once
def _read_settings(env: tuple[tuple[str, str], ...]) -> tuple:
    expression = "{" + ", ".join(f"{name!r}: s.{name}" for name in SECURITY_SETTINGS) + "}"
    result = settings_in_subprocess(dict(env), expression)
    assert result.returncode == 0, result.stderr
    return tuple(ast.literal_eval(result.stdout).items())


# --- Django's deploy check -------------------------------------------------------------------


@pytest.mark.parametrize(
    "env",
    [pytest.param(MINIMAL_ENVIRONMENT, id="minimal"), pytest.param(None, id="env.example")],
)
def test_the_deploy_check_passes_without_a_warning(env, tmp_path):
    env = env or documented_environment()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={**clean, **env, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNING" not in output, output


def test_the_deploy_check_does_fail_on_a_weak_setting(tmp_path):
    """The check above would see a problem: HSTS switched off is one."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={
            **clean,
            **MINIMAL_ENVIRONMENT,
            "DJANGO_SECURE_HSTS_SECONDS": "0",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        },
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


# --- What the environment turns into ---------------------------------------------------------


def test_production_defaults_are_secure():
    values = production_settings(MINIMAL_ENVIRONMENT)
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and values["SECURE_HSTS_PRELOAD"]
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SECURE_PROXY_SSL_HEADER"] is None  # no proxy is trusted unless named


def test_development_serves_plain_http_as_before():
    values = production_settings({})  # debug on, nothing set: `make run`
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert not values["SESSION_COOKIE_SECURE"] and not values["CSRF_COOKIE_SECURE"]
    assert "127.0.0.1" in values["ALLOWED_HOSTS"]


def test_the_test_suite_runs_with_the_development_defaults(settings):
    # The test client speaks plain HTTP: a redirect to HTTPS would break every other test.
    assert settings.SECURE_SSL_REDIRECT is False
    assert settings.SECURE_HSTS_SECONDS == 0


@pytest.mark.parametrize(
    "value, header",
    [
        ("HTTP_X_FORWARDED_PROTO", ("HTTP_X_FORWARDED_PROTO", "https")),
        ("X-Forwarded-Proto", ("HTTP_X_FORWARDED_PROTO", "https")),
    ],
)
def test_the_proxy_header_is_named_either_way(value, header):
    values = production_settings({**MINIMAL_ENVIRONMENT, "DJANGO_SECURE_PROXY_SSL_HEADER": value})
    assert values["SECURE_PROXY_SSL_HEADER"] == header


def test_a_bad_proxy_header_is_named():
    env = {**MINIMAL_ENVIRONMENT, "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto: https"}
    result = settings_in_subprocess(env, "s.SECURE_PROXY_SSL_HEADER")
    assert result.returncode != 0
    assert "DJANGO_SECURE_PROXY_SSL_HEADER='X-Forwarded-Proto: https'" in result.stderr


def test_the_ssl_redirect_can_be_left_to_the_proxy():
    env = {**MINIMAL_ENVIRONMENT, "DJANGO_SECURE_SSL_REDIRECT": "0"}
    assert production_settings(env)["SECURE_SSL_REDIRECT"] is False


# --- Every page's headers under the documented production settings ---------------------------


@pytest.fixture
def production(settings, db):
    """This process's settings as .env.example makes them."""
    for name, value in production_settings(documented_environment()).items():
        setattr(settings, name, value)
    return settings


@pytest.fixture
def pages(db) -> list[str]:
    topic = TopicFactory(name="Robots", slug="robots")
    article = ArticleFactory(title="Robots sort parcels")
    ArticleTopic.objects.create(article=article, topic=topic, position=0)
    return [
        "/",
        article.get_absolute_url(),
        "/topics/",
        "/topics/robots/",
        "/providers/",
        f"/providers/{article.provider.slug}/",
        "/search/?q=robots",
        "/feed/",
        "/feed/atom/",
        "/topics/robots/feed/",
        "/sitemap.xml",
        "/sitemap-news.xml",
        "/robots.txt",
        "/healthz",
        "/admin/login/",
        "/api/v1/articles/",
        f"/api/v1/articles/{article.slug}/",
        "/api/v1/schema/",
        "/api/v1/docs/",
        "/no-such-page/",
    ]


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


def assert_secure_headers(response, path: str) -> None:
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"], path
    assert policy["object-src"] == ["'none'"], path
    assert policy["frame-ancestors"] == ["'none'"], path
    assert policy["base-uri"] == ["'self'"], path
    for name in ("script-src", "style-src", "script-src-elem", "style-src-elem"):
        assert not {"'unsafe-inline'", "'unsafe-eval'"} & set(policy.get(name, [])), (path, name)
    assert "'unsafe-inline'" not in policy.get("style-src-attr", []), path
    assert "'unsafe-inline'" not in policy.get("script-src-attr", []), path
    assert response["X-Content-Type-Options"] == "nosniff", path
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin", path
    assert response["X-Frame-Options"] == "DENY", path
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", path
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.parametrize("https", ["secure", "proxy"])
def test_every_page_carries_the_security_headers_over_https(production, pages, client, https):
    # Directly over HTTPS, or from the TLS-terminating proxy with its header.
    kwargs = {"secure": True} if https == "secure" else {"headers": {"X-Forwarded-Proto": "https"}}
    for path in pages:
        # Twice: the second is answered from the page cache, with the headers it stored.
        for _ in range(2):
            response = client.get(path, HTTP_HOST=HOST, **kwargs)
            assert response.status_code == (404 if path == "/no-such-page/" else 200), path
            assert_secure_headers(response, path)


def test_plain_http_is_redirected_to_https_except_the_health_check(production, pages, client):
    for path in pages:
        response = client.get(path, HTTP_HOST=HOST)
        if path == "/healthz":
            # The load balancer's check over plain HTTP, on the app server's own port.
            assert response.status_code == 200
            assert "Strict-Transport-Security" not in response  # HSTS only over HTTPS
        else:
            assert response.status_code == 301, path
            assert response["Location"] == f"https://{HOST}{path}"
    # Without a proxy configured to say so, a client's own claim of HTTPS is not believed.
    production.SECURE_PROXY_SSL_HEADER = None
    response = client.get("/", HTTP_HOST=HOST, headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 301


def test_cookies_are_secure_in_production(production, client, admin_user):
    response = client.get("/admin/login/", HTTP_HOST=HOST, secure=True)
    assert response.cookies["csrftoken"]["secure"]
    response = client.post(
        "/admin/login/",
        {"username": admin_user.username, "password": "password"},
        HTTP_HOST=HOST,
        secure=True,
    )
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"]


def test_development_pages_carry_the_policy_too(client, db, settings):
    """Debug or not, the policy holds: a violation shows up while developing."""
    settings.DEBUG = True  # pytest-django runs with DEBUG off; `make run` does not
    response = client.get("/")
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in response


# --- The policy middleware -------------------------------------------------------------------


def respond(settings, path: str, response=None, debug=False):
    settings.DEBUG = debug
    middleware = ContentSecurityPolicyMiddleware(lambda request: response or HttpResponse())
    return middleware(RequestFactory().get(path))


def test_a_path_prefix_adds_only_its_own_sources(settings):
    settings.NEWSROOM_CSP = {"default-src": ["'self'"], "style-src": ["'self'"]}
    settings.NEWSROOM_CSP_PATHS = {"/api/": {"style-src-attr": ["'unsafe-hashes'", "'sha256-x'"]}}
    api = respond(settings, "/api/v1/articles/")["Content-Security-Policy"]
    assert api == (
        "default-src 'self'; style-src 'self'; style-src-attr 'self' 'unsafe-hashes' 'sha256-x'"
    )
    assert respond(settings, "/apiary/")["Content-Security-Policy"] == (
        "default-src 'self'; style-src 'self'"
    )


def test_an_addition_keeps_what_the_browser_read_before():
    base = {"default-src": ["'self'"], "object-src": ["'none'"]}
    # img-src was default-src's: adding a host must not take away 'self'.
    assert extended_policy(base, {"img-src": ["https:"]})["img-src"] == ["'self'", "https:"]
    # form-action has no fallback: it allows exactly what is added.
    assert extended_policy(base, {"form-action": ["'self'"]})["form-action"] == ["'self'"]
    assert base == {"default-src": ["'self'"], "object-src": ["'none'"]}  # left alone


def test_a_response_s_own_policy_is_kept(settings):
    own = HttpResponse(headers={"Content-Security-Policy": "sandbox"})
    assert respond(settings, "/", own)["Content-Security-Policy"] == "sandbox"


def test_debug_error_pages_go_without_a_policy(settings):
    # Django's technical 404 and 500 pages are inline styles and scripts.
    missing = respond(settings, "/x/", HttpResponse(status=404), debug=True)
    assert "Content-Security-Policy" not in missing
    assert "Content-Security-Policy" in respond(settings, "/x/", HttpResponse(status=404))

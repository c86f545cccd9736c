"""Whole-page caching: fast for readers, never stale after an editor or an import writes."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.views import View
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from articles.cache import cached_page, content_changed
from articles.editorial import decide
from articles.models import Article, EditorialChange

from .conftest import run_import
from .factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_unpublishing_through_save_is_seen_at_once(client, django_capture_on_commit_callbacks):
    article = ArticleFactory(title="Soon held")
    assert b"Soon held" in client.get("/").content
    assert client.get(article.get_absolute_url()).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        article.is_published = False
        article.save()

    assert b"Soon held" not in client.get("/").content
    assert client.get(article.get_absolute_url()).status_code == 404


def test_rescoring_through_update_is_seen_after_content_changed(
    client, django_capture_on_commit_callbacks
):
    article = ArticleFactory(title="Scored")
    client.get(article.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        Article.objects.filter(pk=article.pk).update(title="Rescored and retitled")
        content_changed()
    assert b"Rescored and retitled" in client.get(article.get_absolute_url()).content


def test_an_import_invalidates_cached_pages(client, write_doc, django_capture_on_commit_callbacks):
    assert b"Fresh from the feed" not in client.get("/").content
    with django_capture_on_commit_callbacks(execute=True):
        document = '---\ntitle: "Fresh from the feed"\nwebUrl: https://x.example/a\n'
        run_import(write_doc("a.md", document + "published: true\n---\n"))
    assert b"Fresh from the feed" in client.get("/").content


def test_without_redis_the_version_lives_in_the_database(settings, client):
    """Every process must see a bump: the importer's command and each app server."""
    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "newsroom_cache",
        },
    }
    from django.core.management import call_command

    from articles.cache import _bump, content_version

    call_command("createcachetable")  # what migration 0004 does where Redis is not set
    before = content_version()
    _bump()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM newsroom_cache")
        assert cursor.fetchone()[0] == 1
    assert content_version() != before


# --- The page cache middleware: who is served from it, what is stored, and how ---------------

hits = {"count": 0}


def counting_view(request):
    """A cached view that says how often it ran, so a test can tell a hit from a render."""
    hits["count"] += 1
    response = HttpResponse(f"render {hits['count']}")
    if request.GET.get("vary"):
        patch_vary_headers(response, [request.GET["vary"]])
    if request.GET.get("cookie"):
        response.set_cookie("someone", "theirs")
    return response


class CountingView(View):
    def get(self, request):
        return counting_view(request)


class CountingApiView(APIView):
    """As the API's views are: DRF negotiates JSON or the browsable API by Accept."""

    permission_classes = [AllowAny]
    throttle_classes = []

    def get(self, request):
        hits["count"] += 1
        return Response({"render": hits["count"]})


urlpatterns = [
    path("fn/", cached_page(counting_view)),
    path("cbv/", method_decorator(cached_page, name="dispatch")(CountingView).as_view()),
    path("api/", method_decorator(cached_page, name="dispatch")(CountingApiView).as_view()),
    path("uncached/", counting_view),
]


@pytest.fixture
def test_views():
    hits["count"] = 0
    with override_settings(ROOT_URLCONF=__name__):
        yield


def body(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("url", ["/fn/", "/cbv/"])
def test_a_cached_view_renders_once_for_anonymous_readers(client, test_views, url):
    assert body(client.get(url)) == "render 1"
    assert body(client.get(url)) == "render 1"
    assert body(client.get(url + "?page=2")) == "render 2"  # the query string is in the key


def test_views_that_do_not_opt_in_are_not_cached(client, test_views):
    assert body(client.get("/uncached/")) == "render 1"
    assert body(client.get("/uncached/")) == "render 2"


def test_a_hit_costs_no_query_and_no_session(client, django_assert_num_queries):
    ArticleFactory(title="Cached story")
    client.get("/")
    with django_assert_num_queries(0):
        page = client.get("/")
    assert b"Cached story" in page.content
    assert not page.cookies


def test_a_response_that_sets_a_cookie_is_never_stored(client, test_views):
    first = client.get("/fn/?cookie=1")
    assert first.cookies["someone"].value == "theirs"
    stranger = Client()
    again = stranger.get("/fn/?cookie=1")
    assert body(again) == "render 2"  # rendered for the stranger, not the first reader's copy


def test_readers_with_a_session_or_credentials_bypass_the_cache(client, test_views):
    client.get("/fn/")  # cached for the anonymous
    with_session = Client()
    with_session.cookies[settings.SESSION_COOKIE_NAME] = "whatever"
    assert body(with_session.get("/fn/")) == "render 2"
    assert body(client.get("/fn/", HTTP_AUTHORIZATION="Token abc")) == "render 3"
    assert body(client.get("/fn/")) == "render 1"  # and their renders were not stored


def test_signed_in_staff_are_never_served_or_stored(admin_client, client, test_views):
    assert body(admin_client.get("/fn/")) == "render 1"
    assert body(admin_client.get("/fn/")) == "render 2"
    assert body(client.get("/fn/")) == "render 3"


def test_a_staff_preview_is_private_and_never_reaches_readers(admin_client, client):
    held = ArticleFactory(is_published=False, title="Not yet")
    preview = admin_client.get(held.get_absolute_url())
    assert b"Not yet" in preview.content
    assert "private" in preview["Cache-Control"] and "no-store" in preview["Cache-Control"]
    assert client.get(held.get_absolute_url()).status_code == 404


def test_each_variant_is_cached_apart(client, test_views):
    html = client.get("/fn/?vary=Accept", HTTP_ACCEPT="text/html")
    json = client.get("/fn/?vary=Accept", HTTP_ACCEPT="application/json")
    assert (body(html), body(json)) == ("render 1", "render 2")
    assert body(client.get("/fn/?vary=Accept", HTTP_ACCEPT="text/html")) == "render 1"
    assert body(client.get("/fn/?vary=Accept", HTTP_ACCEPT="application/json")) == "render 2"


def test_a_response_varying_on_a_header_outside_the_key_is_not_stored(client, test_views):
    client.get("/fn/?vary=Accept-Language", HTTP_ACCEPT_LANGUAGE="fr")
    assert body(client.get("/fn/?vary=Accept-Language", HTTP_ACCEPT_LANGUAGE="en")) == "render 2"


def test_the_api_is_cached_per_representation(client, test_views):
    as_json = client.get("/api/", HTTP_ACCEPT="application/json")
    assert as_json.json() == {"render": 1}
    assert "Accept" in as_json["Vary"]
    assert client.get("/api/", HTTP_ACCEPT="application/json").json() == {"render": 1}
    browsable = client.get("/api/", HTTP_ACCEPT="text/html")
    assert browsable["Content-Type"].startswith("text/html")
    assert client.get("/api/", HTTP_ACCEPT="application/json")["Content-Type"] == (
        "application/json"
    )


def test_a_hit_keeps_its_headers_and_answers_conditional_requests(client):
    ArticleFactory()
    first = client.get("/")
    hit = client.get("/")
    for header in ("ETag", "Content-Type", "X-Frame-Options", "X-Content-Type-Options"):
        assert hit[header] == first[header]
    assert client.get("/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_head_is_answered_from_the_cache(client, test_views):
    client.get("/fn/")
    head = client.head("/fn/")
    assert (head.status_code, head.content) == (200, b"")
    assert hits["count"] == 1  # the view did not run again for the HEAD


def test_page_caching_can_be_switched_off(client, test_views, settings):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 0
    client.get("/fn/")
    assert body(client.get("/fn/")) == "render 2"


@pytest.mark.parametrize(
    "values",
    [{"is_published": False}, {"quality": 900}],
    ids=["unpublish", "re-score"],
)
def test_an_editors_decision_invalidates_cached_pages(
    client, values, django_capture_on_commit_callbacks, django_assert_num_queries
):
    article = ArticleFactory(title="Decided")
    editor = get_user_model().objects.create_user("ed", password="x")
    client.get("/")
    client.get(article.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        decide(
            Article.objects.filter(pk=article.pk),
            values,
            user=editor,
            via=EditorialChange.Via.ADMIN_ACTION,
        )
    home = CaptureQueriesContext(connection)
    with home:
        page = client.get("/")
    assert len(home) > 0  # rendered afresh, not served from before the decision
    shown = b"Decided" in page.content
    assert shown == values.get("is_published", True)
    expected = 404 if values.get("is_published") is False else 200
    assert client.get(article.get_absolute_url()).status_code == expected


def test_publishing_through_decide_shows_the_article_at_once(
    client, django_capture_on_commit_callbacks
):
    held = ArticleFactory(title="Held then shown", is_published=False)
    editor = get_user_model().objects.create_user("ed", password="x")
    assert b"Held then shown" not in client.get("/").content
    assert client.get(held.get_absolute_url()).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        decide(
            Article.objects.filter(pk=held.pk),
            {"is_published": True},
            user=editor,
            via=EditorialChange.Via.ADMIN_FORM,
        )
    assert b"Held then shown" in client.get("/").content
    assert client.get(held.get_absolute_url()).status_code == 200


def test_a_page_rendered_before_a_change_is_not_stored_as_current(client, test_views):
    """A render that began before a change must not be served after it: its entry carries
    the version it started under, so the bump makes it a miss."""
    from articles import cache

    def view_that_sees_a_change(request):
        cache._bump()  # a write committing while this page renders
        return HttpResponse("old")

    middleware = cache.PageCacheMiddleware(cached_page(view_that_sees_a_change))
    request = RequestFactory().get("/racy/")
    assert middleware(request).content == b"old"
    middleware = cache.PageCacheMiddleware(cached_page(lambda request: HttpResponse("new")))
    assert middleware(RequestFactory().get("/racy/")).content == b"new"


def test_the_redis_cache_reuses_one_client_per_pool():
    """Building a client per call cost a third of a cached page; no server is needed here."""
    from articles.cache import RedisCache

    backend = RedisCache("redis://127.0.0.1:6379/15", {})._cache
    assert backend.get_client("a") is backend.get_client("b")
    assert backend.get_client("a", write=True) is backend.get_client("b", write=True)


# The WSGI wrapper (newsroom/wsgi.py): hits answered before Django runs.


class CountingApp:
    """Django's WSGI handler, counting the requests that reach it."""

    def __init__(self):
        from django.core.handlers.wsgi import WSGIHandler

        self.django = WSGIHandler()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.django(environ, start_response)


@pytest.fixture
def wsgi(keep_the_test_connection):
    """(call, django): call(path, **headers) -> (status, headers, body) through the
    wrapped application; django counts the requests that reached Django."""
    from articles.cache import serve_cached_pages

    django = CountingApp()
    app = serve_cached_pages(django)

    def call(url, method="GET", **headers):
        environ = getattr(RequestFactory(), method.lower())(url, **headers).environ
        answer = {}

        def start_response(status, response_headers, exc_info=None):
            answer.update(status=status, headers=dict(response_headers))

        content = b"".join(app(environ, start_response))
        return answer["status"], answer["headers"], content

    return call, django


def test_a_cached_page_is_answered_before_django_with_djangos_headers(wsgi):
    call, django = wsgi
    ArticleFactory(title="Wrapped story")
    status, headers, content = call("/")
    assert (status, django.calls) == ("200 OK", 1)
    again = call("/")
    assert django.calls == 1  # answered by the wrapper
    assert again == (status, headers, content)
    assert headers["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware's, stored too
    assert b"Wrapped story" in again[2]
    head_status, _, head_body = call("/", method="HEAD")
    assert (head_status, head_body, django.calls) == ("200 OK", b"", 1)


def test_the_wrapper_answers_revalidation_with_304(wsgi):
    call, django = wsgi
    ArticleFactory()
    _, headers, _ = call("/")
    status, _, content = call("/", HTTP_IF_NONE_MATCH=headers["ETag"])
    assert (status, content, django.calls) == ("304 Not Modified", b"", 1)


def test_the_wrapper_never_serves_a_page_from_before_a_change(
    wsgi, django_capture_on_commit_callbacks
):
    call, django = wsgi
    article = ArticleFactory(title="Going away")
    assert b"Going away" in call("/")[2]
    with django_capture_on_commit_callbacks(execute=True):
        decide(
            Article.objects.filter(pk=article.pk),
            {"is_published": False},
            user=get_user_model().objects.create_user("ed"),
            via=EditorialChange.Via.API,
        )
    assert b"Going away" not in call("/")[2]
    assert django.calls == 2


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}=abc"},
        {"HTTP_AUTHORIZATION": "Token abc"},
        {"HTTP_HOST": "elsewhere.example"},  # Django refuses it: never from the cache
        {"HTTP_X_FORWARDED_HOST": "evil.example"},
        {"wsgi.url_scheme": "https"},
    ],
    ids=["session", "credentials", "other host", "forwarded host", "other scheme"],
)
def test_the_wrapper_leaves_other_requests_to_django(wsgi, headers):
    call, django = wsgi
    ArticleFactory()
    call("/")
    call("/", **headers)
    assert django.calls == 2


def test_a_miss_is_looked_up_once_by_the_wrapper_and_the_middleware(wsgi, monkeypatch):
    from articles import cache

    call, django = wsgi
    ArticleFactory()
    lookups = []
    real_lookup = cache._lookup
    monkeypatch.setattr(cache, "_lookup", lambda key: lookups.append(key) or real_lookup(key))
    call("/")  # a miss: Django renders and stores it
    call("/")  # a hit, answered by the wrapper
    assert django.calls == 1
    assert len(lookups) == 2 and lookups[0] == lookups[1]

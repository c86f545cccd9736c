"""The data model's rules, held by the database itself."""

import pytest
from django.db import IntegrityError, transaction

from articles.models import Article, Image

from .factories import ArticleFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def test_published_is_the_visibility_rule():
    shown = ArticleFactory(is_published=True)
    ArticleFactory(is_published=False)
    assert list(Article.objects.published()) == [shown]


def test_published_is_ordered_newest_first():
    older = ArticleFactory(published_at="2020-01-01T00:00Z")
    newer = ArticleFactory(published_at="2021-01-01T00:00Z")
    assert list(Article.objects.published()) == [newer, older]


@pytest.mark.parametrize(
    "fields",
    [
        {"quality": -1},
        {"heat": -2},
        {"slug": "article-number-taken"},
        {"source_key": "taken"},
        {"web_url": "https://news.example/taken/"},
    ],
    ids=["quality<0", "heat<-1", "slug", "source_key", "web_url"],
)
def test_database_refuses_invalid_articles(fields):
    ArticleFactory(
        slug="article-number-taken", source_key="taken", web_url="https://news.example/taken/"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(**fields)


def test_articles_without_web_url_do_not_collide():
    ArticleFactory(web_url="", source_key="title:a")
    ArticleFactory(web_url="", source_key="title:b")
    assert Article.objects.filter(web_url="").count() == 2


def test_image_has_exactly_one_owner():
    article = ArticleFactory()
    provider = ProviderFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Image.objects.create(url="https://x/i.png")
    with pytest.raises(IntegrityError), transaction.atomic():
        Image.objects.create(url="https://x/i.png", article=article, provider=provider)
    Image.objects.create(url="https://x/i.png", article=article)


def test_image_sizes_are_not_negative():
    with pytest.raises(IntegrityError), transaction.atomic():
        Image.objects.create(url="https://x/i.png", article=ArticleFactory(), width=-1)


def test_string_forms():
    article = ArticleFactory(title="A title", provider__name="Wired")
    assert str(article) == "A title"
    assert str(article.provider) == "Wired"

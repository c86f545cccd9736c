"""Sitemaps of the public site, and a Google News sitemap of the last two days' articles.

/sitemap.xml is an index of the sections below (/sitemap-<section>.xml) and of the news
sitemap (/sitemap-news.xml). Locations use the request's scheme and host (without
django.contrib.sites, Django takes the site from the request). Everything goes through
`Article.objects.published()`; topics and providers are listed only while they have a
published article. Each sitemap costs a fixed few queries, whatever the number of rows.
"""

from datetime import timedelta
from functools import cached_property

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Max, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from .models import Article, Provider, Topic
from .templatetags.newsroom import slug_urls

# Google News takes articles from the last two days, at most 1,000 URLs per sitemap.
NEWS_WINDOW = timedelta(days=2)
NEWS_LIMIT = 1000
NEWS_LANGUAGE = "en"


def latest_update(articles):
    return articles.aggregate(latest=Max("updated_at"))["latest"]


class SlugLocations(Sitemap):
    """Locations of rows with a slug, at one reverse() per process (a page lists 10,000)."""

    page = ""  # the view of a row's page

    def location(self, item):
        return self._url(item.slug)

    @cached_property
    def _url(self):
        return slug_urls(self.page)


class ArticleSitemap(SlugLocations):
    page = "articles:article"
    # Pages of 10,000 render in well under a second; the protocol allows 50,000.
    limit = 10_000

    def items(self):
        # By id, so that new articles land on the last page and other pages stay put.
        return Article.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, article):
        return article.updated_at

    def get_latest_lastmod(self):
        # Sitemap's default calls lastmod() on every item; one aggregate does instead.
        return latest_update(Article.objects.published())


class _WithPublishedArticles(SlugLocations):
    """Rows that have at least one published article, last modified with the latest of them."""

    model = None
    article_link = ""  # the Article lookup from an article to this sitemap's model

    def items(self):
        latest = (
            Article.objects.published()
            .filter(**{self.article_link: OuterRef("pk")})
            .order_by("-updated_at")
            .values("updated_at")[:1]
        )
        return self.model.objects.annotate(latest_update=Subquery(latest)).filter(
            latest_update__isnull=False
        )

    def lastmod(self, row):
        return row.latest_update

    def get_latest_lastmod(self):
        return self.items().aggregate(latest=Max("latest_update"))["latest"]


class TopicSitemap(_WithPublishedArticles):
    page = "articles:topic"
    model = Topic
    article_link = "topics"


class ProviderSitemap(_WithPublishedArticles):
    page = "articles:provider"
    model = Provider
    article_link = "provider"


class StaticSitemap(Sitemap):
    """The home page and the topic and provider indexes."""

    def items(self):
        return ["articles:home", "articles:topics", "articles:providers"]

    def location(self, name):
        return reverse(name)

    @cached_property
    def _latest_update(self):
        return latest_update(Article.objects.published())

    def lastmod(self, name):
        # These pages list published articles: they change when one does.
        return self._latest_update


class NewsSitemap(SlugLocations):
    """Published articles from the last two days, for Google News (template sitemaps/news.xml)."""

    page = "articles:article"
    limit = NEWS_LIMIT

    def items(self):
        since = timezone.now() - NEWS_WINDOW
        return (
            Article.objects.published()
            .filter(published_at__gte=since)
            .only("slug", "title", "published_at", "updated_at")
            .order_by("-published_at", "-id")
        )

    def lastmod(self, article):
        return article.updated_at

    def get_latest_lastmod(self):
        return latest_update(self.items())

    def get_urls(self, page=1, site=None, protocol=None):
        # The sitemap view gives its template only these dicts: add what news:publication says.
        urls = super().get_urls(page=page, site=site, protocol=protocol)
        for url in urls:
            url["publication_name"] = settings.NEWSROOM_SITE_NAME
            url["language"] = NEWS_LANGUAGE
        return urls


# /sitemap-<section>.xml
SECTIONS = {
    "static": StaticSitemap,
    "articles": ArticleSitemap,
    "topics": TopicSitemap,
    "providers": ProviderSitemap,
}
# /sitemap.xml lists the sections and the news sitemap; "news" reverses to
# /sitemap-news.xml, which newsroom/urls.py routes to the news view before the sections.
INDEX = {**SECTIONS, "news": NewsSitemap}

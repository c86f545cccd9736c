"""URL routes of the whole site; each app names its own in its urls module."""

from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from articles import sitemaps
from articles.cache import cached_page

# JSON under /api/, the site's own pages elsewhere.
handler404 = "articles.api.errors.not_found"
handler500 = "articles.api.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("articles.api.urls")),
    path("", include("articles.urls")),
    path(
        "sitemap.xml",
        cached_page(sitemap_views.index),
        {"sitemaps": sitemaps.INDEX},
        name="django.contrib.sitemaps.views.index",
    ),
    # Before the sections: the index's "news" entry reverses to this path.
    path(
        "sitemap-news.xml",
        cached_page(sitemap_views.sitemap),
        {"sitemaps": {"news": sitemaps.NewsSitemap}, "template_name": "sitemaps/news.xml"},
        name="news-sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cached_page(sitemap_views.sitemap),
        {"sitemaps": sitemaps.SECTIONS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
]

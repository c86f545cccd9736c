"""The public site's routes (the URL table of the design)."""

from django.urls import path

from . import views
from .cache import cached_page
from .feeds import LatestArticlesAtomFeed, LatestArticlesFeed, TopicFeed

app_name = "articles"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("articles/<slug:slug>/", views.ArticleDetailView.as_view(), name="article"),
    path("topics/", views.TopicListView.as_view(), name="topics"),
    path("topics/<slug:slug>/", views.TopicDetailView.as_view(), name="topic"),
    path("providers/", views.ProviderListView.as_view(), name="providers"),
    path("providers/<slug:slug>/", views.ProviderDetailView.as_view(), name="provider"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("healthz", views.healthz, name="healthz"),
    path("robots.txt", views.robots_txt, name="robots"),
    # Feeds change when the content does: the page cache keeps them until then.
    path("feed/", cached_page(LatestArticlesFeed()), name="feed"),
    path("feed/atom/", cached_page(LatestArticlesAtomFeed()), name="feed-atom"),
    path("topics/<slug:slug>/feed/", cached_page(TopicFeed()), name="topic-feed"),
]

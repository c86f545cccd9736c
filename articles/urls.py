"""The public site's routes (the URL table of the design)."""

from django.urls import path

from . import views
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
    path("feed/", LatestArticlesFeed(), name="feed"),
    path("feed/atom/", LatestArticlesAtomFeed(), name="feed-atom"),
    path("topics/<slug:slug>/feed/", TopicFeed(), name="topic-feed"),
]

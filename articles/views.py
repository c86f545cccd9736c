"""The public site: generic class-based views over `Article.objects.published()`.

Every list prefetches what its template shows, so a page costs the same few queries
whatever its size. Anonymous pages are cached whole (see cache.py); staff see unpublished
articles as previews, marked and kept out of search engines.
"""

from django.db import DatabaseError, connection
from django.db.models import Count, Prefetch
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET
from django.views.generic import DetailView, ListView

from .cache import cached_page
from .models import Article, ArticleTopic, Image, Provider, RelatedItem, Topic, published_rule

PAGE_SIZE = 20


def topic_links():
    """Articles' topics in the feed's order, for a Prefetch.

    Ordered by the article_id column rather than the model's default ("article", "position"):
    ordering by the relation orders by Article's own ordering, which joins articles_article
    into the prefetch for nothing. The order within each article is the same.
    """
    return ArticleTopic.objects.select_related("topic").order_by("article_id", "position")


def article_cards(queryset):
    """Articles with what a list shows of each: provider, topics, lead image."""
    return queryset.select_related("provider").prefetch_related(
        Prefetch("article_topics", topic_links()),
        Prefetch(
            "images",
            Image.objects.filter(role=Image.Role.LEAD).order_by("position"),
            to_attr="lead_images",
        ),
    )


@method_decorator(cached_page, name="dispatch")
class ArticleListView(ListView):
    """A paginated list of published articles, newest first."""

    paginate_by = PAGE_SIZE
    context_object_name = "articles"

    def get_queryset(self):
        return article_cards(Article.objects.published())


class HomeView(ArticleListView):
    template_name = "articles/home.html"


@method_decorator(cached_page, name="dispatch")
class ArticleDetailView(DetailView):
    template_name = "articles/article_detail.html"
    context_object_name = "article"

    def get_queryset(self):
        # Staff may preview what is not published yet; everyone else gets a 404 for it.
        staff = self.request.user.is_staff
        visible = Article.objects.all() if staff else Article.objects.published()
        return visible.select_related("provider").prefetch_related(
            Prefetch("article_topics", topic_links()),
            Prefetch("images", Image.objects.order_by("position")),
            Prefetch(
                "related_items",
                # As in topic_links(): the column, not the relation, so no join for ordering.
                RelatedItem.objects.select_related("linked_article").order_by(
                    "article_id", "position"
                ),
            ),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        images = list(self.object.images.all())
        context["lead_image"] = next((i for i in images if i.role == Image.Role.LEAD), None)
        context["logo"] = next((i for i in images if i.role == Image.Role.LOGO), None)
        context["preview"] = not self.object.is_published
        return context


@method_decorator(cached_page, name="dispatch")
class TopicListView(ListView):
    """Topics with published articles, and how many each has."""

    model = Topic
    template_name = "articles/topic_list.html"
    context_object_name = "topics"

    def get_queryset(self):
        published = Count("articles", filter=published_rule("articles"))
        return self.model.objects.annotate(published=published).filter(published__gt=0)


class ProviderListView(TopicListView):
    """Sources with published articles, and how many each has."""

    model = Provider
    template_name = "articles/provider_list.html"
    context_object_name = "providers"


class ArticlesOfView(ArticleListView):
    """The published articles of one topic or provider, found by its slug."""

    owner_model: type[Topic] | type[Provider]
    owner_field: str  # the Article field that points at the owner

    def get_queryset(self):
        self.owner = get_object_or_404(self.owner_model, slug=self.kwargs["slug"])
        published = Article.objects.published()
        return article_cards(published.filter(**{self.owner_field: self.owner}))

    def get_context_data(self, **kwargs):
        context_name = self.owner_model._meta.model_name
        return super().get_context_data(**{context_name: self.owner}, **kwargs)


class TopicDetailView(ArticlesOfView):
    template_name = "articles/topic_detail.html"
    owner_model, owner_field = Topic, "topics"


class ProviderDetailView(ArticlesOfView):
    template_name = "articles/provider_detail.html"
    owner_model, owner_field = Provider, "provider"


class SearchView(ArticleListView):
    """Full-text search over published articles, best match first."""

    template_name = "articles/search.html"

    def get_queryset(self):
        from .search import search

        self.query = self.request.GET.get("q", "").strip()[:200]
        # A result shows title, source, date and the headline: no topics or images to load.
        return search(self.query, Article.objects.published()).select_related("provider")

    def get_context_data(self, **kwargs):
        return super().get_context_data(query=self.query, **kwargs)


@require_GET
def healthz(request):
    """200 when the database answers, 503 when it does not (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok"})


@require_GET
def robots_txt(request):
    sitemap = request.build_absolute_uri("/sitemap.xml")
    lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /search/", f"Sitemap: {sitemap}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")

"""The public site: generic class-based views over `Article.objects.published()`.

Every page loads only what it shows, in a fixed few queries whatever its size: lists fetch
their cards' topics and images in one query each, and are paginated without counting.
Anonymous pages are cached whole (see cache.py); staff see unpublished articles as
previews, marked and kept out of search engines.
"""

from collections import defaultdict
from typing import NamedTuple

from django.db import DatabaseError, connection
from django.db.models import BooleanField, ExpressionWrapper
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET
from django.views.generic import DetailView, ListView

from .cache import cached_page
from .models import (
    Article,
    ArticleTopic,
    Image,
    Provider,
    RelatedItem,
    Topic,
    published_rule,
    with_published_counts,
)
from .search import search
from .templatetags.newsroom import slug_urls

PAGE_SIZE = 20

# What a card or an article page shows of an article: the rest (body, source bookkeeping,
# the JSON of unmodelled keys) stays in the database.
CARD_FIELDS = (
    *("slug", "title", "excerpt", "published_at", "provider_name"),
    *("provider__name", "provider__slug", "provider__domain"),
)


class Link(NamedTuple):
    text: str
    url: str


class Picture(NamedTuple):
    url: str
    width: str  # as the attribute shows it; "" when unknown
    height: str
    title: str = ""

    @classmethod
    def of(cls, url, width, height, title=""):
        return cls(url, str(width or ""), str(height or ""), title)


def topic_links(article_ids) -> dict[int, list[Link]]:
    """Each article's topics, in the feed's order, as links."""
    topic_url = slug_urls("articles:topic")
    links = defaultdict(list)
    rows = (
        ArticleTopic.objects.filter(article_id__in=article_ids)
        .order_by("article_id", "position")
        .values_list("article_id", "topic__name", "topic__slug")
    )
    for article_id, name, slug in rows:
        links[article_id].append(Link(name, topic_url(slug)))
    return links


def with_card_details(articles: list[Article]) -> list[Article]:
    """Give each article what a card shows: links to itself, its source and its topics, and
    its lead image. Two queries, whatever the number of articles."""
    ids = [article.pk for article in articles]
    topics = topic_links(ids)
    lead_images = {}
    rows = (
        Image.objects.filter(article_id__in=ids, role=Image.Role.LEAD)
        .order_by("-position", "-id")  # the last one seen for an article is its first
        .values_list("article_id", "url", "width", "height")
    )
    for article_id, *picture in rows:
        lead_images[article_id] = Picture.of(*picture)
    article_url, provider_url = slug_urls("articles:article"), slug_urls("articles:provider")
    for article in articles:
        article.url = article_url(article.slug)
        article.topic_links = topics.get(article.pk, [])
        article.lead_image = lead_images.get(article.pk)
        provider = article.provider
        if provider is not None:
            article.source = Link(
                article.provider_name or str(provider), provider_url(provider.slug)
            )
    return articles


class Window:
    """One page of a list, told apart from the last without counting the list: a page
    fetches one row more than it shows. Counting 100,000 published articles cost more than
    rendering the page, so readers get "previous" and "next" links, not "page 3 of 4,500".
    """

    def __init__(self, queryset, number: int, size: int):
        rows = list(queryset[(number - 1) * size : number * size + 1])
        self.object_list = rows[:size]
        self.number = number
        self.has_previous = number > 1
        self.has_next = len(rows) > size
        self.previous_page_number = number - 1
        self.next_page_number = number + 1

    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next


@method_decorator(cached_page, name="dispatch")
class ArticleListView(ListView):
    """A paginated list of published articles, newest first, as cards."""

    paginate_by = PAGE_SIZE
    context_object_name = "articles"

    def get_queryset(self):
        return Article.objects.published().select_related("provider").only(*CARD_FIELDS)

    def paginate_queryset(self, queryset, page_size):
        number = self.request.GET.get("page") or "1"
        if not (number.isascii() and number.isdigit()) or int(number) < 1:
            raise Http404("Use ?page= with a page number from 1.")
        page = Window(queryset, int(number), page_size)
        if not page.object_list and page.number > 1:
            raise Http404("There are not that many pages.")
        self.prepare(page.object_list)
        return None, page, page.object_list, page.has_other_pages()

    def prepare(self, articles: list[Article]) -> None:
        with_card_details(articles)


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
        return visible.select_related("provider").only(
            *CARD_FIELDS, "body", "web_url", "original_url", "updated_at", "is_published"
        )

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if not self.object.is_published:
            # A preview is the editor's alone: no shared cache (ours or a proxy's) may keep it.
            patch_cache_control(response, private=True, no_store=True)
        return response

    def get_context_data(self, **kwargs):
        article = self.object
        article.url = slug_urls("articles:article")(article.slug)
        article.topic_links = topic_links([article.pk]).get(article.pk, [])
        if article.provider is not None:
            provider_url = slug_urls("articles:provider")(article.provider.slug)
            article.source = Link(article.provider_name or str(article.provider), provider_url)
        images = Image.objects.filter(article_id=article.pk).order_by("position", "id")
        images = images.values_list("role", "url", "width", "height", "title")
        lead_image = logo = None
        for role, *picture in images:
            if role == Image.Role.LEAD and lead_image is None:
                lead_image = Picture.of(*picture)
            elif role == Image.Role.LOGO and logo is None:
                logo = Picture.of(*picture)
        return super().get_context_data(
            canonical_url=self.request.build_absolute_uri(article.url),
            lead_image=lead_image,
            logo=logo,
            related=self.related_links(article),
            preview=not article.is_published,
            **kwargs,
        )

    @staticmethod
    def related_links(article: Article) -> list[dict]:
        """Related items, linking our own page when the article is published here."""
        article_url = slug_urls("articles:article")
        # The one visibility rule, applied to the linked article (NULL when there is none).
        ours = ExpressionWrapper(published_rule("linked_article"), output_field=BooleanField())
        rows = (
            RelatedItem.objects.filter(article_id=article.pk)
            .annotate(ours=ours)
            .order_by("position")
            .values_list("title", "web_url", "provider_name", "linked_article__slug", "ours")
        )
        related = []
        for title, web_url, provider_name, linked_slug, ours in rows:
            ours = bool(ours)
            related.append(
                {
                    "title": title,
                    "url": article_url(linked_slug) if ours else web_url,
                    "ours": ours,
                    "provider_name": provider_name,
                }
            )
        return related


@method_decorator(cached_page, name="dispatch")
class TopicListView(ListView):
    """Topics with published articles, and how many each has."""

    model = Topic
    template_name = "articles/topic_list.html"
    context_object_name = "topics"

    def get_queryset(self):
        return with_published_counts(self.model.objects.all())


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
        return super().get_queryset().filter(**{self.owner_field: self.owner})

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
        self.query = self.request.GET.get("q", "").strip()[:200]
        # A result shows title, source, date and the headline: a card's columns, no more.
        return search(self.query, super().get_queryset())

    def prepare(self, articles: list[Article]) -> None:
        article_url = slug_urls("articles:article")
        for article in articles:
            article.url = article_url(article.slug)

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

"""The public site: generic class-based views over `Article.objects.published()`.

Every page loads only what it shows, in a fixed few queries whatever its size: lists fetch
their cards' topics and images in one query each, and are paginated without counting. The
pages readers open most (lists of cards, articles) run queries prepared once per process
(see prepared.py, cards.py and article_page.py).
Anonymous pages are cached whole (see cache.py); staff see unpublished articles as
previews, marked and kept out of search engines.
"""

from html import escape

from django.db import DatabaseError, connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.http import require_safe
from django.views.generic import ListView

from . import article_page, cards
from .api.errors import unavailable
from .cache import cached_page
from .frame import page
from .models import Article, Provider, Topic, with_published_counts
from .prepared import PreparedQuery
from .queries import article_row
from .search import search
from .templatetags.newsroom import card_list, slug_urls

PAGE_SIZE = 20


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
    listing = cards.LATEST  # which articles: a card query (see cards.py)

    def get_queryset(self):
        return cards.Listing(self.listing)

    def paginate_queryset(self, queryset, page_size):
        number = self.request.GET.get("page") or "1"
        if not (number.isascii() and number.isdigit()) or int(number) < 1:
            raise Http404("Use ?page= with a page number from 1.")
        page = Window(queryset, int(number), page_size)
        if not page.object_list and page.number > 1:
            raise Http404("There are not that many pages.")
        page.object_list = self.prepare(page.object_list)
        return None, page, page.object_list, page.has_other_pages()

    def prepare(self, rows: list) -> list:
        """What the page shows of its rows."""
        return cards.cards(rows)


class CardsPage(ArticleListView):
    """A list of cards on a page of its own, written in Python inside base.html's frame
    (frame.py) as the cards are: through the template engine, base.html and the list's
    includes cost a fifth of the home page's time (profiled)."""

    def heading(self) -> str:
        """The page's title as it shows it (HTML)."""
        raise NotImplementedError

    def blocks(self) -> dict[str, str]:
        """base.html's blocks the page fills besides its content (HTML)."""
        return {}

    def render_to_response(self, context, **response_kwargs):
        content = f'\n<h1 class="page-title">{self.heading()}</h1>\n'
        content += card_list(context["articles"], context["page_obj"])
        return HttpResponse(page(content=content, **self.blocks()), **response_kwargs)


class HomeView(CardsPage):
    def heading(self) -> str:
        return "Latest AI news"


@method_decorator(cached_page, name="dispatch")
class ArticleDetailView(View):
    """An article's page (see article_page.py). Staff may preview what is not published
    yet, marked as such and kept out of search engines; everyone else gets a 404 for it."""

    def get(self, request, slug):
        article = article_row(slug, published_only=not request.user.is_staff)
        if article is None:
            raise Http404("No article is published at this address.")
        response = HttpResponse(article_page.render(request, article))
        if not article["is_published"]:
            # A preview is the editor's alone: no shared cache (ours or a proxy's) may keep it.
            patch_cache_control(response, private=True, no_store=True)
        return response


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


class ArticlesOfView(CardsPage):
    """The published articles of one topic or provider, found by its slug."""

    owner_model: type[Topic] | type[Provider]
    listing: PreparedQuery  # a card query that takes the owner's id

    def get_queryset(self):
        self.owner = get_object_or_404(self.owner_model, slug=self.kwargs["slug"])
        self.name = escape(self.owner.name)
        return cards.Listing(self.listing, [self.owner.pk])


class TopicDetailView(ArticlesOfView):
    owner_model, listing = Topic, cards.OF_TOPIC

    def heading(self) -> str:
        return self.name

    def blocks(self) -> dict[str, str]:
        feed = escape(slug_urls("articles:topic-feed")(self.owner.slug))
        return {
            "title": f"{self.name} — Newsroom",
            "description": f"The latest AI news on {self.name}.",
            "feeds": '<link rel="alternate" type="application/rss+xml" '
            f'title="Newsroom — {self.name} (RSS)" href="{feed}">',
        }


class ProviderDetailView(ArticlesOfView):
    owner_model, listing = Provider, cards.OF_PROVIDER

    def heading(self) -> str:
        return f'{self.name} <span class="domain">{escape(self.owner.domain)}</span>'

    def blocks(self) -> dict[str, str]:
        return {"title": f"{self.name} — Newsroom", "description": f"AI news from {self.name}."}


class SearchView(ArticleListView):
    """Full-text search over published articles, best match first."""

    template_name = "articles/search.html"

    def get_queryset(self):
        self.query = self.request.GET.get("q", "").strip()[:200]
        # A result shows title, source, date and the headline: a card's columns, no more.
        articles = Article.objects.published().select_related("provider")
        return search(self.query, articles.only(*cards.CARD_COLUMNS))

    def prepare(self, articles: list[Article]) -> list[Article]:
        article_url = slug_urls("articles:article")
        for article in articles:
            article.url = article_url(article.slug)
        return articles

    def get_context_data(self, **kwargs):
        return super().get_context_data(query=self.query, **kwargs)


@require_safe  # GET, and HEAD for monitors and crawlers that only check
def healthz(request):
    """200 when the database answers, 503 when it does not (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return unavailable(request)  # the same 503 a failure elsewhere gets
    return JsonResponse({"status": "ok"})


@require_safe
def robots_txt(request):
    sitemap = request.build_absolute_uri("/sitemap.xml")
    lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /search/", f"Sitemap: {sitemap}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")

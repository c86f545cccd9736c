"""The API's viewsets: articles (read, and editors' PATCH), topics and providers (read).

Visibility is the site's: anonymous clients and non-staff users see published articles
only (an unpublished slug is a 404); staff see everything, as they do in previews.
Editors (the `articles.change_article` permission) may PATCH an article's published state
and quality, which goes through `articles.editorial.decide` like the admin's changes.
"""

from __future__ import annotations

from django.utils.decorators import method_decorator
from django.utils.http import http_date
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.response import Response

from ..cache import cached_page
from ..editorial import decide
from ..models import Article, EditorialChange, Provider, Topic, with_published_counts
from ..queries import article_row, article_rows
from .access import EditorsMayPatch
from .filters import ArticleFilter, ArticleFilterBackend, asks_for_filters
from .pagination import ByNamePagination, FirstPages, KeysetPagination
from .serializers import (
    ArticleSerializer,
    EditorialSerializer,
    ErrorSerializer,
    ProviderSerializer,
    TopicSerializer,
    last_modified,
)

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="A parameter or field is invalid."),
    404: OpenApiResponse(ErrorSerializer, description="Not found, or not published."),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests; see Retry-After."),
}


def find_article(request, slug: str) -> dict:
    """The article at `slug` as the request may see it (queries.article_row()), or a 404."""
    article = article_row(slug, published_only=not sees_unpublished(request.user))
    if article is None:
        raise exceptions.NotFound()
    return article


def sees_unpublished(user) -> bool:
    """Staff and editors see every article (previews, and what they may publish)."""
    return user.is_staff or user.has_perm("articles.change_article")


# The articles as rows, for the public (True) and for staff and editors (False): built once,
# cloned with .all() for each request as DRF does a view's `queryset`; and the first page
# of each in every ordering.
ARTICLE_ROWS = {published_only: article_rows(published_only) for published_only in (True, False)}
FIRST_PAGES = {published_only: FirstPages(rows) for published_only, rows in ARTICLE_ROWS.items()}


# --- views ----------------------------------------------------------------------------------


# Anonymous JSON answers are kept by the site's page cache (articles/cache.py), keyed also
# by Accept (the browsable API is HTML) and Origin (CORS), until the content changes.
cached = method_decorator(cached_page, name="dispatch")


@cached
@extend_schema_view(
    list=extend_schema(
        summary="Published articles, newest first",
        responses={200: ArticleSerializer(many=True), 400: ERRORS[400], 429: ERRORS[429]},
    ),
    retrieve=extend_schema(
        summary="One article",
        responses={200: ArticleSerializer, 404: ERRORS[404], 429: ERRORS[429]},
    ),
    partial_update=extend_schema(
        summary="Publish, hold back or re-score an article (editors)",
        request=EditorialSerializer,
        responses={
            200: ArticleSerializer,
            400: ERRORS[400],
            401: OpenApiResponse(ErrorSerializer, description="Not signed in."),
            403: OpenApiResponse(ErrorSerializer, description="Not an editor, or no CSRF token."),
            404: ERRORS[404],
        },
    ),
)
class ArticleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ArticleSerializer
    lookup_field = "slug"
    lookup_value_regex = r"[-\w]+"
    filter_backends = [ArticleFilterBackend]
    filterset_class = ArticleFilter
    pagination_class = KeysetPagination
    permission_classes = [EditorsMayPatch]
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        # Rows, not model instances: the serializer writes each out from its columns.
        return ARTICLE_ROWS[not sees_unpublished(self.request.user)].all()

    def paginate_queryset(self, queryset):
        # Without a parameter ArticleFilterBackend would filter on, a first page comes from
        # queries prepared once per process.
        first_pages = None
        if not asks_for_filters(self.request):
            first_pages = FIRST_PAGES[not sees_unpublished(self.request.user)]
        return self.paginator.paginate_queryset(queryset, self.request, self, first_pages)

    def retrieve(self, request, *args, **kwargs):
        article = find_article(request, kwargs["slug"])
        response = Response(self.get_serializer(article).data)
        # With the ETag that ConditionalGetMiddleware adds, a client may revalidate either way.
        response.headers["Last-Modified"] = http_date(last_modified(article).timestamp())
        return response

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            raise exceptions.MethodNotAllowed(request.method)
        article = find_article(request, kwargs["slug"])  # editors see every article
        editorial = EditorialSerializer(data=request.data)
        editorial.is_valid(raise_exception=True)  # the values decide() accepts, and no other
        values = dict(editorial.validated_data)
        reason = values.pop("reason", "")
        decide(
            Article.objects.filter(pk=article["id"]),
            values,
            user=request.user,
            via=EditorialChange.Via.API,
            reason=reason,
        )
        article = find_article(request, kwargs["slug"])  # as it now is
        return Response(self.get_serializer(article).data, status=status.HTTP_200_OK)


@cached
@extend_schema_view(
    list=extend_schema(
        responses={200: TopicSerializer(many=True), 400: ERRORS[400], 429: ERRORS[429]}
    ),
    retrieve=extend_schema(responses={200: TopicSerializer, 404: ERRORS[404], 429: ERRORS[429]}),
)
class TopicViewSet(viewsets.ReadOnlyModelViewSet):
    """Topics with published articles, and how many each has."""

    queryset = Topic.objects.all()
    serializer_class = TopicSerializer
    lookup_field = "slug"
    lookup_value_regex = r"[-\w]+"
    pagination_class = ByNamePagination

    def get_queryset(self):
        return with_published_counts(self.queryset.all())


@extend_schema_view(  # cached already: dispatch is TopicViewSet's
    list=extend_schema(
        responses={200: ProviderSerializer(many=True), 400: ERRORS[400], 429: ERRORS[429]}
    ),
    retrieve=extend_schema(responses={200: ProviderSerializer, 404: ERRORS[404], 429: ERRORS[429]}),
)
class ProviderViewSet(TopicViewSet):
    """Providers with published articles, and how many each has."""

    queryset = Provider.objects.all()
    serializer_class = ProviderSerializer

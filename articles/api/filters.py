"""The article list's filters (django-filter): every bad value is a 400 that names it."""

from __future__ import annotations

import re
from datetime import UTC

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field

from ..models import Article, ArticleTopic, published_rule
from ..search import search

# Whole numbers a database integer column can compare with; larger ones are refused
# rather than overflowing the driver.
MAX_INT = 2**31 - 1
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")  # our slugs are ASCII
MAX_TOPICS = 20


class SlugListField(forms.CharField):
    """One or several slugs: `topic=a&topic=b`."""

    widget = forms.SelectMultiple

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else [value or ""]
        slugs = [str(v) for v in values]
        if len(slugs) > MAX_TOPICS:
            raise ValidationError(f"Give at most {MAX_TOPICS} topics.")
        for slug in slugs:
            if not slug:
                raise ValidationError("Give a topic's slug, e.g. ai-ethics, or leave topic out.")
            if len(slug) > 100 or not _SLUG.match(slug):
                raise ValidationError(
                    f"{slug[:50]!r} is not a slug: use the slug of a topic, e.g. ai-ethics."
                )
        return slugs

    def validate(self, value):
        pass  # optional; each slug was checked in to_python


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$", "maxLength": 100},
        "maxItems": MAX_TOPICS,
        "description": "Topic slug; repeated (topic=a&topic=b), any of them.",
    }
)
class SlugListFilter(django_filters.Filter):
    field_class = SlugListField


class TrueFalseField(forms.Field):
    """true or false, as JSON writes them; nothing else passes for a boolean."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value not in ("true", "false"):
            raise ValidationError("Use true or false.")
        return value == "true"


class TrueFalseFilter(django_filters.BooleanFilter):
    field_class = TrueFalseField


class UTCDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time, given to the database in UTC: PostgreSQL refuses offsets
    beyond ±15:59, which Python (and ISO 8601 parsers) accept."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise ValidationError("Give a date-time between the years 1 and 9999.") from None


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class WholeNumberFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


def quality_filter(lookup_expr: str, description: str) -> WholeNumberFilter:
    """A bound on the quality score; the schema says which numbers it takes."""

    @extend_schema_field(
        {"type": "integer", "minimum": 0, "maximum": MAX_INT, "description": description}
    )
    class QualityFilter(WholeNumberFilter):
        pass

    return QualityFilter(
        field_name="quality", lookup_expr=lookup_expr, min_value=0, max_value=MAX_INT
    )


class ArticleFilter(django_filters.FilterSet):
    topic = SlugListFilter(method="filter_topics")
    provider = django_filters.CharFilter(
        field_name="provider__slug", max_length=255, help_text="Provider slug."
    )
    published_after = UTCDateTimeFilter(
        field_name="published_at",
        lookup_expr="gte",
        help_text="ISO 8601 date-time, e.g. 2024-05-01T00:00:00Z: published then or later.",
    )
    published_before = UTCDateTimeFilter(
        field_name="published_at",
        lookup_expr="lt",
        help_text="ISO 8601 date-time: published before then.",
    )
    quality_min = quality_filter("gte", "Lowest quality score, inclusive.")
    quality_max = quality_filter("lte", "Highest quality score, inclusive.")
    type = django_filters.CharFilter(max_length=50, help_text="Article type, e.g. article.")
    category = django_filters.CharFilter(max_length=50, help_text="Category, e.g. news.")
    q = django_filters.CharFilter(
        method="filter_search",
        max_length=500,
        help_text="Full-text search: articles matching every word, best match first.",
    )
    collapse = django_filters.ChoiceFilter(
        choices=[("story", "story")],
        method="filter_collapse",
        help_text="`story`: one article per story (the same news from several providers), "
        "the story's lead: its best published article by quality, then the newest.",
    )
    is_published = TrueFalseFilter(
        method="filter_published",
        help_text="Published (true) or held back (false); only staff and editors see held-back "
        "ones.",
    )

    class Meta:
        model = Article
        fields: list[str] = []  # all declared above

    # Parameters with a type: given empty, they are a mistake rather than "no filter".
    TYPED = ("published_after", "published_before", "quality_min", "quality_max", "is_published")

    def is_valid(self):
        valid = super().is_valid()
        for name in self.TYPED:
            if name in self.data and not self.data[name].strip():
                self.form.add_error(name, "Give a value, or leave the parameter out.")
                valid = False
        return valid

    def filter_topics(self, queryset, name, slugs):
        if not slugs:
            return queryset
        # EXISTS rather than a join (no duplicates, so no DISTINCT) or IN (which SQLite
        # gathers whole, then sorts): the rows are read in the page's order and each is
        # looked up in the article-topic index, so a page of a big topic stops early.
        tagged = ArticleTopic.objects.filter(article=OuterRef("pk"), topic__slug__in=slugs)
        return queryset.filter(Exists(tagged))

    def filter_search(self, queryset, name, query):
        if not query.strip():
            return queryset
        return search(query, queryset)

    def filter_collapse(self, queryset, name, value):
        return queryset.filter(is_story_lead=True) if value == "story" else queryset

    def filter_published(self, queryset, name, value):
        # Others' querysets hold published articles only: for them, false finds nothing.
        if value is None:
            return queryset
        return queryset.published() if value else queryset.exclude(published_rule())


def asks_for_filters(request) -> bool:
    """Whether the list is asked to filter: without one of ArticleFilter's parameters, the
    backend below leaves it whole (and the view serves a first page prepared once)."""
    return bool(request.query_params.keys() & ArticleFilter.base_filters.keys())


class ArticleFilterBackend(DjangoFilterBackend):
    """django-filter, skipped when no filter is asked for: building a FilterSet deep-copies
    every filter, a fifth of an unfiltered list's time in the profile."""

    def filter_queryset(self, request, queryset, view):
        # Only the list filters: an article's own URL names it whatever the query string.
        if view.action != "list" or not asks_for_filters(request):
            return queryset
        return super().filter_queryset(request, queryset, view)

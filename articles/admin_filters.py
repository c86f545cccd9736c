"""The desk's changelist tools that stay fast at 100,000 articles: a paginator that never
counts the whole table, and list filters that never list or scan every row on a page load."""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.utils.functional import cached_property

from .dashboard import QUALITY_BANDS
from .models import Article

# Counting stops here: past it the list says "10000+", and editors narrow it with a filter.
COUNT_CAP = 10_000
# Article types change only when a new kind of feed is imported.
TYPE_CHOICES_SECONDS = 300


class AtLeast(int):
    """A count that was cut off at a cap: prints as "10000+" wherever the admin shows it."""

    def __str__(self):
        return f"{int(self)}+"


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 rows (a bounded scan) instead of the whole table."""

    @cached_property
    def count(self):
        # Of the rows, only their keys: the columns' annotations are for the page's rows.
        counted = self.object_list.values("pk")[: COUNT_CAP + 1].count()
        return AtLeast(COUNT_CAP) if counted > COUNT_CAP else counted


class AutocompleteFilter(admin.FieldListFilter):
    """Filter by a provider or a topic found by typing (the admin's select2 autocomplete),
    instead of listing every one of them on every page load. Without JavaScript it is a
    plain form with a Filter button."""

    template = "admin/articles/autocomplete_filter.html"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.parameter = f"{field_path}__{field.target_field.attname}__exact"
        super().__init__(field, request, params, model, model_admin, field_path)
        # The form field gives the widget the label of the chosen row (one query, only when
        # the filter is on); the admin's autocomplete view searches the rest as one types.
        self.form_field = forms.ModelChoiceField(
            queryset=field.related_model._default_manager.all(),
            required=False,
            widget=AutocompleteSelect(
                field, model_admin.admin_site, attrs={"class": "desk-autocomplete-filter"}
            ),
        )

    def expected_parameters(self):
        return [self.parameter]

    def get_facet_counts(self, pk_attname, filtered_qs):
        return {}  # no list of choices to count

    def choices(self, changelist):
        value = self.used_parameters.get(self.parameter)
        value = value[-1] if isinstance(value, list) else value
        # Every other filter, search and ordering is kept when this one changes.
        keep = {k: v for k, v in changelist.filter_params.items() if k != self.parameter}
        yield {
            "selected": value is not None,
            "select": self.form_field.widget.render(
                self.parameter, value, {"id": f"id_{self.parameter}"}
            ),
            "hidden": [(name, item) for name, values in keep.items() for item in values],
            "clear_query_string": changelist.get_query_string(remove=[self.parameter]),
        }


class QualityBandFilter(admin.SimpleListFilter):
    title = "quality"
    parameter_name = "quality_band"

    def lookups(self, request, model_admin):
        return [(band.key, band.label) for band in QUALITY_BANDS]

    def queryset(self, request, queryset):
        for band in QUALITY_BANDS:
            if band.key == self.value():
                return queryset.filter(band.condition)
        return queryset


class YesNoFilter(admin.SimpleListFilter):
    """A filter of two choices: the articles that meet `condition()`, or those that do not."""

    labels = ("Yes", "No")

    def condition(self) -> Q | Exists:
        raise NotImplementedError

    def lookups(self, request, model_admin):
        return [("yes", self.labels[0]), ("no", self.labels[1])]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(self.condition())
        if self.value() == "no":
            return queryset.exclude(self.condition())
        return queryset


class EditorDecisionFilter(YesNoFilter):
    """Articles whose published state or quality an editor has set (imports leave them)."""

    title = "editor's decision"
    parameter_name = "decided"
    labels = ("Set by an editor", "As the feed gave it")

    def condition(self):
        # editor_fields is kept sorted; an article an editor only moved between stories
        # (["story"]) still has the feed's published state and quality.
        return ~Q(editor_fields=[]) & ~Q(editor_fields=[Article.EditorialField.STORY])


class OtherCoverageFilter(YesNoFilter):
    """Articles whose story other articles report too (see articles/stories.py)."""

    title = "other coverage"
    parameter_name = "covered"
    labels = ("Has other coverage", "Only this article")

    def condition(self):
        return Exists(Article.objects.filter(story=OuterRef("story")).exclude(pk=OuterRef("pk")))


class TypeFilter(admin.SimpleListFilter):
    """The feed's article types. Listing them takes a DISTINCT over the whole table, so the
    list is cached for a few minutes rather than scanned on every page load."""

    title = "type"
    parameter_name = "type"

    def lookups(self, request, model_admin):
        types = cache.get_or_set(
            "desk:article-types",
            lambda: list(
                Article.objects.exclude(type="")
                .order_by("type")
                .values_list("type", flat=True)
                .distinct()
            ),
            TYPE_CHOICES_SECONDS,
        )
        return [(kind, kind) for kind in types]

    def queryset(self, request, queryset):
        return queryset.filter(type=self.value()) if self.value() else queryset

"""The editors' desk: the Django admin for articles, providers, topics and their history.

Editors publish, hold back and score articles here: in the list, on the change page or in
bulk. Every such decision goes through `articles.editorial.decide`, so it is recorded (who,
when, old and new value, how, why) and kept by later imports. Everything else about an
article came from its feed and is shown read-only: the next import would overwrite an edit.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.admin.widgets import AutocompleteSelect
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from .admin_filters import (
    AutocompleteFilter,
    CappedPaginator,
    EditorDecisionFilter,
    OtherCoverageFilter,
    QualityBandFilter,
    TypeFilter,
)
from .admin_forms import ArticleChangeForm, ArticleListForm, SetQualityForm
from .editorial import decide
from .models import (
    Article,
    ArticleTopic,
    EditorialChange,
    Image,
    Provider,
    RelatedItem,
    Topic,
    published_rule,
)
from .stories import merge, split

Via = EditorialChange.Via
SECURED_SHOWN = 12  # characters of `secured` the change page shows


class ReadOnlyInline(admin.TabularInline):
    """What the feed listed with the article: shown, never edited here."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ImageInline(ReadOnlyInline):
    model = Image
    fk_name = "article"
    fields = readonly_fields = ["position", "role", "link", "width", "height", "title", "is_cached"]

    def get_queryset(self, request):
        # By the column: the model's ordering would join the article for nothing.
        return super().get_queryset(request).order_by("position", "id")

    @admin.display(description="URL")
    def link(self, image):
        # Linked, not embedded: the desk never loads third-party images into editors' browsers.
        return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', image.url, image.url)


class RelatedItemInline(ReadOnlyInline):
    model = RelatedItem
    fk_name = "article"
    verbose_name_plural = "related items (from the feed)"
    fields = readonly_fields = [
        "position",
        "title",
        "provider_name",
        "published_at",
        "quality",
        "web_url",
        "local_article",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("linked_article")
            .only(
                "article_id",
                *(name for name in self.fields if name != "local_article"),
                "linked_article__id",
                "linked_article__slug",
                "linked_article__title",
                "linked_article__is_published",
            )
            .order_by("position")
        )

    @admin.display(description="our copy")
    def local_article(self, item):
        linked = item.linked_article
        if linked is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:articles_article_change", args=[linked.pk]),
            "desk",
            linked.get_absolute_url(),
            "public page" if linked.is_published else "preview",
        )


def topic_links():
    # Ordered by the column, not the relation, so the prefetch does not join the article.
    return ArticleTopic.objects.select_related("topic").order_by("article_id", "position")


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleChangeForm
    list_display = [
        "title",
        "provider_column",
        "published_at",
        "topic_names",
        "quality",
        "heat",
        "story_column",
        "is_published",
    ]
    list_display_links = ["title"]
    list_editable = ["is_published", "quality"]
    list_filter = [
        "is_published",
        ("provider", AutocompleteFilter),
        ("topics", AutocompleteFilter),
        TypeFilter,
        QualityBandFilter,
        OtherCoverageFilter,
        EditorDecisionFilter,
    ]
    list_select_related = ["provider"]
    search_fields = ["title", "excerpt", "provider__name"]
    search_help_text = "Searches titles, excerpts and provider names."
    date_hierarchy = "published_at"
    list_per_page = 100
    list_max_show_all = 200
    # The full count is a scan of the whole table on every page load; the paginator's count
    # is capped instead (see admin_filters.CappedPaginator).
    show_full_result_count = False
    paginator = CappedPaginator
    view_on_site = True
    save_on_top = True
    actions = ["publish", "unpublish", "set_quality", "merge_stories", "split_stories"]
    inlines = [ImageInline, RelatedItemInline]
    fieldsets = [
        (
            "Editorial decision",
            {
                "fields": [
                    ("is_published", "quality"),
                    "reason",
                    ("feed_published", "feed_quality"),
                    "decided_by_editor",
                ],
                "description": "Your decisions are recorded in the history and kept "
                "when the feed sends the article again.",
            },
        ),
        (
            "Story (from the feed)",
            {
                "fields": [
                    "title",
                    "excerpt",
                    "body",
                    ("category", "type"),
                    ("published_at", "heat"),
                    ("provider", "provider_name"),
                    "topic_names",
                ]
            },
        ),
        (
            "Other coverage",
            {
                "fields": [("story", "is_story_lead"), "other_coverage"],
                "description": "Articles that report the same news form a story; lists show "
                "its lead. Merge or split stories with the actions of the article list.",
            },
        ),
        (
            "Links",
            {
                "fields": [
                    "public_page",
                    "original",
                    "web_url",
                    "original_url",
                    "amp_url",
                    "cdn_amp_url",
                ]
            },
        ),
        (
            "Source",
            {
                "classes": ["collapse"],
                "fields": [
                    "slug",
                    "source_key",
                    "secured_shortened",
                    "extra_json",
                    "source_path",
                    ("source_hash", "record_hash"),
                    ("story_url", "story_image"),
                    ("imported_at", "updated_at"),
                ],
            },
        ),
    ]
    # Everything but the editor's decision came from the feed (or is computed from it).
    readonly_fields = [
        name for name in flatten_fieldsets(fieldsets) if name not in ArticleChangeForm.Meta.fields
    ]
    readonly_fields.remove("reason")

    @property
    def media(self):
        # The autocomplete filters' select2 (the admin adds widget media only for forms'
        # widgets), then the desk's own, which needs the admin's jQuery.
        autocomplete = AutocompleteSelect(Article._meta.get_field("provider"), self.admin_site)
        desk = forms.Media(
            css={"all": ["desk/desk.css"]}, js=["admin/js/jquery.init.js", "desk/filters.js"]
        )
        return super().media + autocomplete.media + desk

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("article_topics", topic_links()))
            # How many articles the row's story has: the row's own among them.
            .annotate(story_size=article_count("story", of="story"))
        )

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=ArticleListForm, **kwargs)

    def has_add_permission(self, request):
        return False  # articles come from imports

    def save_model(self, request, obj, form, change):
        # The only write the desk makes to an article: its editorial fields, through decide().
        via = Via.ADMIN_LIST if isinstance(form, ArticleListForm) else Via.ADMIN_FORM
        decide(
            Article.objects.filter(pk=obj.pk),
            form.editorial_values(),
            user=request.user,
            via=via,
            reason=form.cleaned_data.get("reason", ""),
        )

    def history_view(self, request, object_id, extra_context=None):
        changes = EditorialChange.objects.filter(article_id=object_id).only(
            "field", "old_value", "new_value", "username", "via", "reason", "changed_at"
        )
        context = {"editorial_changes": changes, **(extra_context or {})}
        return super().history_view(request, object_id, extra_context=context)

    # Bulk actions.

    def _decide(self, request, queryset, values, reason="") -> None:
        selected = queryset.count()
        changes = decide(queryset, values, user=request.user, via=Via.ADMIN_ACTION, reason=reason)
        # Confirmations (the value it already had, now the editor's) are recorded too.
        changed = len({c.article_id for c in changes if c.old_value != c.new_value})
        message = f"{changed} of {selected} selected article{'s' * (selected != 1)} changed"
        if changed < selected:
            message += "; the others already had that value"
        self.message_user(request, message + ".", messages.SUCCESS if changed else messages.INFO)

    @admin.action(description="Publish selected articles", permissions=["change"])
    def publish(self, request, queryset):
        self._decide(request, queryset, {"is_published": True})

    @admin.action(description="Unpublish selected articles", permissions=["change"])
    def unpublish(self, request, queryset):
        self._decide(request, queryset, {"is_published": False})

    @admin.action(description="Set quality of selected articles…", permissions=["change"])
    def set_quality(self, request, queryset):
        """Asks for the score (and a reason) on a page of its own, then applies it."""
        form = SetQualityForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._decide(
                request,
                queryset,
                {"quality": form.cleaned_data["quality"]},
                form.cleaned_data["reason"],
            )
            return None  # back to the list
        context = {
            **self.admin_site.each_context(request),
            "title": "Set the quality of articles",
            "opts": self.opts,
            "form": form,
            "count": queryset.count(),
            "sample": queryset.values_list("title", flat=True)[:10],
            "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action": "set_quality",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/articles/article/set_quality.html", context)

    @admin.action(description="Merge selected articles into one story", permissions=["change"])
    def merge_stories(self, request, queryset):
        story = merge(queryset, user=request.user, via=Via.ADMIN_ACTION)
        count = Article.objects.filter(story_id=story).count()
        url = reverse("admin:articles_article_changelist") + f"?story__id__exact={story}"
        self.message_user(
            request,
            format_html(
                'Merged into <a href="{}">story {}</a>, now {} articles.', url, story, count
            ),
            messages.SUCCESS,
        )

    @admin.action(
        description="Split selected articles out into stories of their own",
        permissions=["change"],
    )
    def split_stories(self, request, queryset):
        stories = split(queryset, user=request.user, via=Via.ADMIN_ACTION)
        self.message_user(
            request,
            f"{len(stories)} article{'s' * (len(stories) != 1)} now in a story of its own; "
            "imports and regrouping will keep them apart.",
            messages.SUCCESS,
        )

    # Columns and read-only fields.

    @admin.display(description="story", ordering="story_size")
    def story_column(self, article):
        if not article.story_id or article.story_size < 2:
            return "—"
        url = reverse("admin:articles_article_changelist") + f"?story__id__exact={article.story_id}"
        others = article.story_size - 1
        return format_html(
            '<a href="{}" title="Story {}">+{} other{}</a>',
            url,
            article.story_id,
            others,
            "s" * (others != 1),
        )

    @admin.display(description="other coverage")
    def other_coverage(self, article):
        """The story's other articles, each linked to its desk page."""
        others = (
            Article.objects.filter(story_id=article.story_id)
            .exclude(pk=article.pk)
            .order_by("-published_at")
            .values_list("pk", "title", "provider_name", "is_published")
            if article.story_id
            else []
        )
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a> ({}{})</li>',
            (
                (
                    reverse("admin:articles_article_change", args=[pk]),
                    title,
                    provider or "no provider",
                    "" if published else ", unpublished",
                )
                for pk, title, provider, published in others
            ),
        )
        if not items:
            return "None: no other article reports this story."
        return format_html('<ul class="desk-coverage">{}</ul>', items)

    @admin.display(description="provider", ordering="provider__name")
    def provider_column(self, article):
        return article.provider or article.provider_name or "—"

    @admin.display(description="topics")
    def topic_names(self, article):
        return ", ".join(link.topic.name for link in article.article_topics.all()) or "—"

    @admin.display(description="decided by an editor")
    def decided_by_editor(self, article):
        names = {f.value: f.label for f in Article.EditorialField}
        return (
            ", ".join(names.get(field, field) for field in article.editor_fields) or "Nothing yet"
        )

    @admin.display(description="public page")
    def public_page(self, article):
        label = "Open" if article.is_published else "Preview (unpublished: only staff see it)"
        return format_html('<a href="{}">{}</a>', article.get_absolute_url(), label)

    @admin.display(description="original story")
    def original(self, article):
        if not article.original_link:
            return "—"
        return format_html(
            '<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>',
            article.original_link,
            article.original_link,
        )

    @admin.display(description="secured")
    def secured_shortened(self, article):
        # Opaque and never to be shown whole: enough to recognise it, not to use it.
        if not article.secured:
            return "—"
        return article.secured[:SECURED_SHOWN] + (
            "…" if len(article.secured) > SECURED_SHOWN else ""
        )

    @admin.display(description="extra (source keys kept as sent)")
    def extra_json(self, article):
        if not article.extra:
            return "—"
        text = json.dumps(article.extra, indent=2, ensure_ascii=False, sort_keys=True)
        return format_html('<pre class="desk-json">{}</pre>', text)


def article_count(relation: str, condition: Q | None = None, *, of: str = "pk"):
    """Articles of each row counted in a correlated subquery, on the foreign key's index:
    computed only for the rows of the page, instead of grouping the whole article table.
    `of` names what of the row the relation points at: the row itself, or its story."""
    through = ArticleTopic.objects if relation == "topic" else Article.objects
    rows = through.filter(**{relation: OuterRef(of)}).order_by()
    if condition is not None:
        rows = rows.filter(condition)
    counted = rows.values(relation).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


class CountsChangeListMixin:
    """Provider and topic lists with their article counts, sortable."""

    show_full_result_count = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                article_count=article_count(self.count_relation),
                published_count=article_count(self.count_relation, self.published_condition),
            )
        )

    @admin.display(description="articles", ordering="article_count")
    def articles(self, obj):
        return obj.article_count

    @admin.display(description="published", ordering="published_count")
    def published(self, obj):
        return obj.published_count


@admin.register(Provider)
class ProviderAdmin(CountsChangeListMixin, admin.ModelAdmin):
    count_relation = "provider"
    published_condition = published_rule()  # the site's rule, from the article
    list_display = ["name", "domain", "articles", "published"]
    search_fields = ["name", "domain"]
    fields = ["name", "domain", "slug"]
    # The importer finds providers by domain: changing it would split the provider in two.
    readonly_fields = ["domain", "slug"]

    def has_add_permission(self, request):
        return False  # providers come from imports


@admin.register(Topic)
class TopicAdmin(CountsChangeListMixin, admin.ModelAdmin):
    count_relation = "topic"
    published_condition = published_rule("article")  # the site's rule, through the link
    list_display = ["name", "articles", "published"]
    search_fields = ["name"]
    fields = ["name", "slug"]
    # The importer files articles under topics by name: a renamed topic would come back.
    readonly_fields = ["name", "slug"]

    def has_add_permission(self, request):
        return False  # topics come from imports


@admin.register(EditorialChange)
class EditorialChangeAdmin(admin.ModelAdmin):
    """The log of every editorial decision: read-only for everyone, superusers included."""

    list_display = [
        "changed_at",
        "article_link",
        "field",
        "old_to_new",
        "username",
        "via",
        "reason",
    ]
    list_filter = ["field", "via", ("user", admin.RelatedOnlyFieldListFilter), "changed_at"]
    search_fields = ["article__title", "username", "reason"]
    date_hierarchy = "changed_at"
    list_per_page = 100
    show_full_result_count = False
    paginator = CappedPaginator

    def get_queryset(self, request):
        # Of the article, only what the log shows: not its body, extra or secured.
        return (
            super()
            .get_queryset(request)
            .select_related("article")
            .defer("article__body", "article__extra", "article__secured", "article__excerpt")
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="article", ordering="article__title")
    def article_link(self, change):
        url = reverse("admin:articles_article_change", args=[change.article_id])
        return format_html('<a href="{}">{}</a>', url, change.article.title)

    @admin.display(description="old → new")
    def old_to_new(self, change):
        return f"{json.dumps(change.old_value)} → {json.dumps(change.new_value)}"

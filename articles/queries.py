"""The queries the public pages and the API share, each prepared once per process (see
prepared.py): an article by its slug, and the topics and related items of some articles.

Rows are plain dicts, named as `values()` names them (`provider__slug`): what a page or an
API answer shows is written out from them, with no model instance in between.
"""

from __future__ import annotations

from django.db.models import Case, F, QuerySet, When

from .models import Article, ArticleTopic, RelatedItem, published_rule
from .prepared import PreparedQuery
from .stories import other_coverage_column

# What the public never sees of an article, some of it large (extra, secured).
NOT_SHOWN = {
    "source_key", "secured", "extra", "editor_fields", "source_path", "source_hash",
    "record_hash", "feed_quality", "feed_published", "imported_at", "story_url", "story_image",
}  # fmt: skip
# When it last changed, which only an article on its own shows (Last-Modified, the page's
# dateModified): a list leaves it out, and with it a date for the ORM to convert per row.
CHANGED = "updated_at"
# An article's row in a list: its shown columns and its provider's.
ARTICLE_COLUMNS = [
    *(
        field.attname
        for field in Article._meta.concrete_fields
        if field.name not in NOT_SHOWN and field.name != CHANGED
    ),
    *("provider__name", "provider__slug", "provider__domain"),
]


def article_rows(published_only: bool) -> QuerySet:
    """Rows of ARTICLE_COLUMNS and `other_coverage` (see stories.coverage()): of the
    articles the public may see (published ones), or of all of them (for staff and
    editors)."""
    articles = Article.objects.published() if published_only else Article.objects.all()
    return articles.annotate(other_coverage=other_coverage_column()).values(
        *ARTICLE_COLUMNS, "other_coverage"
    )


def _article_by_slug(published_only: bool) -> PreparedQuery:
    return PreparedQuery(
        lambda values: (
            article_rows(published_only)
            .filter(slug=values[0])
            .values(*ARTICLE_COLUMNS, "other_coverage", CHANGED)
        )
    )


_ARTICLE_BY_SLUG = {True: _article_by_slug(True), False: _article_by_slug(False)}


def article_row(slug: str, *, published_only: bool, using: str = "default") -> dict | None:
    """The article at `slug` as ARTICLE_COLUMNS and CHANGED, or None if there is none to
    see."""
    rows = _ARTICLE_BY_SLUG[published_only].rows([slug], using)
    return rows[0] if rows else None


# Each article's topics, in the order its feed listed them.
TOPICS = PreparedQuery(
    lambda ids: (
        ArticleTopic.objects.filter(article_id__in=ids)
        .order_by("article_id", "position")
        .values("article_id", "topic__slug", "topic__name")
    )
)

# Each article's related items, in order. `local_slug` names our own article with the same
# URL only when the public may see it (the visibility rule, applied to the linked article).
RELATED = PreparedQuery(
    lambda ids: (
        RelatedItem.objects.filter(article_id__in=ids)
        .order_by("article_id", "position")
        .values(
            "id",
            "article_id",
            "title",
            "excerpt",
            "published_at",
            "web_url",
            "amp_url",
            "cdn_amp_url",
            "type",
            "quality",
            "provider_name",
            "provider__slug",
            "provider__domain",
            "linked_article__updated_at",
            local_slug=Case(When(published_rule("linked_article"), then=F("linked_article__slug"))),
        )
    )
)

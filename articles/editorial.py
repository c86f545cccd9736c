"""Editors' decisions: the one write path for an article's published state and quality.

The admin's list, change page and bulk actions and the API's PATCH all come here, so every
decision is made the same way: the articles are locked, each real change is recorded as an
`EditorialChange` (who, when, old and new value, through what, why), the fields are marked
as the editor's so that re-imports leave them alone, and cached public pages go stale when
the transaction commits.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import stories  # a module import: stories uses this module's locked() too
from .cache import content_changed
from .models import EDITOR_MAX_QUALITY, VALUE_FIELDS, Article, EditorialChange

EDITORIAL_FIELDS = frozenset(VALUE_FIELDS)


def clean_values(values: Mapping[str, object]) -> dict[str, object]:
    """The editorial values as they will be stored; ValidationError naming each bad field."""
    unknown = set(values) - EDITORIAL_FIELDS
    if unknown:
        raise ValidationError(
            {name: "Editors may set only is_published and quality." for name in sorted(unknown)}
        )
    errors, cleaned = {}, {}
    if "is_published" in values:
        if isinstance(values["is_published"], bool):
            cleaned["is_published"] = values["is_published"]
        else:
            errors["is_published"] = "Use true or false."
    if "quality" in values:
        quality = values["quality"]
        if quality is None or (
            isinstance(quality, int)
            and not isinstance(quality, bool)
            and 0 <= quality <= EDITOR_MAX_QUALITY
        ):
            cleaned["quality"] = quality
        else:
            errors["quality"] = f"Use a whole number from 0 to {EDITOR_MAX_QUALITY}, or null."
    if errors:
        raise ValidationError(errors)
    return cleaned


def locked(articles: QuerySet[Article]) -> QuerySet[Article]:
    """`articles`, locked until the transaction ends (on PostgreSQL; SQLite's writer holds
    the database). By primary key, so that the caller's joins (an admin list's) never reach
    FOR UPDATE, and only the articles' own rows are locked."""
    return (
        Article.objects.filter(pk__in=articles.values("pk"))
        .select_for_update(of=("self",))
        .order_by("pk")
    )


def record(article_id, field, old, new, user, via, reason, at) -> EditorialChange:
    """One entry of the editorial history (not saved yet)."""
    return EditorialChange(
        article_id=article_id,
        field=field,
        old_value=old,
        new_value=new,
        user=user,
        username=user.get_username(),
        via=via,
        reason=reason[:500],
        changed_at=at,
    )


@transaction.atomic
def decide(
    articles: QuerySet[Article],
    values: Mapping[str, object],
    *,
    user,
    via: EditorialChange.Via,
    reason: str = "",
) -> list[EditorialChange]:
    """Set `values` (is_published and/or quality) on every article of `articles`.

    Every field named is marked as the editor's on every article, even where it already had
    that value: the editor decided it, so a later feed must not undo it. Each value changed,
    and each value confirmed for the first time, is recorded (a confirmation with old and
    new the same); deciding again what is already decided writes nothing. Returns the
    recorded changes.
    """
    values = clean_values(values)
    if not values:
        return []
    now = timezone.now()
    changed_articles, changes = [], []
    rows = locked(articles).only("pk", "editor_fields", "story_id", *values)
    for article in rows:
        marked = set(article.editor_fields)
        # A field is recorded when its value changes, and also when an editor first
        # confirms the feed's value: from then on imports leave it alone, and the history
        # must say who decided that.
        decided = {
            field: value
            for field, value in values.items()
            if getattr(article, field) != value or field not in marked
        }
        if not decided:
            continue
        changes += [
            record(article.pk, field, getattr(article, field), value, user, via, reason, now)
            for field, value in decided.items()
        ]
        for field, value in decided.items():
            setattr(article, field, value)
        article.editor_fields = sorted(marked | set(decided))
        article.updated_at = now
        changed_articles.append(article)
    if changed_articles:
        Article.objects.bulk_update(
            changed_articles, [*values, "editor_fields", "updated_at"], batch_size=500
        )
        EditorialChange.objects.bulk_create(changes, batch_size=500)
        # Publishing, holding back or re-scoring an article can change its story's lead.
        stories.refresh_leads(article.story_id for article in changed_articles)
        content_changed()  # bulk_update sends no signal
    return changes

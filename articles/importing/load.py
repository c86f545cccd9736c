"""Write parsed documents to the database, a batch at a time.

A batch costs a bounded number of queries whatever its size: lookups of the existing
articles (locked), providers, logos, topics and slugs; one multi-row INSERT per table (more
only past the database's parameter limit); for updated articles one bulk update (in
statements of a few dozen rows on SQLite, Django's parameter limit) and the deletes of their
children (images, related items with theirs, topics); the id re-reads; and two updates that
link related items to local articles. Each batch is one transaction, so an article is never
half written; if the database refuses a batch, its documents are retried one by one so that
only the offending one fails.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.db import DataError, IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.text import slugify

from .. import stories
from ..bulk import insert_rows
from ..cache import content_changed
from ..matching import Report
from ..models import VALUE_FIELDS, Article, ArticleTopic, Image, Provider, RelatedItem, Topic
from .records import ArticleRecord, ImageRecord, ParsedDocument, ProviderRecord

CREATED, UPDATED, UNCHANGED, SKIPPED, FAILED = (
    "created",
    "updated",
    "unchanged",
    "skipped",
    "failed",
)

# Source fields an import writes on update; editor-owned fields are added unless an editor
# has set them.
SOURCE_FIELDS = [
    "title",
    "excerpt",
    "body",
    "category",
    "type",
    "published_at",
    "original_url",
    "web_url",
    "amp_url",
    "cdn_amp_url",
    "heat",
    "feed_quality",
    "feed_published",
    "provider",
    "provider_name",
    "story",
    "story_url",
    "story_image",
    "secured",
    "extra",
    "source_path",
    "source_hash",
    "record_hash",
    "updated_at",
]
EDITORIAL_FIELDS = list(VALUE_FIELDS)


@dataclass(frozen=True, slots=True)
class Document:
    """One file on its way in: where it came from, its bytes' hash and what it says."""

    path: str
    source_hash: str
    parsed: ParsedDocument
    report: Report | None = None  # what story grouping compares; None when it is off


@dataclass(frozen=True, slots=True)
class Outcome:
    path: str
    status: str
    message: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class Loader:
    """Loads batches; remembers provider and topic ids across batches of one run."""

    def __init__(self):
        self.provider_ids: dict[str, int] = {}
        self.topic_ids: dict[str, int] = {}
        self.providers_with_logos: set[int] = set()

    def load(self, documents: list[Document]) -> list[Outcome]:
        try:
            with transaction.atomic():
                return self._load_batch(documents)
        except (IntegrityError, DataError) as error:
            # The database refused some row; a lock or connection failure is not caught
            # here but ends the run. Caches may name rows of the rolled-back batch.
            self.provider_ids.clear()
            self.topic_ids.clear()
            self.providers_with_logos.clear()
            if len(documents) == 1:
                message = f"the database refused it: {error}".splitlines()[0]
                return [Outcome(documents[0].path, FAILED, message)]
        # Find the document it refused: each on its own, so the others still go in.
        return [outcome for document in documents for outcome in self.load([document])]

    def _load_batch(self, documents: list[Document]) -> list[Outcome]:
        now = timezone.now()
        keys = [d.parsed.record.key for d in documents]
        existing = {
            row["source_key"]: row
            # Locked until the batch commits, so an editor's save that lands meanwhile is
            # neither overwritten nor lost (PostgreSQL; SQLite's writer holds the database).
            for row in Article.objects.select_for_update()
            .filter(source_key__in=keys)
            .values(
                "id",
                "source_key",
                "record_hash",
                "editor_fields",
                "quality",
                "is_published",
                "story_id",
            )
        }
        outcomes, to_create, to_update = [], [], []
        for document in documents:
            row = existing.get(document.parsed.record.key)
            if row and row["record_hash"] == document.parsed.record_hash:
                outcomes.append(Outcome(document.path, UNCHANGED))
            elif row:
                to_update.append((document, row))
                outcomes.append(Outcome(document.path, UPDATED))
            else:
                to_create.append(document)
                outcomes.append(Outcome(document.path, CREATED))
        changed = to_create + [d for d, _ in to_update]
        if not changed:
            return outcomes

        records = [d.parsed.record for d in changed]
        plan = self._stories(to_create, to_update)
        self._ensure_providers(records)
        self._ensure_logos(records)
        self._ensure_topics(records)

        slugs = unique_slugs(
            Article,
            [
                (slugify(d.parsed.record.title)[:80].strip("-"), d.parsed.record.key)
                for d in to_create
            ],
        )
        insert_rows(
            Article,
            [
                self._article(d, now)
                | {
                    "slug": slug,
                    "imported_at": now,
                    "is_story_lead": True,
                    "story_id": plan.story_ids.get(d.parsed.record.key),
                }
                for d, slug in zip(to_create, slugs, strict=True)
            ],
        )
        ids = dict(
            Article.objects.filter(
                source_key__in=[d.parsed.record.key for d in to_create]
            ).values_list("source_key", "id")
        )
        updated = []
        for document, row in to_update:
            values = self._article(document, now)
            values["story_id"] = plan.story_ids.get(document.parsed.record.key, row["story_id"])
            for field in row["editor_fields"]:
                if field in EDITORIAL_FIELDS:
                    values[field] = row[field]
            updated.append(Article(id=row["id"], **values))
            ids[document.parsed.record.key] = row["id"]
        if updated:
            Article.objects.bulk_update(updated, SOURCE_FIELDS + EDITORIAL_FIELDS)
            self._delete_children([article.id for article in updated])

        self._create_children([(ids[d.parsed.record.key], d) for d in changed])
        plan.finish()
        content_changed()  # cached public pages go stale when this batch commits
        self._link_related(list(ids.values()), [d.parsed.record.key for d in to_create])
        return outcomes

    def _stories(self, to_create: list[Document], to_update: list[tuple]) -> stories.Plan:
        """The story of each new or changed article (by source key), for the documents that
        come with a Report (all of them, unless the import runs without grouping)."""
        return stories.assign(
            [stories.Incoming(d.parsed.record.key, d.report) for d in to_create if d.report]
            + [
                stories.Incoming(d.parsed.record.key, d.report, row["story_id"], row["id"])
                for d, row in to_update
                if d.report
            ]
        )

    def _article(self, document: Document, now: datetime) -> dict:
        """The article's column values, by field name."""
        record = document.parsed.record
        extra = dict(record.extra)
        if record.provider and record.provider.extra:
            extra["provider"] = record.provider.extra
        return {
            "source_key": record.key,
            "title": record.title,
            "excerpt": record.excerpt,
            "body": record.body,
            "category": record.category,
            "type": record.type,
            "published_at": record.published_at,
            "original_url": record.original_url,
            "web_url": record.web_url,
            "amp_url": record.amp_url,
            "cdn_amp_url": record.cdn_amp_url,
            "quality": record.quality,
            "feed_quality": record.quality,
            "heat": record.heat,
            "is_published": bool(record.published),
            "feed_published": record.published,
            "provider_id": self.provider_ids[record.provider.domain] if record.provider else None,
            "provider_name": record.provider.name if record.provider else "",
            "story_url": document.report.url if document.report else "",
            "story_image": document.report.image if document.report else "",
            "secured": record.secured,
            "extra": extra,
            "editor_fields": [],
            "source_path": document.path[-1000:],
            "source_hash": document.source_hash,
            "record_hash": document.parsed.record_hash,
            "updated_at": now,
        }

    def _ensure_providers(self, records: list[ArticleRecord]) -> None:
        wanted: dict[str, ProviderRecord] = {}
        for record in records:
            for provider in [record.provider, *(item.provider for item in record.related)]:
                if provider and provider.domain not in self.provider_ids:
                    wanted.setdefault(provider.domain, provider)
        if not wanted:
            return
        self.provider_ids.update(
            Provider.objects.filter(domain__in=wanted).values_list("domain", "id")
        )
        missing = [p for domain, p in wanted.items() if domain not in self.provider_ids]
        if not missing:
            return
        slugs = unique_slugs(
            Provider, [(slugify(p.domain.replace(".", "-"))[:230], p.domain) for p in missing]
        )
        # ignore_conflicts: a concurrent import may have created the same provider.
        Provider.objects.bulk_create(
            [
                Provider(name=(p.name or p.domain)[:200], domain=p.domain, slug=slug)
                for p, slug in zip(missing, slugs, strict=True)
            ],
            ignore_conflicts=True,
        )
        new_ids = dict(
            Provider.objects.filter(domain__in=[p.domain for p in missing]).values_list(
                "domain", "id"
            )
        )
        self.provider_ids.update(new_ids)

    def _ensure_logos(self, records: list[ArticleRecord]) -> None:
        """A provider's logo is the first one a document gives it."""
        offered: dict[int, ProviderRecord] = {}
        for record in records:
            for provider in [record.provider, *(item.provider for item in record.related)]:
                if provider and provider.logos:
                    pk = self.provider_ids[provider.domain]
                    if pk not in self.providers_with_logos:
                        offered.setdefault(pk, provider)
        if not offered:
            return
        self.providers_with_logos.update(
            Image.objects.filter(provider_id__in=offered).values_list("provider_id", flat=True)
        )
        insert_rows(
            Image,
            [
                row
                for pk, provider in offered.items()
                if pk not in self.providers_with_logos
                for row in image_rows(provider.logos, Image.Role.LOGO, provider_id=pk)
            ],
        )
        self.providers_with_logos.update(offered)

    def _ensure_topics(self, records: list[ArticleRecord]) -> None:
        wanted = {name for r in records for name in r.topics if name not in self.topic_ids}
        if not wanted:
            return
        self.topic_ids.update(Topic.objects.filter(name__in=wanted).values_list("name", "id"))
        missing = sorted(wanted - self.topic_ids.keys())
        if not missing:
            return
        slugs = unique_slugs(Topic, [(slugify(name)[:90], name) for name in missing])
        Topic.objects.bulk_create(
            [Topic(name=name, slug=slug) for name, slug in zip(missing, slugs, strict=True)],
            ignore_conflicts=True,
        )
        self.topic_ids.update(Topic.objects.filter(name__in=missing).values_list("name", "id"))

    def _delete_children(self, article_ids: list[int]) -> None:
        Image.objects.filter(article_id__in=article_ids).delete()
        # Their images go with them (CASCADE); Django reads the items' ids to find them.
        RelatedItem.objects.filter(article_id__in=article_ids).only("pk").delete()
        ArticleTopic.objects.filter(article_id__in=article_ids).delete()

    def _create_children(self, pairs: list[tuple[int, Document]]) -> None:
        topics, related, images = [], [], []
        for article_id, document in pairs:
            record = document.parsed.record
            topics += [
                {"article_id": article_id, "topic_id": self.topic_ids[name], "position": i}
                for i, name in enumerate(record.topics)
            ]
            images += image_rows(record.images, Image.Role.LEAD, article_id=article_id)
            if record.provider:
                images += image_rows(record.provider.logos, Image.Role.LOGO, article_id=article_id)
            related += [
                {
                    "article_id": article_id,
                    "position": position,
                    "title": item.title,
                    "excerpt": item.excerpt,
                    "published_at": item.published_at,
                    "web_url": item.web_url,
                    "amp_url": item.amp_url,
                    "cdn_amp_url": item.cdn_amp_url,
                    "type": item.type,
                    "provider_id": self.provider_ids[item.provider.domain]
                    if item.provider
                    else None,
                    "provider_name": item.provider.name if item.provider else "",
                    "quality": item.quality,
                    "url_key": item.url_key,
                    "linked_article_id": None,
                    "extra": {**item.extra, "provider": item.provider.extra}
                    if item.provider and item.provider.extra
                    else item.extra,
                }
                for position, item in enumerate(record.related)
            ]
        insert_rows(ArticleTopic, topics)
        insert_rows(RelatedItem, related)
        if related:
            related_ids = {
                (article_id, position): pk
                for article_id, position, pk in RelatedItem.objects.filter(
                    article_id__in=[article_id for article_id, _ in pairs]
                ).values_list("article_id", "position", "id")
            }
            for article_id, document in pairs:
                for position, item in enumerate(document.parsed.record.related):
                    owner = related_ids[article_id, position]
                    images += image_rows(item.images, Image.Role.LEAD, related_item_id=owner)
                    if item.provider:
                        images += image_rows(
                            item.provider.logos, Image.Role.LOGO, related_item_id=owner
                        )
        insert_rows(Image, images)

    def _link_related(self, article_ids: list[int], created_keys: list[str]) -> None:
        local = Subquery(Article.objects.filter(source_key=OuterRef("url_key")).values("pk")[:1])
        # The batch's related items, to articles we already have (or just created) ...
        RelatedItem.objects.filter(article_id__in=article_ids).exclude(url_key="").update(
            linked_article=local
        )
        # ... and older related items to the articles this batch created. (Filtering on
        # url_key alone lets SQLite use its index; "and not linked yet" made it scan every
        # unlinked item instead, a cost that grew with the table.)
        if created_keys:
            RelatedItem.objects.filter(url_key__in=created_keys).update(linked_article=local)


def image_rows(records: tuple[ImageRecord, ...], role: str, **owner) -> list[dict]:
    empty = {"article_id": None, "related_item_id": None, "provider_id": None}
    return [
        {
            **empty,
            **owner,
            "role": role,
            "position": position,
            "url": record.url,
            "width": record.width,
            "height": record.height,
            "title": record.title,
            "is_cached": record.is_cached,
            "extra": record.extra,
        }
        for position, record in enumerate(records)
    ]


def unique_slugs(model, wanted: list[tuple[str, str]]) -> list[str]:
    """Slugs for new rows, one query for the batch: the base slug where it is free, else the
    base plus a short hash of the row's key (a title with no Latin letters has only that)."""
    candidates = [base or _hashed("item", key) for base, key in wanted]
    taken = set(model.objects.filter(slug__in=candidates).values_list("slug", flat=True))
    slugs = []
    for candidate, (base, key) in zip(candidates, wanted, strict=True):
        slug = candidate if candidate not in taken else _hashed(base or "item", key, long=not base)
        taken.add(slug)
        slugs.append(slug)
    return slugs


def _hashed(base: str, key: str, *, long: bool = False) -> str:
    digest = hashlib.sha1(key.encode()).hexdigest()
    return f"{base}-{digest[:12] if long else digest[:8]}"

"""Write articles back as front-matter documents, the format they were imported from.

The article becomes a record again, as its source gave it (editors' decisions stay in the
database), the record its mapping, and the mapping YAML that reads back to the same
mapping: datetimes as `2021-05-04T11:36:00Z`, text quoted wherever YAML would type it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import yaml
from django.db.models import Prefetch

from ..models import Article, ArticleTopic, Image, RelatedItem
from .mapping import article_mapping
from .records import ArticleRecord, ImageRecord, ProviderRecord, RelatedRecord


def articles_for_export():
    return (
        Article.objects.select_related("provider")
        .prefetch_related(
            Prefetch("article_topics", ArticleTopic.objects.select_related("topic")),
            "images",  # in Image's own order: position, then id
            Prefetch(
                "related_items",
                RelatedItem.objects.select_related("provider").prefetch_related("images"),
            ),
        )
        .order_by("id")
    )


def render_document(article: Article) -> str:
    record = article_record(article)
    front = yaml.dump(
        article_mapping(record),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=float("inf"),
    )
    text = f"---\n{front}---\n"
    return f"{text}\n{record.body}\n" if record.body else text


def file_name(article: Article) -> str:
    day = article.published_at.strftime("%Y-%m-%d-") if article.published_at else ""
    return f"{day}{article.slug}.md"


def article_record(article: Article) -> ArticleRecord:
    extra = dict(article.extra)
    provider_extra = extra.pop("provider", {})
    images = list(article.images.all())
    return ArticleRecord(
        key=article.source_key,
        title=article.title,
        excerpt=article.excerpt,
        body=article.body,
        category=article.category,
        type=article.type,
        published_at=article.published_at,
        original_url=article.original_url,
        web_url=article.web_url,
        amp_url=article.amp_url,
        cdn_amp_url=article.cdn_amp_url,
        # What the source said, not what editors decided: the export is the source, and
        # importing it again changes nothing whatever editors did meanwhile.
        quality=article.feed_quality,
        heat=article.heat,
        published=article.feed_published,
        provider=_provider(article, images, provider_extra),
        topics=tuple(link.topic.name for link in article.article_topics.all()),
        images=_images(images, Image.Role.LEAD),
        related=tuple(_related(item) for item in article.related_items.all()),
        secured=article.secured,
        extra=extra,
    )


def _related(item: RelatedItem) -> RelatedRecord:
    extra = dict(item.extra)
    provider_extra = extra.pop("provider", {})
    images = list(item.images.all())
    return RelatedRecord(
        title=item.title,
        url_key=item.url_key,
        excerpt=item.excerpt,
        published_at=item.published_at,
        web_url=item.web_url,
        amp_url=item.amp_url,
        cdn_amp_url=item.cdn_amp_url,
        type=item.type,
        provider=_provider(item, images, provider_extra),
        quality=item.quality,
        images=_images(images, Image.Role.LEAD),
        extra=extra,
    )


def _provider(owner: Article | RelatedItem, images: list[Image], extra: dict):
    """The provider as the owner's document gave it: its name there, and its logos there."""
    if owner.provider is None:
        return None
    return ProviderRecord(
        name=owner.provider_name,
        domain=owner.provider.domain,
        logos=_images(images, Image.Role.LOGO),
        extra=extra,
    )


def _images(images: list[Image], role: str) -> tuple[ImageRecord, ...]:
    return tuple(
        ImageRecord(
            url=image.url,
            width=image.width,
            height=image.height,
            title=image.title,
            is_cached=image.is_cached,
            extra=image.extra,
        )
        for image in images
        if image.role == role
    )


class _Dumper(yaml.SafeDumper):
    """Safe YAML with datetimes written the way the feed writes them."""


def _represent_datetime(dumper: yaml.SafeDumper, value: datetime):
    text = value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", text)


_Dumper.add_representer(datetime, _represent_datetime)

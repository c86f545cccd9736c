"""A record as its front-matter mapping, in the format's key order.

Export writes this mapping back as YAML, and the importer hashes it to tell a changed
document from an unchanged one, so both see exactly the same normalised form.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from .records import ArticleRecord, ImageRecord, ProviderRecord, RelatedRecord


def article_mapping(record: ArticleRecord) -> dict:
    mapping = _present(
        ("category", record.category),
        ("title", record.title),
        ("excerpt", record.excerpt),
        ("publishedDateTime", record.published_at),
        ("originalUrl", record.original_url),
        ("webUrl", record.web_url),
        ("ampWebUrl", record.amp_url),
        ("cdnAmpWebUrl", record.cdn_amp_url),
        ("type", record.type),
        ("quality", record.quality),
        ("heat", record.heat),
        ("published", record.published),
        ("provider", provider_mapping(record.provider) if record.provider else None),
        ("topics", list(record.topics)),
        ("images", [image_mapping(image) for image in record.images]),
        ("related", [related_mapping(item) for item in record.related]),
        ("secured", record.secured),
    )
    mapping.update(record.extra)
    return mapping


def provider_mapping(provider: ProviderRecord) -> dict:
    mapping = _present(
        ("name", provider.name),
        ("domain", provider.domain),
        ("images", [image_mapping(image) for image in provider.logos]),
    )
    mapping.update(provider.extra)
    return mapping


def image_mapping(image: ImageRecord) -> dict:
    mapping = _present(
        ("url", image.url),
        ("width", image.width),
        ("height", image.height),
        ("title", image.title),
        ("isCached", image.is_cached),
    )
    mapping.update(image.extra)
    return mapping


def related_mapping(item: RelatedRecord) -> dict:
    mapping = _present(
        ("title", item.title),
        ("excerpt", item.excerpt),
        ("publishedDateTime", item.published_at),
        ("webUrl", item.web_url),
        ("ampWebUrl", item.amp_url),
        ("cdnAmpWebUrl", item.cdn_amp_url),
        ("type", item.type),
        ("provider", provider_mapping(item.provider) if item.provider else None),
        ("quality", item.quality),
        ("images", [image_mapping(image) for image in item.images]),
    )
    mapping.update(item.extra)
    return mapping


def record_hash(record: ArticleRecord) -> str:
    """A digest of everything the document says, key order aside."""
    payload = json.dumps(
        [article_mapping(record), record.body],
        sort_keys=True,
        ensure_ascii=False,
        default=_iso,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _present(*pairs) -> dict:
    """The pairs whose value the document gave: absent, empty text and empty lists are left out."""
    return {key: value for key, value in pairs if value is not None and value != "" and value != []}


def _iso(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")

"""The validated shape of an imported document, as plain immutable records.

The parser produces these and the loader consumes them; neither side sees the other's
types (YAML nodes, model instances).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class DocumentError(Exception):
    """A document that cannot be imported, with the line of the file that is wrong."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"{self.line}: {self.message}" if self.line else self.message

    def __reduce__(self):
        # Parser processes send errors back pickled; keep the line.
        return DocumentError, (self.message, self.line)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A well-formed document of another type (event, profile, course): not an error."""

    reason: str


@dataclass(frozen=True, slots=True)
class ImageRecord:
    url: str
    width: int | None = None
    height: int | None = None
    title: str = ""
    is_cached: bool | None = None  # None: the document did not say
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProviderRecord:
    name: str
    domain: str
    logos: tuple[ImageRecord, ...] = ()
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RelatedRecord:
    title: str
    url_key: str  # canonical URL, to link to a local article
    excerpt: str = ""
    published_at: datetime | None = None
    web_url: str = ""
    amp_url: str = ""
    cdn_amp_url: str = ""
    type: str = ""
    provider: ProviderRecord | None = None
    quality: int | None = None
    images: tuple[ImageRecord, ...] = ()
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    key: str  # canonical webUrl, else originalUrl, else "title:<slug>"
    title: str
    excerpt: str = ""
    body: str = ""
    category: str = ""
    type: str = ""
    published_at: datetime | None = None
    original_url: str = ""
    web_url: str = ""
    amp_url: str = ""
    cdn_amp_url: str = ""
    quality: int | None = None
    heat: int | None = None
    published: bool | None = None  # None: the document did not say
    provider: ProviderRecord | None = None
    topics: tuple[str, ...] = ()
    images: tuple[ImageRecord, ...] = ()
    related: tuple[RelatedRecord, ...] = ()
    secured: str = ""
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """A valid article document: its record, and what was repaired on the way."""

    record: ArticleRecord
    record_hash: str  # of the normalised mapping and body: equal hashes, equal articles
    repairs: tuple[str, ...] = ()  # fields whose mojibake was repaired
    cleaned: tuple[str, ...] = ()  # fields that lost control or bidi-override characters

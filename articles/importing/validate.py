"""Check a front-matter mapping field by field and build its records.

Pure: no ORM. Each check names the key, its line and the fix. Values are normalised the
way the design asks: datetimes to UTC, text repaired of mojibake, URLs limited to http(s).
Keys the model does not know are kept, JSON-safe, in `extra`.
"""

from __future__ import annotations

import base64
import math
import re
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit, urlunsplit

from django.utils.text import slugify

from .frontmatter import LinedDict
from .records import (
    ArticleRecord,
    DocumentError,
    ImageRecord,
    ProviderRecord,
    RelatedRecord,
    Skipped,
)
from .text import BIDI, Notes, check_body, clean, leading_lines, repair

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# An absolute http(s) URL with a host; a space may occur in the path (real feeds have them).
_HTTP_URL = re.compile(r"https?://[^/?#\\\x00-\x20\x7f]+[^\x00-\x1f\x7f]*\Z", re.IGNORECASE)
# A site-relative path, as older documents give provider logos. Browsers read a backslash
# as a slash, so "/\\evil.example" would leave the site just like "//evil.example".
_SITE_PATH = re.compile(r"/(?![/\\])[^\x00-\x1f\x7f]*\Z")
MAX_URL = 2000
MAX_TITLE = 500
MAX_NAME = 200
MAX_LABEL = 100  # topics
MAX_WORD = 50  # category, type
MAX_ITEMS = 1000  # in a list: related items, images, topics (the corpus has at most 62)

ARTICLE_KEYS = frozenset(
    {
        "category",
        "title",
        "excerpt",
        "publishedDateTime",
        "originalUrl",
        "webUrl",
        "ampWebUrl",
        "cdnAmpWebUrl",
        "type",
        "quality",
        "heat",
        "published",
        "provider",
        "topics",
        "images",
        "related",
        "secured",
    }
)
PROVIDER_KEYS = frozenset({"name", "domain", "images"})
IMAGE_KEYS = frozenset({"url", "width", "height", "title", "isCached"})
RELATED_KEYS = frozenset(
    {
        "title",
        "excerpt",
        "publishedDateTime",
        "webUrl",
        "ampWebUrl",
        "cdnAmpWebUrl",
        "type",
        "provider",
        "quality",
        "images",
    }
)


class Fields:
    """Typed access to one mapping of a document, with errors that name key and line."""

    def __init__(self, data: LinedDict, where: str, notes: Notes):
        self.data = data
        self.where = where  # "provider", "related[3]": prefixes key names in messages
        self.notes = notes

    def name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def line(self, key: str | None = None) -> int:
        return self.data.line_of(key) if key else self.data.line

    def fail(self, key: str, problem: str):
        raise DocumentError(f"{self.name(key)} {problem}", self.line(key))

    def text(
        self,
        key: str,
        *,
        limit: int | None = None,
        required: bool = False,
        line: bool = False,
        verbatim: bool = False,
    ) -> str:
        """Text, repaired of mojibake and cleaned of invisible characters (`line`: a one-line
        field, which loses bidi controls too; `verbatim`: kept as written, for URLs, which are
        checked instead, and the opaque `secured`)."""
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                self.fail(key, "is missing or empty; add it")
            return ""
        if not isinstance(value, str):
            self.fail(key, f"must be text, got {describe(value)}")
        value = repair(value, self.name(key), self.notes)
        if not verbatim and not value.isprintable():  # clean()'s own first test, inline
            value = clean(value, self.name(key), self.notes, line=line)
            if required and not value:
                self.fail(key, "holds only control characters; write it out")
        if limit and len(value) > limit:
            self.fail(key, f"is {len(value):,} characters long; the limit is {limit:,}: shorten it")
        if "\x00" in value:  # checked after the repair, which can decode one
            self.fail(key, "contains a NUL character (\\0); remove it")
        return value

    def url(self, key: str, *, relative_ok: bool = False) -> str:
        value = self.text(key, verbatim=True)
        if value:
            check_url(value, relative_ok=relative_ok, fail=lambda p: self.fail(key, p))
        return value

    def integer(self, key: str, *, minimum: int, hint: str = "") -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(
                key, f"must be a whole number of {minimum} or more{hint}, got {describe(value)}"
            )
        if value > 2**31 - 1:
            self.fail(key, f"is {value}, too large; the limit is {2**31 - 1}")
        return value

    def boolean(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.fail(key, f"must be true or false, got {describe(value)}")
        return value

    def moment(self, key: str) -> datetime | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                self.fail(
                    key, f"{value!r} is not a date and time; write it as 2021-05-04T11:36:00Z"
                )
        if isinstance(value, datetime):
            # Naive datetimes are UTC by the design's rule.
            try:
                return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
            except OverflowError:
                self.fail(key, f"{value.isoformat()} is out of range in UTC")
        if isinstance(value, date):
            return datetime.combine(value, time.min, tzinfo=UTC)
        self.fail(
            key, f"must be a date and time such as 2021-05-04T11:36:00Z, got {describe(value)}"
        )

    def mappings(self, key: str) -> list[tuple[str, LinedDict]]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(key, f"must be a list, got {describe(value)}")
        if len(value) > MAX_ITEMS:
            self.fail(key, f"has {len(value):,} items; the limit is {MAX_ITEMS:,}")
        items = []
        for index, item in enumerate(value):
            if not isinstance(item, LinedDict):
                self.fail(
                    key,
                    f"item {index + 1} must be a mapping of keys to values, got {describe(item)}",
                )
            items.append((f"{self.name(key)}[{index}]", item))
        return items

    def labels(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(key, f"must be a list of names, got {describe(value)}")
        if len(value) > MAX_ITEMS:
            self.fail(key, f"has {len(value):,} items; the limit is {MAX_ITEMS:,}")
        labels: dict[str, None] = {}  # ordered, without repeats
        for item in value:
            if not isinstance(item, str) or not item.strip():
                self.fail(key, f"must hold only non-empty names, got {describe(item)}")
            item = repair(item, self.name(key), self.notes)
            if "\x00" in item:
                self.fail(key, "has a name with a NUL character (\\0); remove it")
            if not item.isprintable():
                item = clean(item, self.name(key), self.notes, line=True)
                if not item.strip():
                    self.fail(key, "has a name of only control characters; write it out")
            if len(item.strip()) > MAX_LABEL:
                self.fail(key, f"has a name longer than {MAX_LABEL} characters")
            labels[item.strip()] = None
        return tuple(labels)

    def extra(self, known: frozenset[str]) -> dict:
        extra = {}
        for key, value in self.data.items():
            if key not in known:
                try:
                    name = json_safe(str(key))
                    if name in extra:
                        raise DocumentError(f"is the same key as {name!r} once written as text")
                    extra[name] = json_safe(value)
                except DocumentError as error:
                    self.fail(key, error.message)
        return extra


def build_article(data: LinedDict, body: str, notes: Notes) -> ArticleRecord | Skipped:
    fields = Fields(data, "", notes)
    kind = data.get("type")
    if kind is not None and kind != "article":
        return Skipped(f"type {kind!r} is not an article")
    if "title" not in data and "name" in data:
        return Skipped("it has a name but no title, so it is not an article")
    if data.get("title") is None:
        fields.fail("title", "is missing: every article needs a title")
    title = fields.text("title", limit=MAX_TITLE, required=True, line=True).strip()
    if not title:
        fields.fail("title", "is blank: every article needs a title")
    web_url = fields.url("webUrl")
    original_url = fields.url("originalUrl")
    return ArticleRecord(
        key=article_key(web_url, original_url, title),
        title=title,
        excerpt=fields.text("excerpt"),
        body=body,
        category=fields.text("category", limit=MAX_WORD, line=True),
        type=fields.text("type", limit=MAX_WORD, line=True),
        published_at=fields.moment("publishedDateTime"),
        original_url=original_url,
        web_url=web_url,
        amp_url=fields.url("ampWebUrl"),
        cdn_amp_url=fields.url("cdnAmpWebUrl"),
        quality=fields.integer("quality", minimum=0),
        heat=fields.integer("heat", minimum=-1, hint=" (-1: not measured)"),
        published=fields.boolean("published"),
        provider=build_provider(fields, "provider"),
        topics=fields.labels("topics"),
        images=build_images(fields, "images"),
        related=tuple(
            build_related(Fields(item, where, notes)) for where, item in fields.mappings("related")
        ),
        secured=fields.text("secured", verbatim=True),
        extra=fields.extra(ARTICLE_KEYS),
    )


def build_plain_article(text: str, notes: Notes) -> ArticleRecord:
    """A document without front matter: an in-house article, unpublished until an editor says."""
    text = repair(text, "text", notes)
    if "\x00" in text:
        raise DocumentError("the text holds a NUL character once repaired; remove it", 1)
    text = clean(text, "text", notes)
    first, _, body = text.strip().partition("\n")
    title = clean(first, "text", notes, line=True).strip().lstrip("#").strip()
    if len(title) > MAX_TITLE:
        raise DocumentError(
            f"the first line is the title of a document without front matter, and it is "
            f"{len(title):,} characters long; the limit is {MAX_TITLE}: shorten it",
            1,
        )
    title_line = 1 + leading_lines(text)
    check_body(body.strip(), first_line=title_line + 1 + leading_lines(body))
    body = body.strip()
    return ArticleRecord(key=article_key("", "", title), title=title, body=body)


def build_provider(parent: Fields, key: str) -> ProviderRecord | None:
    data = parent.data.get(key)
    if data is None:
        return None
    if not isinstance(data, LinedDict):
        parent.fail(key, f"must be a mapping with name and domain, got {describe(data)}")
    fields = Fields(data, parent.name(key), parent.notes)
    domain = fields.text("domain", limit=253, required=True, line=True).strip().lower()
    if not domain or any(c.isspace() or c in "/:@?#" for c in domain):
        fields.fail("domain", f"{domain!r} is not a domain name such as example.com")
    return ProviderRecord(
        name=fields.text("name", limit=MAX_NAME, line=True).strip(),
        domain=domain,
        logos=build_images(fields, "images"),
        extra=fields.extra(PROVIDER_KEYS),
    )


def build_images(parent: Fields, key: str) -> tuple[ImageRecord, ...]:
    images = []
    for where, data in parent.mappings(key):
        fields = Fields(data, where, parent.notes)
        images.append(
            ImageRecord(
                url=fields.url("url", relative_ok=True)
                or fields.fail("url", "is missing: every image needs the address of its file"),
                width=fields.integer("width", minimum=0),
                height=fields.integer("height", minimum=0),
                title=fields.text("title", limit=MAX_TITLE, line=True),
                is_cached=fields.boolean("isCached"),
                extra=fields.extra(IMAGE_KEYS),
            )
        )
    return tuple(images)


def build_related(fields: Fields) -> RelatedRecord:
    web_url = fields.url("webUrl")
    return RelatedRecord(
        title=fields.text("title", limit=MAX_TITLE, required=True, line=True),
        url_key=canonical_url(web_url) if web_url else "",
        excerpt=fields.text("excerpt"),
        published_at=fields.moment("publishedDateTime"),
        web_url=web_url,
        amp_url=fields.url("ampWebUrl"),
        cdn_amp_url=fields.url("cdnAmpWebUrl"),
        type=fields.text("type", limit=MAX_WORD, line=True),
        provider=build_provider(fields, "provider"),
        quality=fields.integer("quality", minimum=0),
        images=build_images(fields, "images"),
        extra=fields.extra(RELATED_KEYS),
    )


def check_url(value: str, *, relative_ok: bool, fail) -> None:
    if len(value) > MAX_URL:
        fail(f"is {len(value):,} characters long; the limit is {MAX_URL:,}: shorten it")
    if _HTTP_URL.match(value) or (relative_ok and _SITE_PATH.match(value)):
        if not value.isascii() and BIDI.search(value):
            # Shown as text (the desk, the source link), an override would make the address
            # read as another; a real one never holds it. Refused rather than removed, as a
            # URL is the article's key: a changed one would be another article.
            code = ord(BIDI.search(value).group())
            fail(f"contains the invisible bidirectional control U+{code:04X}; remove it")
        if "[" in value:  # an IPv6 host: let the standard parser judge it
            try:
                urlsplit(value)
            except ValueError:
                fail(f"{value[:80]!r} is not a valid URL")
        return
    if _CONTROL.search(value):
        fail("contains control characters; remove them")
    fail(f"{value[:80]!r} is not an http(s) URL; only http:// and https:// links are accepted")


def canonical_url(url: str) -> str:
    """The form of a URL used as a key: scheme and host lower-cased, no fragment."""
    parts = urlsplit(url)
    host = parts.netloc.lower()
    scheme = parts.scheme.lower()
    if (scheme, host.rpartition(":")[2]) in (("http", "80"), ("https", "443")):
        host = host.rpartition(":")[0]
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))


def article_key(web_url: str, original_url: str, title: str) -> str:
    if web_url:
        return canonical_url(web_url)
    if original_url:
        return canonical_url(original_url)
    return f"title:{slugify(title) or title.casefold()}"


def json_safe(value):
    """What YAML can hold, in a form a JSON column keeps (and PostgreSQL's jsonb accepts)."""
    if isinstance(value, dict):
        return {json_safe(str(k)): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, str) and "\x00" in value:
        raise DocumentError("holds a NUL character (\\0); remove it")
    return value


def describe(value) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {value[:60]!r}"
    return f"{value!r} ({type(value).__name__})"

"""When two articles report the same news: what of an article is compared, and how.

Two articles report the same news when
- their URLs are the same once normalised (scheme, `www.` and mobile hosts, a publisher's
  regional domains, AMP variants, tracking parameters and trailing slashes set aside), or,
  published within `WINDOW` of each other,
- they lead with the same photo (a distinctive file name, whatever the image host), or
- their titles (or titles and excerpts) share enough telling words: words weighted by how
  rare they are in English (wordfreq's list), so "LaMDA", "Lemoine" or "AlphaFold" say much
  more than "Google", "AI" or "engineer" do.
Articles on a shared theme but different news share common words only, or different photos
and addresses, or are far apart in time. tests/data/stories/ holds the hand-labelled pairs
that measure this, and tests/test_stories.py pins its precision and recall.

Pure functions and values, no database: an article's `Report` is made where it is parsed (in
the import's parser processes), and articles/stories.py groups with them.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import tldextract
import wordfreq

# How far apart in time two reports of one piece of news may be, unless they share a URL.
WINDOW = timedelta(days=3)
# Texts this similar (see `similarity`) report the same news; measured on the labelled pairs
# of tests/data/stories/, where 0.35 to 0.45 all keep precision and recall above 0.98.
SIMILARITY = 0.4

# ---------------------------------------------------------------------------------------
# Fingerprints: what of an article grouping compares.

# The public suffix list as the package ships it: never fetched from the network.
_domains = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

# Query parameters that say how a reader arrived, not which article they read.
TRACKING_PARAMETERS = frozenset(
    {
        "amp", "cmpid", "dclid", "fbclid", "gclid", "igshid", "mc_cid", "mc_eid", "mod",
        "msclkid", "ncid", "ocid", "outputtype", "ref", "ref_src", "rss", "smid", "spm",
        "sr_share", "taid", "yclid", "__twitter_impression", "guccounter",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "at_", "guce_")
# Host labels that serve the same page as the bare domain.
ALIAS_LABELS = re.compile(r"^(?:www\d*|m|mobile|amp)$")
# AMP caches serve a page under their own host: /c/s/<host>/<path> or /amp/s/<host>/<path>.
AMP_CACHE_PATH = re.compile(r"^/(?:c|v|amp)/(?:s/)?(?P<host>[^/]+)(?P<path>/.*)?$")
AMP_IN_PATH = re.compile(r"/amp(?=/|$)|\.amp(?=\.html?$|$)")


def _tracking(name: str) -> bool:
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES)


# A query of plain names and values, which neither parse_qsl() nor urlencode() changes.
_PLAIN_QUERY = re.compile(r"[\w.~-]*(?:=[\w.~-]*)?(?:&[\w.~-]*(?:=[\w.~-]*)?)*", re.ASCII)


def _query(query: str) -> str:
    """The query without tracking parameters, its parameters in order, as
    urlencode(sorted(parse_qsl(query))) writes it."""
    if not _PLAIN_QUERY.fullmatch(query):
        pairs = parse_qsl(query, keep_blank_values=True)
        return urlencode(sorted(pair for pair in pairs if not _tracking(pair[0].lower())))
    # The same, by hand: parsing and encoding were half of url_key's time (profiled), and
    # stored keys (Article.story_url) must not change.
    pairs = [(*pair.split("=", 1), "")[:2] for pair in query.split("&") if pair]
    return "&".join(
        f"{name}={value}" for name, value in sorted(pairs) if not _tracking(name.lower())
    )


@functools.lru_cache(maxsize=10_000)
def _publisher(host: str) -> str:
    """The host without its public suffix and alias labels: the suffix is left out, so a
    publisher's regional sites (wired.com, wired.co.uk) agree."""
    domain = _domains(host)
    labels = [label for label in domain.subdomain.split(".") if label]
    while labels and ALIAS_LABELS.match(labels[0]):
        labels.pop(0)
    return ".".join([*labels, domain.domain]) or host


@functools.lru_cache(maxsize=4096)  # a document's URLs are often the same one
def url_key(url: str) -> str:
    """A hash of `url` with what does not change the article taken off; "" for no URL."""
    if not url:
        return ""
    parts = urlsplit(url.strip())
    host, path = (parts.hostname or "").lower(), parts.path
    amp_cache = AMP_CACHE_PATH.match(path)
    if amp_cache and (host.endswith(".ampproject.org") or host.endswith("google.com")):
        host, path = amp_cache["host"].lower(), amp_cache["path"] or "/"
    publisher = _publisher(host)
    path = AMP_IN_PATH.sub("", unquote(path)).rstrip("/").lower()
    normalised = f"{publisher}{path}?{_query(parts.query) if parts.query else ''}"
    return hashlib.sha1(normalised.encode()).hexdigest()


# File names that many unrelated articles' images share.
GENERIC_IMAGE_WORDS = re.compile(
    r"logo|default|placeholder|social|share|og[-_]?image|thumbnail|avatar|icon|banner|generic"
)
IMAGE_SIZE_SUFFIX = re.compile(r"(?:[-_]\d{2,5}x\d{0,5}|[-_]scaled|@\dx)+$")


def image_key(url: str) -> str:
    """The lead image's file name without its extension or size, when it is distinctive
    enough to say two articles use the same photo; "" otherwise."""
    if not url:
        return ""
    # Twice: image proxies carry the original's URL percent-encoded in their own path.
    name = unquote(urlsplit(unquote(url)).path).rsplit("/", 1)[-1]
    stem = IMAGE_SIZE_SUFFIX.sub("", name.rsplit(".", 1)[0].lower())
    distinctive = (
        len(stem) >= 10
        and sum(character.isalnum() for character in stem) >= 8
        and not re.fullmatch(r"[\dx_-]+", stem)
        and not GENERIC_IMAGE_WORDS.search(stem)
    )
    return stem[:200] if distinctive else ""


# Words that say little about which news a title reports, wire-service labels included.
STOP_WORDS = frozenset(
    {
        "a", "about", "after", "all", "also", "an", "and", "are", "as", "at", "be", "been",
        "but", "by", "can", "could", "did", "do", "does", "for", "from", "has", "have", "how",
        "i", "if", "in", "into", "is", "it", "its", "may", "might", "more", "new", "no", "not",
        "now", "of", "on", "or", "our", "over", "says", "say", "should", "so", "than", "that",
        "the", "their", "them", "there", "these", "they", "this", "to", "up", "was", "we",
        "were", "what", "when", "which", "who", "why", "will", "with", "would", "you", "your",
        "analysis", "exclusive", "update", "updated", "breaking", "report", "reuters", "ap",
        "afp", "watch", "video", "opinion",
    }
)  # fmt: skip
# A short last segment after one of these is usually the outlet's name: "... | WIRED".
OUTLET_SUFFIX = re.compile(r"\s+(?:\||-|\u2013|\u2014)\s+(?:\S+\s*){1,3}$")
WORD = re.compile(r"\w+")


Weights = dict[str, float]  # a text's telling words (stemmed), each with its weight


def weights(text: str) -> Weights:
    """The text's telling words, lower-cased and lightly stemmed (designs, designed,
    designing: design), each weighted by its rarity."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")
    text = re.sub(r"'s\b", "", text.replace("a.i.", "ai"))
    found: Weights = {}
    for word in WORD.findall(text):
        if word not in STOP_WORDS:
            stem, weight = _weighed(word)
            found[stem] = max(found.get(stem, 0.0), weight)
    return found


# A word's weight: 7 less its Zipf frequency (log10 of uses per billion words), so "the"
# (7.7) weighs nothing, "google" 2.1, "sentient" 3.9, and a word too rare for the list 7.
RARE = 7.0
# The list has no numbers; a number ("2020", "50") is as common as a common word.
NUMBER = 1.5


@functools.cache
def _weighed(word: str) -> tuple[str, float]:
    if word.isdigit():
        return word, NUMBER
    frequency = _english().get(word)
    zipf = math.log10(frequency) + 9 if frequency else 0.0
    return _stem(word), max(0.0, RARE - zipf)


@functools.cache
def _english() -> dict[str, float]:
    # wordfreq's small list: 29,000 words, 3 MB, loaded on first use (never by web workers
    # that do not group).
    return wordfreq.get_frequency_dict("en", wordlist="small")


def similarity(a: Weights, a_total: float, b: Weights, b_total: float) -> float:
    """The weight of the words two texts share, over the geometric mean of their total
    weights: 1 for the same words, 0 for none in common (a cosine of sorts)."""
    total = math.sqrt(a_total * b_total)
    if not total:
        return 0.0
    return sum(min(a[word], b[word]) for word in a.keys() & b.keys()) / total


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@dataclass(slots=True)
class Report:
    """What grouping compares of one article."""

    published_at: datetime | None
    title: Weights
    excerpt: str
    url: str  # url_key() of its canonical URL (what Article.story_url keeps)
    urls: frozenset[str]  # url_key() of each of its URLs
    image: str  # image_key() of its lead image (what Article.story_image keeps)
    title_total: float = 0.0
    telling: tuple[tuple[str, float], ...] = ()  # title words of weight TELLING or more
    # The title's and the excerpt's words, made when first compared: most articles never
    # are (see `text()`).
    _text: tuple[Weights, float] | None = None

    @classmethod
    def of(cls, title: str, excerpt: str, published_at, urls: list[str], image: str):
        """From the fingerprints: `urls` are url_key()s, the canonical one first."""
        title_weights = weights(OUTLET_SUFFIX.sub("", title))
        urls = [url for url in urls if url]
        return cls(
            published_at,
            title_weights,
            excerpt,
            urls[0] if urls else "",
            frozenset(urls),
            image,
            sum(title_weights.values()),
            tuple((word, weight) for word, weight in title_weights.items() if weight >= TELLING),
        )

    def text(self) -> tuple[Weights, float]:
        """The words of title and excerpt, and their total weight."""
        if self._text is None:
            text = {**weights(self.excerpt), **self.title} if self.excerpt else self.title
            self._text = (text, sum(text.values()))
        return self._text


# An article's URLs as report() takes them, canonical first: the import and a rebuild must
# give them in one order, or stored keys (Article.story_url) stop matching.
URL_FIELDS = ("web_url", "original_url", "amp_url", "cdn_amp_url")


def report(
    *, title: str, excerpt: str, published_at: datetime | None, urls: list[str], image_url: str
) -> Report:
    """An article's Report from its fields as the feed gives them: `urls` canonical first."""
    return Report.of(title, excerpt, published_at, list(map(url_key, urls)), image_key(image_url))


def same_news(a: Report, b: Report) -> bool:
    if a.urls & b.urls:
        return True
    if a.published_at is None or b.published_at is None:
        return False
    if abs(a.published_at - b.published_at) > WINDOW:
        return False
    if a.image and a.image == b.image:
        return True
    if similarity(a.title, a.title_total, b.title, b.title_total) >= SIMILARITY:
        return True
    return similarity(*a.text(), *b.text()) >= SIMILARITY


# Title words at least this telling (see `weights`) put two articles up for comparison when
# they share two of them, or one that is rare indeed: "model" and "google" are not telling,
# "chatbot" is, "lamda" is rare indeed. (Titles of one piece of news share that much, or
# their URL or photo: the labelled pairs lose little by it, and a busy week of news is not
# compared pair by pair.)
TELLING = 2.5
RARE_INDEED = 4.0


def blocking_keys(report: Report) -> tuple[list[str], list, int | None]:
    """What two articles must share to be compared, any one of it: a URL, at any time; or,
    in neighbouring periods of WINDOW's length, a photo, a rare-indeed title word or a pair
    of telling title words. Returned as (URL keys, the other keys, the report's period)."""
    urls = ["url:" + url for url in report.urls]
    if report.published_at is None:
        return urls, [], None
    period = int(report.published_at.timestamp() // _WINDOW_SECONDS)
    rare = [word for word, weight in report.telling if weight >= RARE_INDEED]
    telling = sorted(word for word, weight in report.telling if weight < RARE_INDEED)
    # Words have no colon, so neither a URL's nor a photo's key is ever a word.
    photo = ["image:" + report.image] if report.image else []
    return urls, [*photo, *rare, *itertools.combinations(telling, 2)], period


_WINDOW_SECONDS = WINDOW.total_seconds()

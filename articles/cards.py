"""What a list page shows of each article: a card (image, linked title, source, date,
excerpt, topics), loaded for a whole page in three queries prepared once per process (see
prepared.py): the page's articles, their topics and their lead images.

A list is a `card_query`: the published articles a filter keeps, newest first. Pages ask it
for a window of rows (`Listing`), then turn those rows into `Card`s with `cards()`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from django.db.models import QuerySet

from .models import Article, Image
from .prepared import PreparedQuery
from .queries import TOPICS
from .stories import coverage, other_coverage_column
from .templatetags.newsroom import slug_urls


class Link(NamedTuple):
    text: str
    url: str


class Picture(NamedTuple):
    url: str
    width: str  # as the attribute shows it; "" when unknown
    height: str
    title: str = ""

    @classmethod
    def of(cls, url, width, height, title=""):
        return cls(url, str(width or ""), str(height or ""), title)


class Card(NamedTuple):
    """One article as a card shows it (see templatetags/newsroom.py, card())."""

    url: str
    title: str
    excerpt: str
    published_at: datetime | None
    source: Link | None  # its provider's page, named as the article's feed names it
    lead_image: Picture | None
    topic_links: list[Link]
    also: list[Link]  # the story's other published articles, by their providers' names


# What a card shows of an article; the rest (body, bookkeeping, unmodelled keys) stays put.
CARD_COLUMNS = (
    *("id", "slug", "title", "excerpt", "published_at", "provider_name"),
    *("provider__name", "provider__slug", "provider__domain"),
)


def card_query(keep: Callable[[QuerySet, list], QuerySet] | None = None) -> PreparedQuery:
    """The cards of the published articles that `keep(articles, values)` keeps (all of
    them without it), newest first (the model's ordering)."""

    def build(values):
        articles = Article.objects.published()
        if keep is not None:
            articles = keep(articles, values)
        return articles.annotate(other_coverage=other_coverage_column()).values(
            *CARD_COLUMNS, "other_coverage"
        )

    return PreparedQuery(build)


# The home page and topic pages show each story once, as its lead (see stories.py); a
# provider's page shows all of its articles.
LATEST = card_query(lambda articles, values: articles.filter(is_story_lead=True))
OF_TOPIC = card_query(
    lambda articles, values: articles.filter(topics=values[0], is_story_lead=True)
)
OF_PROVIDER = card_query(lambda articles, values: articles.filter(provider=values[0]))

LEAD_IMAGES = PreparedQuery(
    lambda ids: (
        Image.objects.filter(article_id__in=ids, role=Image.Role.LEAD)
        .order_by("-position", "-id")  # the last one seen for an article is its first
        .values("article_id", "url", "width", "height")
    )
)


class Listing:
    """A card query and its values, sliced like a queryset: `listing[20:41]` is the rows of
    the 21st to the 41st article (so a list view's paging needs no queryset)."""

    def __init__(self, query: PreparedQuery, values: list | tuple = ()):
        self.query, self.values = query, values

    def __getitem__(self, window: slice) -> list[dict]:
        return self.query.rows(self.values, limit=window.stop - window.start, offset=window.start)


def topic_links(article_ids: list[int]) -> dict[int, list[Link]]:
    """Each article's topics, in the feed's order, as links to their pages."""
    topic_url = slug_urls("articles:topic")
    links = defaultdict(list)
    for row in TOPICS.rows(article_ids):
        links[row["article_id"]].append(Link(row["topic__name"], topic_url(row["topic__slug"])))
    return links


def source_link(row: dict, provider_url: Callable[[str], str]) -> Link | None:
    """An article's source: its provider's page (`provider_url`: slug -> URL), named as
    the article's feed named it."""
    if row["provider__slug"] is None:
        return None
    name = row["provider_name"] or row["provider__name"] or row["provider__domain"]
    return Link(name, provider_url(row["provider__slug"]))


def coverage_links(column: str | None, article_url) -> list[Link]:
    """The story's other published articles (an `other_coverage` column, see stories.py),
    as links named by their providers; `article_url` makes an article's URL of its slug."""
    if not column:
        return []
    return [
        Link(other.provider or "another source", article_url(other.slug))
        for other in coverage(column)
    ]


def cards(rows: list[dict]) -> list[Card]:
    """The cards of rows of CARD_COLUMNS and `other_coverage`: two more queries, whatever
    the number of rows."""
    ids = [row["id"] for row in rows]
    topics = topic_links(ids)
    lead_images = {
        image["article_id"]: Picture.of(image["url"], image["width"], image["height"])
        for image in LEAD_IMAGES.rows(ids)
    }
    article_url, provider_url = slug_urls("articles:article"), slug_urls("articles:provider")
    return [
        Card(
            url=article_url(row["slug"]),
            title=row["title"],
            excerpt=row["excerpt"],
            published_at=row["published_at"],
            source=source_link(row, provider_url),
            lead_image=lead_images.get(row["id"]),
            topic_links=topics.get(row["id"], []),
            also=coverage_links(row["other_coverage"], article_url),
        )
        for row in rows
    ]

"""RSS 2.0 and Atom feeds of the latest published articles, site-wide and per topic.

Feed text is untrusted (titles and excerpts come from providers' feeds), and feed readers
disagree on what it means: RSS says nothing about whether a title is text or HTML, and many
readers render it as HTML; an RSS description and an Atom summary of type "html" *are* HTML.
So the description is the excerpt escaped as HTML (the reader shows exactly the excerpt's
text), and titles, author and category names are made such that they read the same as text
and cannot open a tag when a reader takes them for HTML.
"""

import re
from datetime import UTC

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import F, Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from .models import Article, ArticleTopic, Topic

FEED_SIZE = 50

# In HTML, "<" opens markup only when an ASCII letter, "/", "!" or "?" follows it.
_MARKUP_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
# What XML 1.0 cannot carry: C0 controls but tab, newline and carriage return (with one in
# any item, Django's feed generator refuses the whole feed: a 500), and U+FFFE and U+FFFF
# (which it writes, making the feed unreadable). The importer removes them from what it
# imports; articles imported before it did may still hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def plain_text(value: str) -> str:
    """`value` for a feed element readers may take for text or HTML: inert either way.

    A space after a "<" that would open a tag or comment keeps it literal text in HTML,
    and changes nothing else (escaping for XML is the feed generator's job).
    """
    return _MARKUP_OPEN.sub("< ", xml_text(value))


def xml_text(value: str) -> str:
    """`value` without the characters XML 1.0 cannot hold."""
    return _NOT_XML.sub("", value) if not value.isprintable() else value


def feed_items(articles):
    """The newest published articles, with what each item shows, in a fixed few queries."""
    return (
        articles.only("slug", "title", "excerpt", "published_at", "updated_at", "provider_name")
        .prefetch_related(
            Prefetch(
                "article_topics",
                ArticleTopic.objects.select_related("topic").order_by("position"),
            )
        )
        # Undated articles last on every database (PostgreSQL would sort NULLs first).
        .order_by(F("published_at").desc(nulls_last=True), "-id")[:FEED_SIZE]
    )


def utc(moment):
    return moment.astimezone(UTC) if moment else None


class LatestArticlesFeed(Feed):
    """The latest published articles, RSS 2.0, at /feed/."""

    def title(self):
        return f"{settings.NEWSROOM_SITE_NAME} — latest AI news"

    def link(self):
        return reverse("articles:home")

    def description(self):
        return f"The latest AI news published by the {settings.NEWSROOM_SITE_NAME} desk."

    def items(self):
        return feed_items(Article.objects.published())

    def item_title(self, article):
        return plain_text(article.title)

    def item_description(self, article):
        # The description is HTML to readers: escaping shows the excerpt as the text it is.
        return escape(xml_text(article.excerpt)) if article.excerpt else None

    # item_link is Feed's default, get_absolute_url() made absolute; the guid (the Atom id)
    # defaults to that link, so an article keeps one identity in every feed.
    item_guid_is_permalink = True

    def item_pubdate(self, article):
        return utc(article.published_at)

    def item_updateddate(self, article):
        return utc(article.updated_at)

    def item_author_name(self, article):
        return plain_text(article.provider_name) or None

    def item_categories(self, article):
        return [plain_text(link.topic.name) for link in article.article_topics.all()]


class LatestArticlesAtomFeed(LatestArticlesFeed):
    """The same articles as an Atom 1.0 feed, at /feed/atom/."""

    feed_type = Atom1Feed

    def subtitle(self):
        return self.description()


class TopicFeed(LatestArticlesFeed):
    """One topic's latest published articles, RSS 2.0, at /topics/<slug>/feed/."""

    def get_object(self, request, slug):
        return get_object_or_404(Topic, slug=slug)

    def title(self, topic):
        return f"{settings.NEWSROOM_SITE_NAME} — {plain_text(topic.name)}"

    def link(self, topic):
        return topic.get_absolute_url()

    def description(self, topic):
        site = settings.NEWSROOM_SITE_NAME
        return f"The latest AI news on {plain_text(topic.name)} from the {site} desk."

    def items(self, topic):
        return feed_items(Article.objects.published().filter(topics=topic))

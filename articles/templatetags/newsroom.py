"""HTML helpers for the public pages, for templates and for the pages written in Python
(list pages, the article page): safe Markdown, the cards of a list (twenty a page) and their
cheap formatting, the links between a list's pages, and URLs reversed once per process.
The template tags and filters mark their HTML safe; the functions only pages written in
Python call return plain strings, every value in them escaped."""

from functools import lru_cache
from html import escape
from urllib.parse import quote

import nh3
from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

from ..importing.text import MAX_BODY_NESTING

register = template.Library()


@register.simple_tag
def fixed_url(viewname: str) -> str:
    """`{% url viewname %}` for a URL without arguments, reversed once per process.

    Every page links the same sections in its header; reversing them afresh each time cost
    more than a whole cached page takes to serve (profiled: some 50 µs a reverse()).
    """
    return _reverse(viewname, get_script_prefix(), get_urlconf())


def slug_urls(viewname: str):
    """`reverse(viewname, kwargs={"slug": slug})` for any slug at the cost of one reverse()
    per process: a list page links each card's article, source and topics.

    Slugs need no quoting, so the path is the same with any slug put in place of another.
    """
    before, _, after = _reverse(viewname, get_script_prefix(), get_urlconf(), "slug").rpartition(
        "slug"
    )
    return lambda slug: f"{before}{slug}{after}"


@lru_cache(maxsize=64)
def _reverse(viewname: str, prefix: str, urlconf: str | None, slug: str | None = None) -> str:
    # The script prefix and the URLconf (a test's, say) are in the arguments, hence the key.
    return reverse(viewname, urlconf=urlconf, kwargs={"slug": slug} if slug else None)


# What an in-house article's Markdown may become; everything else is stripped.
ALLOWED_TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "em",
    "h2",
    "h3",
    "h4",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}


# CommonMark with tables, nesting capped. markdown-it-py, not Python-Markdown: a page renders
# its body on every uncached request, and Python-Markdown took seconds over a few kilobytes
# of brackets ("[" * 2000: 2.7 s, against 0.12 s here; "![a](" * 2000: 5 s against 0.4 s).
_MARKDOWN = MarkdownIt("commonmark", {"maxNesting": MAX_BODY_NESTING}).enable("table")


@register.filter(is_safe=True)
def markdown(text: str) -> str:
    """Markdown to HTML, sanitised: no scripts, no event handlers, http(s)/mailto links only."""
    html = _MARKDOWN.render(text or "")
    # Safe because nh3 has just removed everything that is not on the lists above.
    return mark_safe(
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow",
        )
    )


# The site is in English: month names need no translation.
MONTH_NAMES = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)
MONTHS = tuple(name[:3] for name in MONTH_NAMES)


@register.filter(is_safe=True)
def time_element(moment) -> str:
    """A `<time>` element: machine-readable in the attribute, "5 Mar 2024" for readers.

    What `<time datetime="{{ d|date:'c' }}">{{ d|date:"j M Y" }}</time>` gives, at a tenth of
    the cost.
    """
    return mark_safe(_time(moment, timezone.get_current_timezone()))


def _time(moment, zone) -> str:
    """time_element() in a time zone the caller looked up (once for a page of cards)."""
    if not moment:
        return ""
    moment = local_time(moment, zone)
    shown = f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"
    return f'<time datetime="{moment.isoformat()}">{shown}</time>'


def local_time(moment, zone):
    """`moment` in time zone `zone`, as timezone.localtime() gives it (same day, hour and
    ISO 8601 text), but left as it is when it already has that zone's offset: the database's
    UTC on a site in UTC. Converting it anyway, then writing it out with the zone's
    tzinfo, cost three times as much (measured), twenty times on a list page."""
    if timezone.is_naive(moment) or zone.utcoffset(moment) == moment.utcoffset():
        return moment
    return moment.astimezone(zone)


@register.filter
def shorten(text: str, length: int) -> str:
    """`truncatechars`, but quicker on text that fits (most excerpts): at most `length`
    characters, the last an ellipsis when the text was cut."""
    if len(text) <= length:
        return text
    return text[: length - 1].rstrip() + "…"


def article_cards(articles) -> str:
    """The cards of a list page: image, linked title, source, date, excerpt and topics.

    Written in Python rather than as an included template because a list page shows twenty
    cards, and through the template engine they cost more than all the rest of the request
    (profiled: about half a millisecond a card, against some twenty microseconds here).
    Every value from the database goes through escape() (the standard library's, which is
    Django's without its lazy-string wrapper).
    """
    zone = timezone.get_current_timezone()
    return "".join([card(article, zone) for article in articles])


def card(article, zone) -> str:
    """One article's card, its date in time zone `zone`: see article_cards(). `article` is
    a cards.Card."""
    parts = ['<article class="card">\n  ']
    image = article.lead_image
    if image:
        parts.append(f'<img class="card-image" src="{escape(image.url)}" alt="" loading="lazy"')
        parts.append(' decoding="async"')
        if image.width:
            parts.append(f' width="{escape(image.width)}"')
        if image.height:
            parts.append(f' height="{escape(image.height)}"')
        parts.append(">")
    parts.append('\n  <div class="card-body">\n    <h2 class="card-title">')
    parts.append(f'<a href="{escape(article.url)}">{escape(article.title)}</a></h2>')
    parts.append('\n    <p class="meta">\n      ')
    source = article.source
    if source:
        parts.append(f'<a href="{escape(source.url)}">{escape(source.text)}</a>')
    parts.append(f"\n      {_time(article.published_at, zone)}\n    </p>\n    ")
    if article.excerpt:
        parts.append(f'<p class="excerpt">{escape(shorten(article.excerpt, 280))}</p>')
    parts.append("\n    ")
    parts.append(topic_list(article.topic_links))
    if article.also:
        parts.append("\n    ")
        parts.append(also_covered_by(article.also))
    parts.append("\n  </div>\n</article>\n")
    return "".join(parts)


def also_covered_by(links) -> str:
    """The other providers that reported a story, each linked to its article here: on cards
    and on the article page."""
    items = ", ".join([f'<a href="{escape(url)}">{escape(text)}</a>' for text, url in links])
    return f'<p class="also">Also covered by {items}</p>'


def topic_list(links) -> str:
    """An article's topics, each linked to its page: on cards and on the article page."""
    if not links:
        return ""
    items = "".join([f'<li><a href="{escape(url)}">{escape(text)}</a></li>' for text, url in links])
    return f'<ul class="topics" aria-label="Topics">{items}</ul>'


def card_list(cards, page) -> str:
    """A list page's cards and the links to its other pages, or word that it has none.
    `page` is a views.Window."""
    if not cards:
        return '<p class="empty">No articles here yet.</p>\n'
    return f'<div class="cards">\n  {article_cards(cards)}\n</div>\n{pagination(page)}'


@register.simple_tag
def pagination(page, query: str = "") -> str:
    """Links to the previous and next pages of a list (a views.Window), keeping the query
    of a search."""
    if not page.has_other_pages():
        return ""
    keep = f"q={escape(quote(query, safe='/'))}&amp;" if query else ""
    previous = following = ""
    if page.has_previous:
        previous = f'<a rel="prev" href="?{keep}page={page.previous_page_number}">Previous</a>'
    if page.has_next:
        following = f'<a rel="next" href="?{keep}page={page.next_page_number}">Next</a>'
    # Safe: the query went through quote() and escape(), the rest are numbers.
    return mark_safe(
        f'<nav class="pagination" aria-label="Pages">\n  {previous}\n'
        f"  <span>Page {page.number}</span>\n  {following}\n</nav>\n"
    )

"""Template helpers for the public pages: safe Markdown, schema.org JSON-LD, and cheap
formatting for what every card shows (a list page renders twenty cards)."""

import json
from functools import lru_cache
from html import escape

import markdown as markdown_lib
import nh3
from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.html import _json_script_escapes
from django.utils.safestring import mark_safe

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


@register.filter(is_safe=True)
def markdown(text: str) -> str:
    """Markdown to HTML, sanitised: no scripts, no event handlers, http(s)/mailto links only."""
    html = markdown_lib.markdown(text or "", extensions=["extra", "sane_lists"])
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


@register.simple_tag(takes_context=True)
def news_article_json_ld(context, article, image=None) -> str:
    """A schema.org NewsArticle block; the JSON is escaped so no value can close the tag."""
    url = context.get("canonical_url") or context["request"].build_absolute_uri(
        article.get_absolute_url()
    )
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title[:110],
        "description": article.excerpt,
        "url": url,
        "mainEntityOfPage": url,
    }
    if article.published_at:
        data["datePublished"] = article.published_at.isoformat()
    data["dateModified"] = article.updated_at.isoformat()
    if article.provider_name:
        data["publisher"] = {"@type": "Organization", "name": article.provider_name}
    if image is not None and image.url.startswith(("http://", "https://")):
        data["image"] = [image.url]
    payload = json.dumps(data, ensure_ascii=False).translate(_json_script_escapes)
    return mark_safe(f'<script type="application/ld+json">{payload}</script>')


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@register.filter(is_safe=True)
def time_element(moment) -> str:
    """A `<time>` element: machine-readable in the attribute, "5 Mar 2024" for readers.

    What `<time datetime="{{ d|date:'c' }}">{{ d|date:"j M Y" }}</time>` gives, at a tenth of
    the cost: the site is in English, so the month names need no translation.
    """
    if not moment:
        return ""
    moment = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    shown = f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"
    return mark_safe(f'<time datetime="{moment.isoformat()}">{shown}</time>')


@register.filter
def shorten(text: str, length: int) -> str:
    """`truncatechars`, but quicker on text that fits (most excerpts): at most `length`
    characters, the last an ellipsis when the text was cut."""
    if len(text) <= length:
        return text
    return text[: length - 1].rstrip() + "…"


@register.simple_tag
def article_cards(articles) -> str:
    """The cards of a list page: image, linked title, source, date, excerpt and topics.

    Written in Python rather than as an included template because a list page shows twenty
    cards, and through the template engine they cost more than all the rest of the request
    (profiled: about half a millisecond a card, against some twenty microseconds here).
    Every value from the database goes through escape() (the standard library's, which is
    Django's without its lazy-string wrapper).
    """
    return mark_safe("".join(map(card, articles)))


def card(article) -> str:
    """One article's card: see article_cards(). The article comes from the views'
    with_card_details(), which gives it url, source, topic_links and lead_image."""
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
    source = getattr(article, "source", None)
    if source:
        parts.append(f'<a href="{escape(source.url)}">{escape(source.text)}</a>')
    parts.append(f"\n      {time_element(article.published_at)}\n    </p>\n    ")
    if article.excerpt:
        parts.append(f'<p class="excerpt">{escape(shorten(article.excerpt, 280))}</p>')
    parts.append("\n    ")
    parts.append(topic_list(article.topic_links))
    parts.append("\n  </div>\n</article>\n")
    return "".join(parts)


@register.simple_tag
def topic_list(links) -> str:
    """An article's topics, each linked to its page: on cards and on the article page."""
    if not links:
        return ""
    items = "".join(f'<li><a href="{escape(url)}">{escape(text)}</a></li>' for text, url in links)
    # Safe: every value went through escape() above.
    return mark_safe(f'<ul class="topics" aria-label="Topics">{items}</ul>')

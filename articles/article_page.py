"""The article page: what it loads (three queries after the article's own, prepared once per
process) and its HTML, written in Python inside the site's frame (frame.py).

Written in Python rather than as a template for the reason the cards are
(templatetags/newsroom.py): through the template engine, the page took about twice as long
as its four queries together (profiled), for the handful of values it shows. Every value from the
database goes through escape() (the standard library's, which is Django's without its
lazy-string wrapper), and the JSON-LD through json_script's escapes.
"""

from __future__ import annotations

import json
from html import escape

from django.utils import timezone
from django.utils.html import _json_script_escapes

from .cards import Picture, coverage_links, source_link, topic_links
from .frame import page
from .models import Image
from .prepared import PreparedQuery
from .queries import RELATED
from .templatetags.newsroom import (
    MONTH_NAMES,
    also_covered_by,
    local_time,
    markdown,
    shorten,
    slug_urls,
    topic_list,
)

JSON_SCRIPT_ESCAPES = [(chr(code), escaped) for code, escaped in _json_script_escapes.items()]

IMAGES = PreparedQuery(
    lambda ids: (
        Image.objects.filter(article_id__in=ids)
        .order_by("position", "id")
        .values("role", "url", "width", "height", "title")
    )
)


def render(request, article: dict) -> str:
    """The page of `article`, a row of queries.article_row()."""
    url = slug_urls("articles:article")(article["slug"])
    lead_image = logo = None
    for image in IMAGES.rows([article["id"]]):
        picture = Picture.of(image["url"], image["width"], image["height"], image["title"])
        if image["role"] == Image.Role.LEAD and lead_image is None:
            lead_image = picture
        elif image["role"] == Image.Role.LOGO and logo is None:
            logo = picture
    preview = not article["is_published"]
    canonical_url = request.build_absolute_uri(url)
    title = escape(article["title"])
    return page(
        title=f"{title} — Newsroom",
        description=escape(shorten(article["excerpt"], 160)),
        meta=meta(article, title, canonical_url, lead_image, preview),
        content=content(article, title, lead_image, logo, preview),
    )


def meta(article: dict, title: str, canonical_url: str, lead_image, preview: bool) -> str:
    """Search engines' and social sites' view of the page (`title` is escaped already)."""
    url = escape(canonical_url)
    excerpt = escape(shorten(article["excerpt"], 200))
    published_at = article["published_at"]
    lines = [
        '<meta name="robots" content="noindex, nofollow">' if preview else "",
        f'<link rel="canonical" href="{url}">',
        '<meta property="og:type" content="article">',
        '<meta property="og:site_name" content="Newsroom">',
        f'<meta property="og:title" content="{title}">',
        f'<meta property="og:description" content="{excerpt}">',
        f'<meta property="og:url" content="{url}">',
        f'<meta property="og:image" content="{escape(lead_image.url)}">' if lead_image else "",
        f'<meta property="article:published_time" content="{iso(published_at)}">'
        if published_at
        else "",
        '<meta name="twitter:card" content="'
        f'{"summary_large_image" if lead_image else "summary"}">',
        f'<meta name="twitter:title" content="{title}">',
        f'<meta name="twitter:description" content="{excerpt}">',
        news_article_json_ld(article, canonical_url, lead_image),
    ]
    return "\n  " + "\n  ".join(lines) + "\n"


def news_article_json_ld(article: dict, url: str, image: Picture | None) -> str:
    """A schema.org NewsArticle block; the JSON is escaped so no value can close the tag."""
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article["title"][:110],
        "description": article["excerpt"],
        "url": url,
        "mainEntityOfPage": url,
    }
    if article["published_at"]:
        data["datePublished"] = article["published_at"].isoformat()
    data["dateModified"] = article["updated_at"].isoformat()
    if article["provider_name"]:
        data["publisher"] = {"@type": "Organization", "name": article["provider_name"]}
    if image is not None and image.url.startswith(("http://", "https://")):
        data["image"] = [image.url]
    payload = json.dumps(data, ensure_ascii=False)
    # json_script()'s escapes, by replace(): str.translate() took 80 µs on a payload with
    # any non-ASCII character (profiled: a tenth of the page), replace() 5.
    for char, escaped in JSON_SCRIPT_ESCAPES:
        payload = payload.replace(char, escaped)
    return f'<script type="application/ld+json">{payload}</script>'


def content(article: dict, title: str, lead_image, logo, preview: bool) -> str:
    """The story itself, then its related coverage (`title` is escaped already)."""
    source = source_link(article, slug_urls("articles:provider"))
    parts = ["\n"]
    if preview:
        parts.append(
            '<p class="preview-banner" role="status"><strong>Preview:</strong> this article '
            "is not published. Readers cannot see it, and search engines are told not to index "
            "it.</p>\n"
        )
    parts.append('<article class="article">\n  <header class="article-header">\n')
    parts.append(f'    <h1>{title}</h1>\n    <p class="meta">\n      ')
    if source:
        parts.append(f'<a class="provider" href="{escape(source.url)}">')
        if logo:
            parts.append(
                f'<img class="logo" src="{escape(logo.url)}" alt="" '
                f'width="{escape(logo.width or "24")}" height="{escape(logo.height or "24")}" '
                'loading="lazy">'
            )
        parts.append(f"{escape(source.text)}</a>")
    else:
        parts.append('<span class="provider">Newsroom</span>')
    if article["published_at"]:
        parts.append(f"\n      {published_time(article['published_at'])}")
    parts.append("\n    </p>\n    ")
    parts.append(topic_list(topic_links([article["id"]]).get(article["id"], [])))
    parts.append("\n  </header>\n")
    if lead_image:
        alt = escape(lead_image.title or article["title"])
        parts.append(
            f'  <figure class="lead">\n    <img src="{escape(lead_image.url)}" alt="{alt}" '
            'loading="lazy" decoding="async"'
        )
        if lead_image.width:
            parts.append(f' width="{escape(lead_image.width)}"')
        if lead_image.height:
            parts.append(f' height="{escape(lead_image.height)}"')
        parts.append(">\n  </figure>\n")
    if article["excerpt"]:
        parts.append(f'  <p class="lede">{escape(article["excerpt"])}</p>\n')
    if article["body"]:
        parts.append(f'  <div class="body">{markdown(article["body"])}</div>\n')
    original = article["web_url"] or article["original_url"]
    if original:
        name = article["provider_name"] or (source.text if source else "") or "the source"
        parts.append(
            f'  <p class="source"><a class="button" href="{escape(original)}" '
            'rel="noopener noreferrer" target="_blank">'
            f'Read the full story at {escape(name)}<span class="visually-hidden"> '
            "(opens in a new tab)</span></a></p>\n"
        )
    parts.append("</article>\n")
    parts.append(other_coverage(article["other_coverage"]))
    parts.append(related_coverage(article["id"]))
    return "".join(parts)


def other_coverage(column: str | None) -> str:
    """The story's other published articles, by their providers (see stories.py)."""
    links = coverage_links(column, slug_urls("articles:article"))
    if not links:
        return ""
    section = '<section class="coverage" aria-label="Other coverage">'
    return f"{section}{also_covered_by(links)}</section>\n"


def related_coverage(article_id: int) -> str:
    """The related items, linking our own page when the article is published here."""
    items = RELATED.rows([article_id])
    if not items:
        return ""
    article_url = slug_urls("articles:article")
    parts = [
        '<section class="related" aria-labelledby="related-title">\n'
        '  <h2 id="related-title">Related coverage</h2>\n  <ul>\n'
    ]
    for item in items:
        title = escape(item["title"])
        if item["local_slug"] is not None:
            link = f'<a href="{escape(article_url(item["local_slug"]))}">{title}</a>'
        elif item["web_url"]:
            external = escape(item["web_url"])
            link = f'<a href="{external}" rel="noopener noreferrer nofollow">{title}</a>'
        else:
            link = title
        parts.append(f"    <li>\n      {link}\n")
        if item["provider_name"]:
            parts.append(f'      <span class="meta">{escape(item["provider_name"])}</span>\n')
        parts.append("    </li>\n")
    parts.append("  </ul>\n</section>\n")
    return "".join(parts)


def iso(moment) -> str:
    """What `|date:'c'` shows: ISO 8601 in the site's time zone."""
    return local_time(moment, timezone.get_current_timezone()).isoformat()


def published_time(moment) -> str:
    """`<time>` with the date and time, "5 March 2024, 09:30 UTC" for readers."""
    local = local_time(moment, timezone.get_current_timezone())
    date = f"{local.day} {MONTH_NAMES[local.month - 1]} {local.year}"
    shown = f"{date}, {local.hour:02}:{local.minute:02}"
    return f'<time datetime="{local.isoformat()}">{shown} UTC</time>'

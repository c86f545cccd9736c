"""Template helpers for the public pages: safe Markdown and schema.org JSON-LD."""

import json

import markdown as markdown_lib
import nh3
from django import template
from django.utils.html import _json_script_escapes
from django.utils.safestring import mark_safe

register = template.Library()

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
    request = context["request"]
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title[:110],
        "description": article.excerpt,
        "url": request.build_absolute_uri(article.get_absolute_url()),
        "mainEntityOfPage": request.build_absolute_uri(article.get_absolute_url()),
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

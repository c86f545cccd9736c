"""The site's frame (templates/base.html) for a page written in Python.

base.html is rendered once per process with markers around each of its blocks' own
content, and cut at the markers; a page then only joins its own HTML into the blocks. The
layout stays in one place, base.html, while the page skips the template engine, whose walk
through base.html's nodes (static files, header links, blocks) cost more than the whole rest
of an article page (profiled).

What base.html shows must then be the same for every request, apart from its blocks: it
uses no request, user or message, and its search box is empty outside the search page
(which is a template). Its links depend on the script prefix and the URLconf, which are
part of the cache key; a change of settings (in tests) empties the cache.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import engines
from django.urls import get_script_prefix, get_urlconf

BLOCKS = ("title", "description", "meta", "feeds", "content")
# Markers no template text contains: NUL, which no page may hold. A block comes out as
# NUL name NUL its own content NUL.
_BLOCK = re.compile("\x00([a-z]+)\x00(.*?)\x00", re.DOTALL)


def page(**blocks: str) -> str:
    """base.html with each block given (HTML, escaped by the caller) in place of the
    block's own content; a block not given keeps base.html's."""
    unknown = blocks.keys() - set(BLOCKS)
    if unknown:
        raise TypeError(f"base.html has no block {', '.join(sorted(unknown))}")
    texts, defaults = _frame(get_script_prefix(), get_urlconf())
    parts = [texts[0]]
    for name, default, text in zip(BLOCKS, defaults, texts[1:], strict=True):
        parts += [blocks.get(name, default), text]
    return "".join(parts)


@lru_cache(maxsize=8)
def _frame(prefix: str, urlconf: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """base.html's text around the blocks, and each block's own content."""
    # The prefix and the URLconf are in the arguments for the cache key: the header's links.
    marked = "".join(
        f"{{% block {name} %}}\x00{name}\x00{{{{ block.super }}}}\x00{{% endblock %}}"
        for name in BLOCKS
    )
    template = engines["django"].from_string('{% extends "base.html" %}' + marked)
    parts = _BLOCK.split(template.render({"query": ""}))
    # parts: text, name, content, text, name, content, ..., text.
    if tuple(parts[1::3]) != BLOCKS:
        raise ValueError(f"base.html should have the blocks {BLOCKS} once each, in that order")
    return tuple(parts[::3]), tuple(parts[2::3])


@receiver(setting_changed)
def _forget_frame(**kwargs) -> None:
    _frame.cache_clear()

"""Realistic documents for benchmarks, generated from the corpus sample's news articles.

Each generated document is a corpus article with its own web URL, title and date, so the
shape (field sizes, related lists, images, non-ASCII text) follows the real feed. They arrive
as a feed does: one story every two hours, in order of publication, and one in ten stories covered
twice (a second outlet's copy two hours later, under a prefixed title), so that grouping
stories has work to do. A corpus article comes back only every few days (one per story, in
turn), so two stories made from it are eleven days apart: different news, as in a real feed.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "everyday-ai"
WORDS = [
    "model",
    "agents",
    "chips",
    "policy",
    "robots",
    "vision",
    "health",
    "markets",
    "safety",
    "research",
]

_WEB_URL = re.compile(r'^webUrl: "?(.*?)"?$', re.MULTILINE)
# The article's other addresses, made its own too (the first of each: the article's).
_OTHER_URLS = [
    re.compile(rf'^{key}: "?(.*?)"?$', re.MULTILINE)
    for key in ("originalUrl", "ampWebUrl", "cdnAmpWebUrl")
]
_TITLE = re.compile(r'^title: "(.*)"$', re.MULTILINE)
_PUBLISHED = re.compile(r"^publishedDateTime: .*$", re.MULTILINE)
START = datetime(2002, 1, 1, tzinfo=UTC)
COPIED = 10  # every tenth document is another outlet's copy of the story before it


def templates() -> list[str]:
    texts = [path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.md"))]
    return [text for text in texts if text.startswith("---\ncategory: news\n")]


def generate(folder: Path, count: int, *, start: int = 0, seed: int = 7) -> list[Path]:
    """Write `count` documents numbered from `start` into `folder`."""
    sources = templates()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(start, start + count):
        copy = n % COPIED == COPIED - 1
        story = n - 1 if copy else n
        rng = random.Random(seed + story)
        text = sources[story % len(sources)]
        url = f"https://copies.example/{story}" if copy else None
        text = _WEB_URL.sub(
            lambda m, s=story, u=url: f'webUrl: "{u or _with_story(m.group(1), s)}"',
            text,
            count=1,
        )
        for pattern in _OTHER_URLS:
            text = pattern.sub(
                lambda m, s=story, c=copy: (
                    f'{m.group(0).split(":", 1)[0]}: "{_with_story(m.group(1), s, c)}"'
                ),
                text,
                count=1,
            )
        word = rng.choice(WORDS)
        prefix = "Report: " if copy else ""
        text = _TITLE.sub(
            lambda m, s=story, w=word, p=prefix: f'title: "{p}{m.group(1)} — {w} {s}"',
            text,
            count=1,
        )
        published = START + timedelta(hours=2 * story + 2 * copy)
        text = _PUBLISHED.sub(f"publishedDateTime: {published:%Y-%m-%dT%H:%M:%SZ}", text, count=1)
        path = folder / f"{n:06d}.md"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def _with_story(url: str, story: int, copy: bool = False) -> str:
    """The URL made the story's own with a query parameter (a copy's, another)."""
    return f"{url}{'&' if '?' in url else '?'}story={story}{'c' * copy}"

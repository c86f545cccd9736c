"""Realistic documents for benchmarks, generated from the corpus sample's news articles.

Each generated document is a corpus article with its own web URL, title and dates, so the
shape (field sizes, related lists, images, non-ASCII text) follows the real feed.
"""

from __future__ import annotations

import random
import re
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
_TITLE = re.compile(r'^title: "(.*)"$', re.MULTILINE)
_PUBLISHED = re.compile(r"^publishedDateTime: (\d{4})", re.MULTILINE)


def templates() -> list[str]:
    texts = [path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.md"))]
    return [text for text in texts if text.startswith("---\ncategory: news\n")]


def generate(folder: Path, count: int, *, start: int = 0, seed: int = 7) -> list[Path]:
    """Write `count` documents numbered from `start` into `folder`."""
    rng = random.Random(seed + start)
    sources = templates()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(start, start + count):
        text = rng.choice(sources)
        text = _WEB_URL.sub(lambda m, n=n: f'webUrl: "{m.group(1)}?story={n}"', text, count=1)
        text = _TITLE.sub(
            lambda m, n=n: f'title: "{m.group(1)} — {rng.choice(WORDS)} {n}"', text, count=1
        )
        text = _PUBLISHED.sub(f"publishedDateTime: {rng.randint(2015, 2025)}", text, count=1)
        path = folder / f"{n:06d}.md"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths

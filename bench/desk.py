"""The desk benchmark: the admin's article changelist at 100,000 articles against 1,000.

The page editors open most, /admin/articles/article/ (100 rows, the default ordering, no
filter), for a logged-in superuser, over the database the import benchmark leaves (100,000
articles) and over a 1,000-article database built here in the work folder from the same
generated documents. The ratio of the p50s should stay under 2: nothing on the page may
grow with the table (no full count, no full scan).

Measured in-process with Django's test Client (the whole request: middleware, session,
queries, templates; no server and no network, which would add the same to both sides):
after a warm-up, the two databases take turns, ROUNDS rounds of REQUESTS requests each, so
that load elsewhere on a shared machine falls on both alike; the p50 is over all requests.

Run it alone over the work folder of an earlier `make bench` (its database is reused, the
1,000-article one is built next to it):
    .venv/bin/python -m bench.desk /tmp/newsroom-bench-XXXX
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from . import setup_django

if __name__ == "__main__":
    if len(sys.argv) != 2 or not (Path(sys.argv[1]) / "bench.sqlite3").exists():
        sys.exit("usage: python -m bench.desk WORK_FOLDER (holding bench.sqlite3)")
    setup_django(Path(sys.argv[1]).resolve() / "bench.sqlite3")

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings

from articles.models import Article

from .documents import generate
from .importing import AtMost, Result

PATH = "/admin/articles/article/"
ROWS = 100  # the changelist's page size (ArticleAdmin.list_per_page)
SMALL = 1_000
WARMUP = 5
ROUNDS = 5
REQUESTS = 10  # per round and database: 50 timed requests on each side
TARGET = 2.0


@dataclass
class Side:
    """One database and a client logged in to it."""

    def __init__(self, path: Path):
        self.path = path
        self.times: list[float] = []
        use(path)
        user, _ = get_user_model().objects.get_or_create(
            username="bench-desk", defaults={"is_staff": True, "is_superuser": True}
        )
        self.articles = Article.objects.count()
        self.client = Client()
        self.client.force_login(user)

    def get(self) -> float:
        use(self.path)
        start = time.perf_counter()
        response = self.client.get(PATH)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"{PATH} answered {response.status_code} over {self.path}")
        rows = response.content.count(b'name="_selected_action"')
        if rows != min(ROWS, self.articles):
            raise RuntimeError(f"{PATH} showed {rows} rows over {self.path}")
        return elapsed

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.times) * 1000


def use(database: Path) -> None:
    """Point the default connection at another SQLite file (closed first)."""
    connection.close()
    connection.settings_dict["NAME"] = str(database)


def build_small(workdir: Path) -> Path:
    """A 1,000-article database from the same generator, migrated and imported."""
    from articles.importing.pipeline import Importer

    folder = workdir / "desk-1k"
    database = folder / "bench.sqlite3"
    if database.exists():
        return database
    folder.mkdir(exist_ok=True)
    use(database)
    call_command("migrate", verbosity=0)
    docs = folder / "docs"
    generate(docs, SMALL)
    report = Importer(max_bytes=settings.NEWSROOM_IMPORT_MAX_BYTES).run([docs])
    shutil.rmtree(docs)
    if report.counts["created"] != SMALL:
        raise RuntimeError(f"expected {SMALL} articles, got {report.summary()}")
    return database


# The test Client's host, and static URLs without the collected manifest (the page's work
# is what is measured, not the storage's; both sides are served alike).
@override_settings(
    ALLOWED_HOSTS=["testserver"],
    STORAGES={
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
)
def measure(big_db: Path, small_db: Path) -> list[Result]:
    big, small = Side(big_db), Side(small_db)
    for side in (big, small):
        for _ in range(WARMUP):
            side.get()
    for _ in range(ROUNDS):
        for side in (big, small):
            side.times += [side.get() for _ in range(REQUESTS)]
    ratio = big.p50_ms / small.p50_ms
    text = (
        f"p50 {big.p50_ms:.1f} ms at {big.articles:,} articles vs {small.p50_ms:.1f} ms at "
        f"{small.articles:,}: ratio {ratio:.2f} (target < {TARGET:.0f}); {ROWS} rows, "
        f"superuser, test Client in-process, {ROUNDS}x{REQUESTS} alternating requests each"
    )
    print(f"  {text}", flush=True)
    return [AtMost("admin changelist p50", text, TARGET, ratio)]


def run(workdir: Path) -> list[Result]:
    """Measure over the work folder's database (left by the import benchmark)."""
    big_db = Path(settings.DATABASES["default"]["NAME"])
    print(f"desk: the admin changelist at {big_db} and at {SMALL:,} articles ...", flush=True)
    try:
        small_db = build_small(workdir)
        return measure(big_db, small_db)
    except Exception as exc:
        traceback.print_exc()
        return [AtMost("admin changelist p50", f"failed: {type(exc).__name__}: {exc}")]
    finally:
        use(big_db)


def main() -> int:
    results = run(Path(sys.argv[1]).resolve())
    print()
    for r in results:
        verdict = "" if r.target is None else ("  ok" if r.met else "  ABOVE TARGET")
        print(f"{r.name}  {r.text}{verdict}")
    return 0 if all(r.met for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

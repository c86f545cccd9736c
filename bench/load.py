"""The load test: readers, API clients and an editor at work while a big import runs.

On SQLite and then on PostgreSQL (a throw-away database on 127.0.0.1:5432, with Redis as
the cache when it answers), each on its own fresh database:
1. 5,000 generated documents are imported and 90% of them published: the site's content.
2. gunicorn serves the site with 2 sync workers on loopback (production settings).
3. At once, and for as long as each takes:
   - `manage.py import_seeds` imports 20,000 new documents, among which come new versions
     of 300 of the published articles (their excerpts changed by their feed);
   - wrk, 32 connections for 30 s, asks for a mix of pages, feeds, API lists, API articles,
     API searches and site searches (bench/load.lua counts the answers by status class);
   - an editor toggles those 300 articles through the API (PATCH, with a token): publish
     or hold back, and a new quality, in turn, until the import ends.
4. Then every article must hold the editor's last decision and its feed's new excerpt.

Passes with zero 5xx answers, zero "database is locked" anywhere (server log, import
output, editor's answers), every editor change present and recorded, and a whole import.

Run it alone: `.venv/bin/python -m bench.load` (BENCH_LOAD_ONLY=SQLite or PostgreSQL).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from . import setup_django

if __name__ == "__main__":  # run alone: the modules below need Django set up
    WORKDIR = Path(tempfile.mkdtemp(prefix="newsroom-bench-load-"))
    setup_django(WORKDIR / "bench.sqlite3")  # the bench process's own, unused

from .documents import WORDS, generate
from .http import HOST, ROOT, Bench, Unavailable, flush_redis
from .importing import AtMost, Result

SITE_DOCUMENTS = 5_000
IMPORT_DOCUMENTS = 20_000
EDITED = 300  # articles the editor toggles, and whose documents the import brings anew
CONNECTIONS = 32
SECONDS = 30
IMPORT_TIMEOUT = 15 * 60
POSTGRES = "postgres://postgres@127.0.0.1:5432"
LOAD_REDIS_URL = f"redis://{HOST}:6379/14"
LOCKED = "database is locked"
ONLY = os.environ.get("BENCH_LOAD_ONLY", "")

SETUP = """
import json
from django.core.management import call_command
from django.db import connection
from rest_framework.authtoken.models import Token
from articles.models import Article, ArticleTopic
with connection.cursor() as cursor:  # 90% published, as in the HTTP benchmark
    cursor.execute("UPDATE articles_article SET is_published = (id % 10 <> 0)")
call_command("createcachetable", verbosity=0)
call_command("create_editor", "load-editor", interactive=False, verbosity=0)
token = Token.objects.create(user_id=Article.objects.model._meta.apps.get_model(
    "auth", "User").objects.get(username="load-editor").pk)
rows = Article.objects.published().order_by("-published_at").values_list("slug", "source_path")
print(json.dumps({
    "token": token.key,
    "edited": list(rows[:EDITED]),
    "read": [slug for slug, _ in rows[EDITED:EDITED + 6]],
    "topic": ArticleTopic.objects.values_list("topic__slug", flat=True).first(),
}))
"""

CHECK = """
import json, sys
from articles.models import Article, EditorialChange
wanted = json.load(sys.stdin)
rows = {a.slug: a for a in Article.objects.filter(slug__in=wanted)}
wrong = []
for slug, (published, quality, excerpt) in wanted.items():
    a = rows.get(slug)
    if a is None or (a.is_published, a.quality) != (published, quality):
        wrong.append(f"{slug}: editor's {(published, quality)}, found "
                     f"{(a.is_published, a.quality) if a else 'no article'}")
    elif not a.excerpt.endswith(excerpt):
        wrong.append(f"{slug}: the feed's new excerpt is missing")
changes = EditorialChange.objects.filter(article__slug__in=wanted).count()
print(json.dumps({"wrong": wrong, "changes": changes, "articles": Article.objects.count()}))
"""


@dataclass
class Editor:
    """Toggles articles through the API until told to stop; remembers what it decided."""

    site: str
    token: str
    slugs: list[str]
    decided: dict[str, tuple[bool, int]] = field(default_factory=dict)
    changes: int = 0  # values changed (two a PATCH: published state and quality)
    failures: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        turn = 0
        while not self.stop.is_set():
            for slug in self.slugs:
                if self.stop.is_set():
                    return
                published = turn % 2 == 1  # they start published: hold back first
                quality = 100 + turn
                if self.patch(slug, {"is_published": published, "quality": quality}):
                    self.decided[slug] = (published, quality)
                    self.changes += 2
                time.sleep(0.02)  # an editor's pace, quick: ~40 decisions a second
            turn += 1

    def patch(self, slug: str, values: dict) -> bool:
        request = urllib.request.Request(
            f"{self.site}/api/v1/articles/{slug}/",
            data=json.dumps({**values, "reason": "load test"}).encode(),
            method="PATCH",
            headers={"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
                return True
        except urllib.error.HTTPError as exc:
            self.failures.append(f"PATCH {slug}: HTTP {exc.code} {exc.read()[:200]!r}")
        except OSError as exc:
            self.failures.append(f"PATCH {slug}: {exc}")
        return False


def run(workdir: Path) -> list[Result]:
    bench = Bench(_wrk(), workdir)
    results = []
    for backend in ("SQLite", "PostgreSQL"):
        if ONLY and backend != ONLY:
            continue
        name = f"load under import ({backend})"
        try:
            with _database(backend, workdir) as env:
                results.append(LoadTest(bench, workdir / f"load-{backend}", env).run(name))
        except Unavailable as exc:
            results.append(AtMost(name, f"not measured: {exc}", 0.5))
    return results


def _wrk() -> str:
    from shutil import which

    wrk = which("wrk")
    if wrk is None:
        raise SystemExit("wrk is missing: `make bench-deps`")
    return wrk


@contextlib.contextmanager
def _database(backend: str, workdir: Path):
    """Production settings over a fresh database of that backend, dropped afterwards."""
    env = {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DJANGO_LOG_LEVEL": "WARNING",
        "NEWSROOM_API_ANON_RATE": "",  # one client machine at full speed is the point
        "REDIS_URL": "",
    }
    if backend == "SQLite":
        database = workdir / "load.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        yield {**env, "DATABASE_URL": f"sqlite:///{database}"}
        return
    import psycopg

    name = f"newsroom_bench_load_{os.getpid()}"
    try:
        admin = psycopg.connect(f"{POSTGRES}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        raise Unavailable(f"PostgreSQL at {POSTGRES} cannot be reached: {exc}") from None
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            redis = {} if flush_redis(LOAD_REDIS_URL) else {"REDIS_URL": LOAD_REDIS_URL}
            yield {**env, **redis, "DATABASE_URL": f"{POSTGRES}/{name}"}
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class LoadTest:
    def __init__(self, bench: Bench, folder: Path, env: dict[str, str]):
        self.bench = bench
        self.label = folder.name
        self.folder = folder
        self.env = {**os.environ, **env}
        folder.mkdir(parents=True, exist_ok=True)

    def manage(self, *args: str, stdin: str = "", timeout: float = 600) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, "NEWSROOM_EDITOR_PASSWORD": "load-test-password-7"},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise Unavailable(f"manage.py {args[0]} failed: {done.stderr.strip()[-2000:]}")
        return done.stdout

    def run(self, name: str) -> Result:
        print(f"{name}: preparing ...", flush=True)
        site_docs, import_docs = self.folder / "site", self.folder / "import"
        generate(site_docs, SITE_DOCUMENTS, start=500_000)
        generate(import_docs, IMPORT_DOCUMENTS, start=600_000)
        self.manage("migrate", "--no-input")
        self.manage("import_seeds", str(site_docs))
        setup = self.manage("shell", "-c", SETUP.replace("EDITED", str(EDITED)))
        setup = json.loads(setup.splitlines()[-1])  # after what the commands said
        excerpts = self.bring_new_versions(setup["edited"], import_docs)
        slugs = [slug for slug, _ in setup["edited"]]
        self.manage("collectstatic", "--no-input", timeout=120)

        script = self.folder / "load.lua"
        script.write_text(lua_script(setup["read"], setup["topic"]))
        with self.bench.server("newsroom.wsgi", self.label, self.env, "/healthz") as site:
            print(f"{name}: import, readers and an editor at once ...", flush=True)
            editor = Editor(site, setup["token"], slugs)
            importing = subprocess.Popen(
                [sys.executable, "manage.py", "import_seeds", str(import_docs)],
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            started = time.monotonic()
            toggling = threading.Thread(target=editor.run, daemon=True)
            toggling.start()
            load = self.bench.wrk(site + "/", SECONDS, CONNECTIONS, script)
            counts = answer_counts(load.output)
            import_output, _ = importing.communicate(timeout=IMPORT_TIMEOUT)
            import_seconds = time.monotonic() - started
            editor.stop.set()
            toggling.join(timeout=120)
        server_log = (self.bench.logs / f"{self.label}.log").read_text(errors="replace")

        decided = editor.decided
        wanted = {slug: (*decided[slug], excerpts[slug]) for slug in slugs if slug in decided}
        check = self.manage("shell", "-c", CHECK, stdin=json.dumps(wanted))
        check = json.loads(check.splitlines()[-1])
        problems = []
        if counts.get("5xx"):
            problems.append(f"{counts['5xx']} 5xx answers")
        if load.failures:
            problems.append(f"wrk: {load.failures}")
        locked = sum(text.count(LOCKED) for text in (server_log, import_output, *editor.failures))
        if locked:
            problems.append(f'{locked} "{LOCKED}"')
        summary = f"{IMPORT_DOCUMENTS} created, {EDITED} updated"
        if importing.returncode != 0 or summary not in import_output:
            problems.append(f"import: exit {importing.returncode}, {import_output.strip()[-300:]}")
        if editor.failures:
            problems.append(f"{len(editor.failures)} editor failures: {editor.failures[:3]}")
        if check["wrong"]:
            problems.append(f"{len(check['wrong'])} articles lost a change: {check['wrong'][:3]}")
        if check["changes"] < editor.changes:
            problems.append(f"{check['changes']} changes recorded of the editor's {editor.changes}")
        text = (
            f"{load.requests:,} requests in {SECONDS} s ({load.rps:,.0f}/s, p50 "
            f"{load.p50:.0f} ms, p99 {load.p99:.0f} ms), by class {counts}; import of "
            f"{IMPORT_DOCUMENTS:,} + {EDITED} new versions in {import_seconds:.0f} s; "
            f"{editor.changes:,} editor changes to {len(wanted)} articles, all present and "
            f"recorded ({check['changes']:,} history rows)"
        )
        if problems:
            text = f"FAILED: {'; '.join(problems)}. {text}"
        print(f"  {text}", flush=True)
        return AtMost(name, text, 0.5, len(problems))

    def bring_new_versions(self, articles: list[list[str]], folder: Path) -> dict[str, str]:
        """Put a new version of each article's document among the import's (its excerpt
        changed), spread through the run; the new excerpts' endings, by slug."""
        excerpts = {}
        step = IMPORT_DOCUMENTS // len(articles)
        for n, (slug, source_path) in enumerate(articles):
            text = Path(source_path).read_text(encoding="utf-8")
            ending = f" (updated by its feed, {n})"
            text, found = re.subn(
                r'^excerpt: "(.*)"$', lambda m, e=ending: f'excerpt: "{m.group(1)}{e}"', text,
                count=1, flags=re.MULTILINE,
            )  # fmt: skip
            if not found:
                raise Unavailable(f"{source_path} has no one-line excerpt to change")
            # Named to sort just before a new document, so they come throughout the import.
            (folder / f"{600_000 + n * step:06d}-new-version.md").write_text(text, "utf-8")
            excerpts[slug] = ending
        return excerpts


def lua_script(slugs: list[str], topic: str) -> str:
    """wrk's requests, in turn, and a count of the answers by status class."""
    paths = ["/", "/?page=3", "/topics/", f"/topics/{topic}/", "/providers/", "/feed/"]
    paths += ["/api/v1/articles/", f"/api/v1/articles/?topic={topic}", "/api/v1/topics/"]
    paths += [f"/search/?q={word}" for word in WORDS[:3]]
    paths += [f"/api/v1/articles/?q={word}" for word in WORDS[3:5]]
    for slug in slugs:
        paths += [f"/articles/{slug}/", f"/api/v1/articles/{slug}/"]
    listed = ", ".join(f'"{path}"' for path in paths)
    return f"""
local paths = {{{listed}}}
local n = 0
request = function()
  n = n % #paths + 1
  return wrk.format("GET", paths[n])
end
s2, s3, s4, s5 = 0, 0, 0, 0
response = function(status, headers, body)
  if status >= 500 then s5 = s5 + 1 elseif status >= 400 then s4 = s4 + 1
  elseif status >= 300 then s3 = s3 + 1 else s2 = s2 + 1 end
end
local threads = {{}}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local t = {{0, 0, 0, 0}}
  for _, thread in ipairs(threads) do
    t[1] = t[1] + thread:get("s2"); t[2] = t[2] + thread:get("s3")
    t[3] = t[3] + thread:get("s4"); t[4] = t[4] + thread:get("s5")
  end
  io.write(string.format("answers: 2xx %d 3xx %d 4xx %d 5xx %d\\n", t[1], t[2], t[3], t[4]))
end
"""


def answer_counts(output: str) -> dict[str, int]:
    found = re.search(r"answers: 2xx (\d+) 3xx (\d+) 4xx (\d+) 5xx (\d+)", output)
    if found is None:
        raise Unavailable(f"wrk's script printed no counts: {output!r}")
    return dict(zip(("2xx", "3xx", "4xx", "5xx"), map(int, found.groups()), strict=True))


def main() -> int:
    workdir = WORKDIR
    try:
        for result in run(workdir):
            print(f"{result.name}  {result.text}{'  ok' if result.met else '  FAILED'}")
    finally:
        if os.environ.get("NEWSROOM_BENCH_KEEP") != "1":
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

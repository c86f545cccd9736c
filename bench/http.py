"""The HTTP benchmark: public pages' requests/s against a minimal WSGI app of the same size.

Runs after the import benchmark, over the database it leaves (100,000 imported articles), of
which 90% are published first (editors hold some back, so the public filter filters).

Both sides run under the same server and load generator, on loopback only:
- server: gunicorn, 2 sync workers, bound to 127.0.0.1 on a free port, DEBUG off;
- baseline: bench/minimal_wsgi.py, returning 200 and a body of exactly the page's size;
- load: wrk, one thread, 4 connections, --latency; after a 2 s warm-up of each, the page and
  its baseline take turns, 3 rounds of 4 s each, and the medians of the rounds are compared
  (the machine is shared: load elsewhere then falls on both sides alike).

Why these wrk settings: the machine may have only 2 cores, shared by wrk, gunicorn and the app.
One wrk thread (an event loop that can drive far more requests/s than 2 sync workers serve)
takes the least CPU away from the server. 4 connections is 2 per worker: each worker always
has the next request waiting, so the figure is the server's throughput, while the listen queue
stays short enough for p50/p99 to mean something. Sync workers close every connection, so
both sides pay a TCP connect per request alike.

Figures (see DESIGN.md, "Quality bars"), one for each line of TARGETS below:
- home page and an article page with the page cache off: requests/s ratio (targets 0.10, 0.20);
- the API's list of 20 articles, the same 80,000 articles deep (a cursor), and one article,
  page cache off (targets 0.10, 0.10, 0.20);
- pages and API answers with the page cache on, in Redis db 15 (or local memory when Redis
  is down): 0.5;
  the first request renders the page, every later one (warm-up included) is a hit;
- search latency, p50 and p99 over several words with the page cache off (target p50 < 100 ms),
  with 2 connections: both workers busy, no request waiting in the queue.

Run it alone over a database an earlier `make bench` left (its work folder is printed):
    .venv/bin/python -m bench.http /tmp/newsroom-bench-XXXX
and only some of the figures, while working on them, with BENCH_HTTP_ONLY: the beginnings of
their names, separated by ";" (e.g. "home page, uncached;API list" or "search").
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from . import setup_django


def standalone_setup(argv: list[str]) -> Path:
    """`python -m bench.http FOLDER`: production settings over that folder's database.

    Runs before the import below, which needs Django set up (bench/__main__.py does the same).
    """
    if len(argv) != 1:
        sys.exit("usage: python -m bench.http WORK_FOLDER_OR_SQLITE_FILE")
    target = Path(argv[0]).resolve()
    database = target / "bench.sqlite3" if target.is_dir() else target
    if not database.exists():
        sys.exit(f"no database at {database}")
    setup_django(database)
    return database


if __name__ == "__main__":
    DATABASE = standalone_setup(sys.argv[1:])

from .documents import WORDS  # noqa: E402
from .importing import AtMost, Result  # noqa: E402 (run alone, Django must be set up first)

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # loopback only, never another address
REDIS_URL = f"redis://{HOST}:6379/15"

# BENCH_HTTP_ONLY: measure only the figures whose names begin so (see the docstring).
ONLY = tuple(
    name.strip() for name in os.environ.get("BENCH_HTTP_ONLY", "").split(";") if name.strip()
)

WORKERS = 2
WRK_THREADS = 1
WRK_CONNECTIONS = 4
# The machine is shared: a burst of load elsewhere must not land on one side only. So the
# page and its baseline take turns, ROUNDS times each, and the medians are compared.
ROUNDS = 3
ROUND_SECONDS = int(os.environ.get("BENCH_HTTP_ROUND_SECONDS", "4"))
WARMUP_SECONDS = 2
SEARCH_SECONDS = 10
SEARCH_CONNECTIONS = 2  # one request per worker: busy, but nothing waits in the queue
# The words bench/documents.py puts in titles: each is in about a tenth of the articles, so
# every search ranks thousands of matches (the heavy end of what readers type).
SEARCH_WORDS = WORDS
PUBLISHED_SHARE = 0.9

STARTUP_TIMEOUT = 60  # seconds for gunicorn to answer its first request
STOP_TIMEOUT = 10  # seconds between SIGTERM and SIGKILL


@dataclass
@dataclass
class Load:
    """What wrk measured: requests/s, p50 and p99 in milliseconds, and any failures."""

    rps: float
    p50: float
    p99: float
    requests: int
    non_2xx: int
    socket_errors: dict[str, int]
    output: str = ""  # wrk's own report, with what a script printed

    @property
    def failures(self) -> str:
        problems = [f"{n} {kind} errors" for kind, n in self.socket_errors.items() if n]
        if self.non_2xx:
            problems.insert(0, f"{self.non_2xx} non-2xx/3xx responses")
        return ", ".join(problems)

    def __str__(self) -> str:
        return f"{self.rps:,.0f} req/s (p50 {ms(self.p50)}, p99 {ms(self.p99)})"

    @classmethod
    def median(cls, rounds: list[Load]) -> Load:
        """The median of each figure over the rounds; failures add up."""
        return cls(
            rps=statistics.median(r.rps for r in rounds),
            p50=statistics.median(r.p50 for r in rounds),
            p99=statistics.median(r.p99 for r in rounds),
            requests=sum(r.requests for r in rounds),
            non_2xx=sum(r.non_2xx for r in rounds),
            socket_errors={
                kind: sum(r.socket_errors.get(kind, 0) for r in rounds)
                for kind in ("connect", "read", "write", "timeout")
            },
        )


class Unavailable(Exception):
    """The page cannot be measured (an HTTP error, a server that does not start)."""


class Target(NamedTuple):
    """A page to measure: its requests/s must be at least `ratio` times the minimal WSGI
    app's for a body of the same size, with the page cache on (`cached`) or off."""

    name: str
    # "{slug}": the newest published article's slug; "{deep}": an API cursor 80,000
    # articles down the default order (page 4,001 of 20).
    path: str
    ratio: float
    cached: bool


# What `make bench` measures; add a line to measure another page (an API endpoint, say).
TARGETS = [
    Target("home page", "/", 0.10, cached=False),
    Target("article page", "/articles/{slug}/", 0.20, cached=False),
    Target("API list (20 articles)", "/api/v1/articles/", 0.10, cached=False),
    Target("API list, 80,000 deep", "/api/v1/articles/?cursor={deep}", 0.10, cached=False),
    Target("API article", "/api/v1/articles/{slug}/", 0.20, cached=False),
    Target("home page", "/", 0.5, cached=True),
    Target("article page", "/articles/{slug}/", 0.5, cached=True),
    Target("API list (20 articles)", "/api/v1/articles/", 0.5, cached=True),
    Target("API article", "/api/v1/articles/{slug}/", 0.5, cached=True),
]
SEARCH = "search p50, uncached"
DEEP = 80_000  # articles down the API's default order for the "{deep}" cursor


def run(workdir: Path) -> list[Result]:
    wrk = shutil.which("wrk")
    if wrk is None:
        return [Result("HTTP pages", "not measured: wrk is missing (`make bench-deps`)")]
    logs = workdir / "http"
    logs.mkdir(exist_ok=True)
    bench = Bench(wrk, logs)

    published, slug, deep = prepare_database()
    print(f"HTTP: {published:,} published articles; newest article {slug}", flush=True)
    results = [
        Result(
            "HTTP setup",
            f"gunicorn {WORKERS} sync workers on {HOST}; wrk -t{WRK_THREADS} "
            f"-c{WRK_CONNECTIONS} --latency, page and baseline in {ROUNDS} alternating "
            f"{ROUND_SECONDS}s rounds each after {WARMUP_SECONDS}s warm-ups, medians; "
            f"{published:,} published articles",
        )
    ]

    uncached = [t for t in TARGETS if not t.cached and wanted(f"{t.name}, uncached")]
    try:
        if uncached or wanted(SEARCH):
            with bench.newsroom("uncached", NEWSROOM_PAGE_CACHE_SECONDS="0") as site:
                for target in uncached:
                    path = target.path.format(slug=slug, deep=deep)
                    name = f"{target.name}, uncached"
                    results.append(bench.compare(site, name, path, target.ratio))
                if wanted(SEARCH):
                    results.append(bench.search(site))
    except Unavailable as exc:
        results += [
            Result(f"{t.name}, uncached", f"not measured: {exc}", t.ratio) for t in uncached
        ]

    cached = [t for t in TARGETS if t.cached and wanted(f"{t.name}, cached")]
    if not cached:
        return results
    problem = flush_redis()
    if problem is None:
        cache, extra = "Redis", {"REDIS_URL": REDIS_URL}
    else:
        print(
            f"HTTP: Redis at {REDIS_URL} is unreachable ({problem}); "
            "measuring the cached pages with the local-memory cache instead",
            flush=True,
        )
        cache, extra = "local memory: Redis unreachable", {}
    try:
        with bench.newsroom("cached", NEWSROOM_PAGE_CACHE_SECONDS="600", **extra) as site:
            for target in cached:
                path = target.path.format(slug=slug, deep=deep)
                name = f"{target.name}, cached ({cache})"
                results.append(bench.compare(site, name, path, target.ratio))
    except Unavailable as exc:
        results += [
            Result(f"{t.name}, cached ({cache})", f"not measured: {exc}", t.ratio) for t in cached
        ]
    return results


def wanted(name: str) -> bool:
    return not ONLY or name.startswith(ONLY)


def prepare_database() -> tuple[int, str, str]:
    """Publish 90% of the imported articles; the cache table and static manifest pages need."""
    from django.core.management import call_command
    from django.db import connection

    from articles.models import Article

    print("HTTP: publishing articles, collecting static files ...", flush=True)
    modulo = round(1 / (1 - PUBLISHED_SHARE))
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE articles_article SET is_published = (id % {modulo} != 0)")
        # Fold the write-ahead log back into the database: the servers start from a database
        # at rest, not one whose last 100,000-row write every reader must look up in the log.
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    call_command("createcachetable", verbosity=0)
    # DEBUG off: the manifest storage needs collected files (staticfiles/ is git-ignored).
    call_command("collectstatic", interactive=False, verbosity=0)
    published = Article.objects.published().count()
    # The page readers open most: the newest published article, first on the home page.
    slug = Article.objects.published().values_list("slug", flat=True).first()
    deep = deep_cursor(min(DEEP, published - 1))
    connection.close()  # the servers are other processes: hold nothing open on the file
    if slug is None:
        raise RuntimeError("no published article to measure")
    return published, slug, deep


def deep_cursor(depth: int) -> str:
    """The API's own cursor for the page after the `depth`-th article, newest first."""
    from articles.api.pagination import ORDERINGS, KeysetPagination
    from articles.models import Article

    paginator = KeysetPagination()
    paginator.ordering_name = "-published_at"
    paginator.ordering = ORDERINGS[paginator.ordering_name]
    articles = Article.objects.published().order_by(*paginator.ordering.expressions())
    row = articles.values("id", "published_at")[depth]
    return paginator.encode_cursor(row, reverse=False)


def flush_redis(url: str = REDIS_URL) -> str | None:
    """Empty the benchmark's Redis database; the problem when Redis cannot be reached."""
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
        client.flushdb()
        client.close()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


class Bench:
    def __init__(self, wrk: str, logs: Path):
        self.wrk_path = wrk
        self.logs = logs
        self.gunicorn = str(Path(sys.executable).parent / "gunicorn")
        if not os.access(self.gunicorn, os.X_OK):
            self.gunicorn = shutil.which("gunicorn") or self.gunicorn

    def newsroom(self, label: str, **env: str):
        server_env = {
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "bench-only-" + "x" * 40,
            "DJANGO_ALLOWED_HOSTS": HOST,
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "DJANGO_LOG_LEVEL": "WARNING",
            "NEWSROOM_API_ANON_RATE": "",  # one client at full speed is the point here
            **env,
        }
        return self.server("newsroom.wsgi", f"newsroom-{label}", server_env, "/healthz")

    def baseline(self, size: int):
        return self.server(
            "bench.minimal_wsgi:application", "baseline", {"BENCH_BODY_BYTES": str(size)}, "/"
        )

    @contextlib.contextmanager
    def server(self, app: str, label: str, extra_env: dict[str, str], ready_path: str):
        """Serve `app` with gunicorn on a free loopback port; always stopped on the way out."""
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        env.update(extra_env)
        port = free_port()
        log_path = self.logs / f"{label}.log"
        command = [
            self.gunicorn,
            app,
            f"--workers={WORKERS}",
            "--worker-class=sync",
            f"--bind={HOST}:{port}",
            f"--chdir={ROOT}",
            "--timeout=60",
            f"--graceful-timeout={STOP_TIMEOUT // 2}",
            "--log-level=warning",
        ]
        with open(log_path, "ab") as log:
            # Its own session: stopping the group stops the master and its workers, nothing else.
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            base = f"http://{HOST}:{port}"
            wait_until_ready(process, base + ready_path, log_path)
            yield base
        finally:
            stop(process)

    def compare(self, site: str, name: str, path: str, target: float) -> Result:
        """Load a page, then the baseline with a body of the page's size, with the same wrk."""
        try:
            print(f"HTTP: {name}: {path}", flush=True)
            size = page_size(site + path)
            with self.baseline(size) as floor_site:
                if (floor_size := page_size(floor_site + "/")) != size:
                    raise Unavailable(f"the baseline answered {floor_size} bytes, not {size}")
                self.wrk(site + path, WARMUP_SECONDS)
                self.wrk(floor_site + "/", WARMUP_SECONDS)
                apps, floors = [], []
                for _ in range(ROUNDS):
                    apps.append(self.wrk(site + path, ROUND_SECONDS))
                    floors.append(self.wrk(floor_site + "/", ROUND_SECONDS))
            app, floor = Load.median(apps), Load.median(floors)
        except (Unavailable, subprocess.SubprocessError) as exc:
            return Result(name, f"not measured: {exc}", target, None)
        ratio = app.rps / floor.rps
        text = (
            f"{app} vs minimal WSGI {floor}, {size:,}-byte body: "
            f"ratio {ratio:.2f} (target >= {target:.2f})"
        )
        if app.failures or floor.failures:
            # Errors are cheap to serve: such a figure would flatter the app.
            text += f"; INVALID: Newsroom {app.failures or 'ok'}, baseline {floor.failures or 'ok'}"
            ratio = None
        print(f"  {text}", flush=True)
        return Result(name, text, target, ratio)

    def search(self, site: str) -> Result:
        name = SEARCH
        target = 100.0
        print(f"HTTP: {name}: /search/?q= {', '.join(SEARCH_WORDS)}", flush=True)
        try:
            for word in SEARCH_WORDS:
                page_size(f"{site}/search/?q={word}")
        except Unavailable as exc:
            return AtMost(name, f"search not available: {exc}; see {self.logs}")
        script = self.logs / "search.lua"
        words = ", ".join(f'"{w}"' for w in SEARCH_WORDS)
        script.write_text(
            f"local words = {{{words}}}\nlocal n = 0\n"
            "request = function()\n  n = n % #words + 1\n"
            '  return wrk.format("GET", "/search/?q=" .. words[n])\nend\n'
        )
        try:
            self.wrk(site + "/search/", WARMUP_SECONDS, SEARCH_CONNECTIONS, script)
            found = self.wrk(site + "/search/", SEARCH_SECONDS, SEARCH_CONNECTIONS, script)
        except subprocess.SubprocessError as exc:
            return AtMost(name, f"not measured: {exc}", target, None)
        text = (
            f"p50 {ms(found.p50)}, p99 {ms(found.p99)} (target p50 < {target:.0f} ms); "
            f"{found.rps:,.0f} req/s with wrk -c{SEARCH_CONNECTIONS}, "
            f"{len(SEARCH_WORDS)} words in turn"
        )
        value = found.p50
        if found.failures:
            text += f"; INVALID: {found.failures}"
            value = None
        print(f"  {text}", flush=True)
        return AtMost(name, text, target, value)

    def wrk(
        self,
        url: str,
        seconds: int,
        connections: int = WRK_CONNECTIONS,
        script: Path | None = None,
    ) -> Load:
        """One wrk run; every run of the benchmark has the same settings but its duration."""
        command = [
            self.wrk_path,
            f"-t{WRK_THREADS}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout=10s",
            "--latency",
        ]
        if script is not None:
            command.append(f"--script={script}")
        out = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 30)
        if out.returncode != 0:
            raise subprocess.SubprocessError(f"wrk failed: {out.stderr.strip() or out.stdout}")
        return parse_wrk(out.stdout)


def parse_wrk(output: str) -> Load:
    def number(pattern: str) -> str:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise subprocess.SubprocessError(f"unexpected wrk output: {output!r}")
        return match.group(1)

    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Load(
        rps=float(number(r"^Requests/sec:\s+([\d.]+)")),
        p50=duration_ms(number(r"^\s+50%\s+(\S+)")),
        p99=duration_ms(number(r"^\s+99%\s+(\S+)")),
        requests=int(number(r"^\s+(\d+) requests in")),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=dict(
            zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True)
        )
        if errors
        else {},
        output=output,
    )


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def duration_ms(text: str) -> float:
    """wrk's durations ("812.00us", "1.20ms", "2.01s") in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise subprocess.SubprocessError(f"unexpected wrk duration {text!r}")
    return float(match.group(1)) * UNITS_MS[match.group(2)]


def ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"


def page_size(url: str) -> int:
    """Fetch a page once; its body size in bytes, or Unavailable if it is not a 200."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        raise Unavailable(f"HTTP {exc.code} from {url}") from None
    except OSError as exc:
        raise Unavailable(f"{url}: {exc}") from None
    if status != 200:  # a redirect would have been followed: only a 200 of its own counts
        raise Unavailable(f"HTTP {status} from {url}")
    return len(body)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def wait_until_ready(process: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Unavailable(f"gunicorn exited with {process.returncode}:\n{tail(log_path)}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                response.read()
                return
        except urllib.error.HTTPError as exc:
            raise Unavailable(f"HTTP {exc.code} from {url}:\n{tail(log_path)}") from None
        except OSError:
            time.sleep(0.2)
    raise Unavailable(f"gunicorn did not answer {url} in {STARTUP_TIMEOUT}s:\n{tail(log_path)}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, then SIGKILL if it has not gone in time."""
    group = process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT)
    # A worker that outlived its master (it should not) is still in the group.
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def main() -> int:
    """Measure over the database of an earlier run's work folder (see standalone_setup)."""
    results = run(DATABASE.parent)
    print()
    width = max(len(r.name) for r in results)
    for r in results:
        verdict = "" if r.target is None else ("  ok" if r.met else "  BELOW TARGET")
        print(f"{r.name:<{width}}  {r.text}{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

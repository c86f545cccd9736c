"""Faults, with real processes and real commits: an import killed midway, a database that
goes away under the running site, a read-only or full database during an import.

Each test runs `manage.py` (and gunicorn) in subprocesses against a database of its own: a
SQLite file under tmp_path, or, when the suite runs on PostgreSQL, a database created for
the test on the same server (never the suite's own) and dropped after it. SQLite variants
run on both suites where they are cheap; a full disk is only simulated for SQLite.

The scratch-database helpers are test_backup.py's too.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import InterfaceError, InternalError, OperationalError, ProgrammingError
from django.test import Client

from articles.importing.parse import parse_document
from bench.documents import generate
from newsroom import outage

from .conftest import PROJECT, SEEDS

SUITE_DB = settings.DATABASES["default"]
ON_POSTGRESQL = SUITE_DB["ENGINE"] == "django.db.backends.postgresql"
# The SQLite variants always run (they need nothing but files); the PostgreSQL ones when
# the suite runs on PostgreSQL (CI's second run), where a server is there to use.
BACKENDS = ["sqlite", "postgresql"] if ON_POSTGRESQL else ["sqlite"]

DOCUMENTS = 2000  # generated documents the killed import works through: ten batches
BATCH = 200  # documents per transaction in these imports: many batches, cheaply


# ---------------------------------------------------------------------------------------
# Scratch databases and subprocesses.


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment of a `manage.py` subprocess: none of the suite's own configuration
    (its database, Redis, settings module), so that a subprocess only ever touches the
    database it is given."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "NEWSROOM_"))
    }
    env["DJANGO_SETTINGS_MODULE"] = "newsroom.settings"
    return env | extra


def settings_module(folder: Path, name: str, lines: str) -> dict[str, str]:
    """Write settings that extend the project's and return the environment that selects
    them: what the environment cannot say (a read-only URI, a size cap) goes here."""
    (folder / f"{name}.py").write_text(
        "from newsroom.settings import *  # noqa: F403\n\n" + lines, encoding="utf-8"
    )
    return {"DJANGO_SETTINGS_MODULE": name, "PYTHONPATH": f"{folder}{os.pathsep}{PROJECT}"}


class Scratch:
    """A database of the test's own, and `manage.py` run against it."""

    vendor: str
    url: str  # its DATABASE_URL

    def env(self, **extra: str) -> dict[str, str]:
        return subprocess_env(DATABASE_URL=self.url, **extra)

    def manage(self, *args: str, env: dict | None = None, timeout: float = 180):
        """Run a command to its end; returns the CompletedProcess (text)."""
        return subprocess.run(
            [sys.executable, "manage.py", *map(str, args)],
            cwd=PROJECT,
            env=self.env(**(env or {})),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def start(self, *args: str) -> subprocess.Popen:
        """Start a command in a process group of its own (the import's parser processes
        included), so that it can be killed whole, as the kernel's OOM killer or
        `systemctl kill` would."""
        return subprocess.Popen(
            [sys.executable, "manage.py", *map(str, args)],
            cwd=PROJECT,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def rows(self, sql: str) -> list[tuple]:
        raise NotImplementedError

    def count(self, table: str) -> int:
        return self.rows(f"SELECT count(*) FROM {table}")[0][0]

    def fingerprint(self) -> dict[str, int]:
        """Rows in every table: what "the database is unchanged" is checked against."""
        return {table: self.count(table) for table in self.tables()}

    def tables(self) -> list[str]:
        raise NotImplementedError


class SqliteScratch(Scratch):
    vendor = "sqlite"

    def __init__(self, path: Path):
        self.path = path
        self.url = f"sqlite:///{path}"  # an absolute path: sqlite:////tmp/...

    def rows(self, sql: str) -> list[tuple]:
        with contextlib.closing(sqlite3.connect(self.path, timeout=20)) as db:
            return db.execute(sql).fetchall()

    def tables(self) -> list[str]:
        found = self.rows("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY 1")
        # The search index's shadow tables (FTS5's) follow its virtual table: reading that
        # one is enough, and SQLite's own tables are its bookkeeping.
        virtual = tuple(f"{name}_" for name, sql in found if sql.startswith("CREATE VIRTUAL"))
        return [name for name, _sql in found if not name.startswith(("sqlite_", *virtual))]

    def integrity(self) -> str:
        return self.rows("PRAGMA integrity_check")[0][0]


def pg_admin(dbname: str = "postgres"):
    """A connection to the suite's PostgreSQL server, to create and drop databases."""
    import psycopg

    return psycopg.connect(
        host=SUITE_DB.get("HOST") or None,
        port=SUITE_DB.get("PORT") or None,
        user=SUITE_DB.get("USER") or None,
        password=SUITE_DB.get("PASSWORD") or None,
        dbname=dbname,
        autocommit=True,
    )


class PostgresScratch(Scratch):
    vendor = "postgresql"

    def __init__(self, purpose: str, template: PostgresScratch | None = None):
        self.name = f"newsroom_{purpose}_{uuid.uuid4().hex[:10]}"  # unique to this test
        user, password = SUITE_DB.get("USER") or "", SUITE_DB.get("PASSWORD") or ""
        credentials = quote(user) + (f":{quote(password)}" if password else "")
        host = f"{SUITE_DB.get('HOST') or '127.0.0.1'}:{SUITE_DB.get('PORT') or 5432}"
        self.url = f"postgres://{credentials}@{host}/{self.name}"
        with pg_admin() as admin:
            clause = f" TEMPLATE {template.name}" if template else ""
            admin.execute(f"CREATE DATABASE {self.name}{clause}")

    def drop(self) -> None:
        with pg_admin() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")

    def rows(self, sql: str) -> list[tuple]:
        with pg_admin(self.name) as db:
            return db.execute(sql).fetchall()

    def tables(self) -> list[str]:
        return [
            name
            for (name,) in self.rows(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                "'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
            )
        ]

    def integrity(self) -> str:
        return "ok"  # the server's own crash recovery; nothing to ask a client


def check(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A migrated database per backend, copied for each test (migrating costs seconds)."""
    templates = {}
    path = tmp_path_factory.mktemp("template") / "db.sqlite3"
    sqlite = SqliteScratch(path)
    check(sqlite.manage("migrate", "--no-input"))
    templates["sqlite"] = sqlite
    if ON_POSTGRESQL:
        postgres = templates["postgresql"] = PostgresScratch("fault_template")
        check(postgres.manage("migrate", "--no-input"))
    yield templates
    if ON_POSTGRESQL:
        templates["postgresql"].drop()


@pytest.fixture
def scratch(migrated, tmp_path):
    """make(backend, folder=None): a migrated scratch database of the test's own."""
    made = []

    def make(backend: str, folder: Path | None = None) -> Scratch:
        if backend == "sqlite":
            path = (folder or tmp_path) / "db.sqlite3"
            shutil.copyfile(migrated["sqlite"].path, path)
            return SqliteScratch(path)
        database = PostgresScratch("fault", template=migrated["postgresql"])
        made.append(database)
        return database

    yield make
    for database in made:
        database.drop()


@pytest.fixture(scope="module")
def documents(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("documents")
    generate(folder, DOCUMENTS)
    return folder


def summary(created=0, updated=0, unchanged=0, skipped=0, failed=0) -> str:
    return (
        f"Imported: {created} created, {updated} updated, {unchanged} unchanged, "
        f"{skipped} skipped, {failed} failed"
    )


@functools.cache
def source_record(path: str):
    """What the document at `path` says (parsed once a run: parsing costs ~1 ms)."""
    return parse_document(Path(path).read_bytes(), max_bytes=1 << 20).record


def assert_articles_whole(db: Scratch) -> int:
    """Every article in the database has every row its source document gives it (topics,
    images, related items and theirs) and a story: no article was left half written.
    Returns how many articles there are."""
    found = db.rows(
        """
        SELECT a.source_path, a.story_id,
          (SELECT count(*) FROM articles_articletopic t WHERE t.article_id = a.id),
          (SELECT count(*) FROM articles_image i WHERE i.article_id = a.id),
          (SELECT count(*) FROM articles_relateditem r WHERE r.article_id = a.id),
          (SELECT count(*) FROM articles_image i JOIN articles_relateditem r
             ON i.related_item_id = r.id WHERE r.article_id = a.id)
        FROM articles_article a
        """
    )
    for path, story_id, *counts in found:
        record = source_record(path)
        related_images = sum(
            len(item.images) + (len(item.provider.logos) if item.provider else 0)
            for item in record.related
        )
        expected = [
            len(record.topics),
            len(record.images) + (len(record.provider.logos) if record.provider else 0),
            len(record.related),
            related_images,
        ]
        assert counts == expected, f"{path} was written in part: {counts} != {expected}"
        assert story_id is not None, f"{path} has no story"
    return len(found)


def stderr_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


# ---------------------------------------------------------------------------------------
# An import killed midway.


@pytest.mark.parametrize("backend", ["postgresql" if ON_POSTGRESQL else "sqlite"])
def test_an_import_killed_midway_keeps_whole_batches_and_a_rerun_completes_it(
    backend, scratch, documents
):
    db = scratch(backend)
    importing = db.start("import_seeds", documents, f"--batch-size={BATCH}")
    try:
        # Kill it a few batches in, while it writes the next one (parsing runs ahead).
        deadline = time.monotonic() + 120
        while db.count("articles_article") < 3 * BATCH and importing.poll() is None:
            assert time.monotonic() < deadline, "the import wrote nothing in two minutes"
            time.sleep(0.02)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(importing.pid, signal.SIGKILL)
        _out, err = importing.communicate()
    assert importing.returncode == -signal.SIGKILL, f"it ended before it was killed: {err}"

    committed = db.count("articles_article")
    assert 3 * BATCH <= committed < DOCUMENTS
    assert committed % BATCH == 0, f"{committed} articles: a batch was kept in part"
    assert db.integrity() == "ok"
    assert assert_articles_whole(db) == committed

    rerun = check(db.manage("import_seeds", documents, f"--batch-size={BATCH}"))
    assert summary(created=DOCUMENTS - committed, unchanged=committed) in rerun.stdout
    assert assert_articles_whole(db) == DOCUMENTS

    again = check(db.manage("import_seeds", documents, f"--batch-size={BATCH}"))
    assert summary(unchanged=DOCUMENTS) in again.stdout
    print(f"killed at {committed} articles; the re-run created {DOCUMENTS - committed}")


# ---------------------------------------------------------------------------------------
# The database goes away under the running site.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, accept: str = "text/html") -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@contextlib.contextmanager
def gunicorn(db: Scratch, folder: Path, extra_settings: str = ""):
    """The site under gunicorn as in production (debug off), on a free port."""
    env = db.env(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="faults-" + uuid.uuid4().hex * 2,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        **settings_module(
            folder,
            "outage_settings",
            # Static files as the tests serve them (production's hashed names need a
            # collectstatic run), and plain HTTP, as behind a proxy that terminates TLS.
            'STORAGES["staticfiles"] = {"BACKEND": '
            '"django.contrib.staticfiles.storage.StaticFilesStorage"}\n'
            "SECURE_SSL_REDIRECT = False\n" + extra_settings,
        ),
    )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "newsroom.wsgi", f"--bind=127.0.0.1:{port}", "-w1"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"gunicorn stopped: {server.communicate()[1]}"
            with contextlib.suppress(urllib.error.URLError, ConnectionError):
                fetch(base + "/healthz")
                break
            assert time.monotonic() < deadline, "gunicorn did not answer in a minute"
            time.sleep(0.2)
        yield base, server
    finally:
        server.terminate()
        try:
            server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()


@contextlib.contextmanager
def sqlite_away(db: SqliteScratch):
    """The database file is gone (a volume unmounted, a file moved): a folder stands in
    its place, which SQLite cannot open."""
    aside = db.path.with_name("away")
    aside.mkdir()
    moved = [p for p in db.path.parent.glob(db.path.name + "*") if p.is_file()]
    for path in moved:
        path.rename(aside / path.name)
    db.path.mkdir()
    yield
    db.path.rmdir()
    for path in moved:
        (aside / path.name).rename(path)


@contextlib.contextmanager
def postgresql_away(db: PostgresScratch):
    """The server refuses the database and drops its connections, as in a failover or
    while an operator works on it (the shared server itself stays up)."""
    with pg_admin() as admin:
        admin.execute(f"ALTER DATABASE {db.name} ALLOW_CONNECTIONS false")
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [db.name],
        )
    yield
    with pg_admin() as admin:
        admin.execute(f"ALTER DATABASE {db.name} ALLOW_CONNECTIONS true")


def article_path(db: Scratch) -> str:
    slug = db.rows("SELECT slug FROM articles_article WHERE is_published ORDER BY id LIMIT 1")
    return f"/articles/{slug[0][0]}/"


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_site_answers_503_while_the_database_is_away_and_recovers(backend, scratch, tmp_path):
    db = scratch(backend)
    check(db.manage("import_seeds", SEEDS))
    article = article_path(db)
    # SQLite: a connection per request, as after a worker restart; a connection kept open
    # (CONN_MAX_AGE) holds the moved file open and goes on working for up to a minute.
    # PostgreSQL keeps the production settings: kept connections with health checks.
    extra = 'DATABASES["default"]["CONN_MAX_AGE"] = 0\n'
    away = sqlite_away if backend == "sqlite" else postgresql_away
    with gunicorn(db, tmp_path, extra if backend == "sqlite" else "") as (base, server):
        assert fetch(base + "/healthz")[0] == 200
        assert fetch(base + "/")[0] == 200
        assert fetch(base + article)[0] == 200

        with away(db):
            status, headers, body = fetch(base + "/healthz", "application/json")
            assert status == 503
            assert json.loads(body) == {"status": "unavailable", "database": "down"}
            for path in ("/", article, "/topics/"):
                status, headers, body = fetch(base + path)
                assert status == 503, (path, status, body[:500])
                assert headers["Retry-After"] == str(outage.RETRY_AFTER)
                assert "try again in a moment" in body
                assert "Traceback" not in body and "OperationalError" not in body
            status, headers, body = fetch(base + "/api/v1/articles/", "application/json")
            assert status == 503
            assert headers["Content-Type"] == "application/json"
            assert json.loads(body)["code"] == "service_unavailable"

        # Back without a restart: the same gunicorn answers from the database again.
        assert server.poll() is None
        status, _headers, body = fetch(base + "/healthz", "application/json")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        assert fetch(base + "/")[0] == 200
        assert fetch(base + article)[0] == 200
        assert fetch(base + "/api/v1/articles/", "application/json")[0] == 200


def test_an_outage_anywhere_in_the_stack_is_a_503_and_other_errors_stay_500(monkeypatch):
    """The page cache's lookup runs before any view (and, without Redis, reads the
    database): an outage there is answered as one too, JSON where the site speaks JSON."""
    client = Client(raise_request_exception=False)

    def down(key):
        raise OperationalError('connection to server at "db" failed: Connection refused')

    monkeypatch.setattr("articles.cache._lookup", down)
    page = client.get("/")
    assert (page.status_code, page["Retry-After"]) == (503, "30")
    assert page["Cache-Control"] == "no-store"
    api = client.get("/api/v1/articles/", HTTP_ACCEPT="application/json")
    assert api.status_code == 503
    assert api.json() == {
        "status": 503,
        "code": "service_unavailable",
        "detail": "The database is unavailable; try again shortly.",
        "errors": {},
    }
    # What the health check's own view says when its query fails (for load balancers).
    assert client.get("/healthz").json() == {"status": "unavailable", "database": "down"}

    def closed(key):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr("articles.cache._lookup", closed)
    assert client.get("/").status_code == 503

    def bug(key):
        raise ProgrammingError('relation "articles_article" does not exist')

    monkeypatch.setattr("articles.cache._lookup", bug)
    assert client.get("/").status_code == 500
    assert client.get("/api/v1/articles/").json()["code"] == "server_error"


def test_an_outage_in_a_view_is_a_503_too(monkeypatch, settings):
    """With the page cache out of the way (as with Redis up and the database down), the
    views' own queries fail: the site's pages and DRF's views answer 503 alike."""
    settings.NEWSROOM_PAGE_CACHE_SECONDS = 0  # no lookup before the view
    client = Client(raise_request_exception=False)

    def down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("articles.views.ArticleDetailView.get", down)
    monkeypatch.setattr("articles.api.views.TopicViewSet.list", down)
    page = client.get("/articles/any/")
    assert (page.status_code, page["Retry-After"]) == (503, str(outage.RETRY_AFTER))
    assert b"try again in a moment" in page.content
    api = client.get("/api/v1/topics/", HTTP_ACCEPT="application/json")
    assert (api.status_code, api.json()["code"]) == (503, "service_unavailable")


# ---------------------------------------------------------------------------------------
# A read-only database, a full disk.


def first_documents(documents: Path, count: int) -> list[Path]:
    return sorted(documents.glob("*.md"))[:count]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_import_into_a_read_only_database_fails_clearly_and_changes_nothing(
    backend, scratch, documents, tmp_path
):
    db = scratch(backend)
    check(db.manage("import_seeds", SEEDS))
    before = db.fingerprint()
    if backend == "sqlite":
        digest = hashlib.sha256(db.path.read_bytes()).hexdigest()
        # As a read-only file or mount would be (the tests may run as root, whom file
        # permissions do not stop): SQLite opens it read-only and refuses every write.
        env = settings_module(
            tmp_path, "read_only", f'DATABASES["default"]["NAME"] = "file:{db.path}?mode=ro"\n'
        )
        fix = "give the user running this write access to the file and to its folder"
        where = f"the SQLite database {db.path}"
    else:
        with pg_admin() as admin:
            admin.execute(f"ALTER DATABASE {db.name} SET default_transaction_read_only = on")
        env, fix = {}, "point DATABASE_URL at the primary server, not a standby"
        where = f"the PostgreSQL database {db.name} on "

    run = db.manage("import_seeds", *first_documents(documents, 50), env=env)

    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    line = stderr_lines(run)[-1]  # one line: what, where, the fix
    assert line.startswith(f"CommandError: The import stopped: {where}")
    assert " is read-only (" in line and fix in line
    assert line.endswith("Then run the import again to complete it: nothing was written.")
    assert db.fingerprint() == before
    if backend == "sqlite":
        assert hashlib.sha256(db.path.read_bytes()).hexdigest() == digest
    print(line)


@contextlib.contextmanager
def small_disk(folder: Path, room: int):
    """A folder with about `room` bytes free. A tmpfs of that size where this may mount
    one (root); else None, and the caller caps the SQLite file instead."""
    folder.mkdir()
    mount = shutil.which("mount")
    mounted = mount and subprocess.run(
        [mount, "-t", "tmpfs", "-o", f"size={room // 1024}k", "tmpfs", str(folder)],
        capture_output=True,
    )
    if not mounted or mounted.returncode != 0:
        yield None
        return
    try:
        yield lambda size: subprocess.run(
            ["mount", "-o", f"remount,size={size // 1024}k", str(folder)], check=True
        )
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def test_an_import_that_fills_the_disk_keeps_whole_batches_and_completes_once_there_is_room(
    scratch, migrated, documents, tmp_path
):
    batch, count = 100, 600
    files = first_documents(documents, count)
    template = migrated["sqlite"].path
    # Room for two or three batches besides the empty database: the WAL file grows by a
    # few hundred kB a batch (SQLite checkpoints it only at 4 MB).
    room = template.stat().st_size + 1536 * 1024
    with small_disk(tmp_path / "disk", room) as grow:
        db = scratch("sqlite", tmp_path / "disk")
        env = {}
        if grow is None:  # no tmpfs: cap the database at the same size instead
            pages = template.stat().st_size // 4096 + 300  # ~110 pages a batch
            env = settings_module(
                tmp_path,
                "capped",
                f'DATABASES["default"]["OPTIONS"]["init_command"] += '
                f'"PRAGMA max_page_count={pages};"\n',
            )

        run = db.manage("import_seeds", *files, f"--batch-size={batch}", env=env)

        assert run.returncode == 1
        assert "Traceback" not in run.stderr
        line = stderr_lines(run)[-1]
        committed = db.count("articles_article")
        assert line == (
            f"CommandError: The import stopped: the SQLite database {db.path} is full "
            "(database or disk is full): free space on the disk that holds it (the -wal file "
            "beside it grows while a batch is written). Then run the import again to complete "
            "it: the batches written before it stopped are kept whole "
            f"({committed} created, 0 updated, 0 unchanged, 0 skipped, 0 failed)."
        )
        assert batch <= committed < count and committed % batch == 0
        assert db.integrity() == "ok"
        assert assert_articles_whole(db) == committed

        if grow is not None:
            grow(64 * 1024 * 1024)
        rerun = check(db.manage("import_seeds", *files, f"--batch-size={batch}"))
        assert summary(created=count - committed, unchanged=committed) in rerun.stdout
        assert assert_articles_whole(db) == count
        print(f"{'tmpfs' if grow else 'max_page_count'}: {committed} articles in; {line}")


def test_database_failures_are_explained_with_the_fix():
    import psycopg.errors

    def error(cause: Exception, kind=OperationalError) -> Exception:
        wrapped = kind(str(cause))
        wrapped.__cause__ = cause
        return wrapped

    where = outage.describe_database()
    full = outage.explain(error(psycopg.errors.DiskFull("could not extend file")))
    assert full.startswith(f"{where} is full (could not extend file): free space on the disk")
    read_only = outage.explain(
        error(psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT"), InternalError)
    )
    assert read_only.startswith(f"{where} is read-only (cannot execute INSERT): ")
    locked = outage.explain(OperationalError("database is locked"))
    assert locked.startswith(f"{where} stayed locked by another writer (database is locked)")
    cannot_open = sqlite3.OperationalError("unable to open database file")
    cannot_open.sqlite_errorname = "SQLITE_CANTOPEN"
    assert " cannot be opened (unable to open database file): check that the file " in (
        outage.explain(error(cannot_open))
    )

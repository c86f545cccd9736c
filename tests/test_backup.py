"""Backups: `manage.py backup_db` and `restore_db` (`make backup`, `make restore`).

Real commits in a database of the test's own, on the suite's backend (a SQLite file, or a
PostgreSQL database on the suite's server; see test_faults.py): imported articles with
their topics, images and related items, published and held back; editors' decisions made
through articles.editorial.decide(); stories merged and split by an editor. It is backed up,
changed, and restored, into the changed database and into a fresh one: every row of every
table must be back, column for column, and the database usable.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command

from articles.management.commands.backup_db import (
    backup_postgresql,
    backups,
    pg_environment,
    pg_tool,
)
from bench.documents import generate

from .conftest import CORPUS, SEEDS
from .test_faults import (
    ON_POSTGRESQL,
    PostgresScratch,
    Scratch,
    SqliteScratch,
    assert_articles_whole,
    check,
)

SUFFIX = ".dump" if ON_POSTGRESQL else ".sqlite3"

# The content: the sample corpus, and editors at work on it through the one write path
# (with history), deciding published states and quality, merging and splitting stories.
MAKE = f"""
from django.contrib.auth import get_user_model
from django.core.management import call_command
from articles import editorial, stories
from articles.models import Article, EditorialChange

call_command("import_seeds", "{CORPUS}", verbosity=0)
editor = get_user_model().objects.create_user("desk", password="not-used-here")
Via = EditorialChange.Via
ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
held = list(Article.objects.filter(is_published=False).order_by("pk").values_list("pk", flat=True))
some = lambda pks: Article.objects.filter(pk__in=pks)
editorial.decide(some(ids[:3]), {{"is_published": False}}, user=editor, via=Via.ADMIN_ACTION,
                 reason="off-topic")
editorial.decide(some(held[:2]), {{"is_published": True, "quality": 700}}, user=editor,
                 via=Via.API, reason="worth reading")
editorial.decide(some(ids[-4:]), {{"quality": 0}}, user=editor, via=Via.ADMIN_LIST)
stories.merge(some(ids[5:8]), user=editor, via=Via.ADMIN_ACTION, reason="the same news")
stories.split(some(ids[8:9]), user=editor, via=Via.ADMIN_FORM, reason="not the same")
"""

# Later work, which the restore must undo: more decisions, an edit, new articles.
CHANGE = f"""
from django.contrib.auth import get_user_model
from django.core.management import call_command
from articles import editorial
from articles.models import Article, EditorialChange

editor = get_user_model().objects.get(username="desk")
editorial.decide(Article.objects.filter(is_published=True), {{"quality": 1}},
                 user=editor, via=EditorialChange.Via.ADMIN_ACTION, reason="oops")
Article.objects.filter(is_published=False).update(title="changed")
call_command("import_seeds", "{SEEDS}", verbosity=0)
"""

# The restored database works: search (SQLite's FTS table, PostgreSQL's generated tsvector
# column) finds its articles, and new rows take ids the restored ones do not have.
USE = """
from django.contrib.auth import get_user_model
from articles import editorial
from articles.models import Article, EditorialChange
from articles.search import search

print("found", search("intelligence").count())
editor = get_user_model().objects.get(username="desk")
article = Article.objects.filter(is_published=True).order_by("pk").first()
print("recorded", len(editorial.decide(Article.objects.filter(pk=article.pk), {"quality": 5},
      user=editor, via=EditorialChange.Via.API)))
"""

# The cache's table holds the content version, which a restore renews on purpose (pages
# cached before it must go).
NOT_COMPARED = {"newsroom_cache"}


def snapshot(db: Scratch) -> dict[str, list]:
    """Every row of every table (the search index's too), every column: what a restore
    must bring back exactly."""
    return {
        table: sorted(db.rows(f"SELECT * FROM {table}"), key=repr)
        for table in db.tables()
        if table not in NOT_COMPARED
    }


def fresh(tmp_path: Path, name: str) -> Scratch:
    """An empty database: not even migrated."""
    if ON_POSTGRESQL:
        return PostgresScratch("backup")
    return SqliteScratch(tmp_path / f"{name}.sqlite3")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A database with an editorial desk's content, its snapshot and its backup."""
    if ON_POSTGRESQL and not shutil.which("pg_dump"):
        pytest.fail("pg_dump is not installed: install the PostgreSQL client tools")
    folder = tmp_path_factory.mktemp("backup")
    made = []
    db = fresh(folder, "live")
    made.append(db)
    check(db.manage("migrate", "--no-input"))
    with contextlib.ExitStack() as stack:
        if not ON_POSTGRESQL:
            # An open reader, as an app server would have: SQLite then cannot checkpoint,
            # and the content stays in the -wal file, where the backup must find it.
            reader = stack.enter_context(contextlib.closing(sqlite3.connect(db.path)))
            reader.execute("SELECT count(*) FROM django_migrations").fetchone()
        check(db.manage("shell", "-c", MAKE))
        if not ON_POSTGRESQL:
            assert Path(f"{db.path}-wal").stat().st_size > 1_000_000
        rows = snapshot(db)
        backups_folder = folder / "backups"
        backups_folder.mkdir()
        older = backups_folder / f"newsroom-20000101T000000Z{SUFFIX}"
        older.touch()
        backed_up = check(db.manage("backup_db", f"--dir={backups_folder}", "--keep=1"))
    [backup] = backups_folder.iterdir()  # --keep=1 deleted the older one
    assert f"to {backup} (" in backed_up.stdout
    assert f"Deleted the older backup {older}." in backed_up.stdout
    assert re.fullmatch(rf"newsroom-\d{{8}}T\d{{6}}Z{re.escape(SUFFIX)}", backup.name)
    yield db, rows, backup, made
    for database in made:
        if isinstance(database, PostgresScratch):
            database.drop()


def test_the_content_covers_what_a_backup_must_keep(made):
    db, rows, _backup, _made = made
    assert db.count("articles_article WHERE is_published") > 0
    assert db.count("articles_article WHERE NOT is_published") > 0
    decided = [
        fields
        for (fields,) in db.rows("SELECT editor_fields FROM articles_article")
        if (json.loads(fields) if isinstance(fields, str) else fields)
    ]
    assert len(decided) >= 9
    assert {f for (f,) in db.rows("SELECT field FROM articles_editorialchange")} == {
        "is_published",
        "quality",
        "story",
    }
    assert db.count("articles_editorialchange WHERE reason = 'worth reading'") == 4
    assert db.count("articles_story WHERE pinned") > 0
    for table in ("topic", "articletopic", "image", "relateditem", "provider", "story"):
        assert rows[f"articles_{table}"], table


def test_a_restored_backup_holds_every_article_and_editorial_change(made, tmp_path):
    _db, rows, backup, databases = made
    target = fresh(tmp_path, "restored")
    databases.append(target)

    # A fresh database holds nothing: no question asked.
    restored = check(target.manage("restore_db", backup))

    articles, changes = len(rows["articles_article"]), len(rows["articles_editorialchange"])
    assert f"{articles} articles, {changes} editorial changes" in restored.stdout
    assert snapshot(target) == rows
    used = check(target.manage("shell", "-c", USE)).stdout
    assert re.search(r"^found [1-9]", used, re.MULTILINE), used
    assert "recorded 1" in used
    if not ON_POSTGRESQL:
        assert target.integrity() == "ok"


def test_restore_replaces_a_changed_database_only_when_told_to(made):
    db, rows, backup, _made = made
    check(db.manage("shell", "-c", CHANGE))
    changed = snapshot(db)
    assert changed != rows

    refused = db.manage("restore_db", backup)
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert "Run again with --yes" in refused.stderr
    assert snapshot(db) == changed

    check(db.manage("restore_db", backup, "--yes"))
    assert snapshot(db) == rows


def test_restore_refuses_what_is_not_a_newsroom_backup(tmp_path):
    """Checked before the database is touched: these run against the suite's own, where
    pytest-django would fail any query (no django_db mark)."""
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    other_kind = tmp_path / ("other.sqlite3" if ON_POSTGRESQL else "other.dump")
    other_kind.write_bytes(b"SQLite format 3\x00" if ON_POSTGRESQL else b"PGDMP")
    refusals = [
        (not_a_backup, "notes.txt is not a Newsroom backup: it is not a "),
        (other_kind, " and this site uses "),
        (tmp_path / "missing.sqlite3", "There is no backup file at "),
    ]
    if not ON_POSTGRESQL:
        stranger = tmp_path / "stranger.sqlite3"  # a SQLite database, but not Newsroom's
        with contextlib.closing(sqlite3.connect(stranger)) as other:
            other.execute("CREATE TABLE t (x)")
        refusals.append((stranger, "is not a Newsroom backup: it has no Newsroom tables"))

    for path, message in refusals:
        with pytest.raises(CommandError, match=re.escape(message)):
            call_command("restore_db", str(path), "--yes")


def test_a_backup_taken_during_an_import_is_one_consistent_moment(made, tmp_path):
    """The site (here, an import) goes on writing while the backup is taken: the backup
    holds whole batches, every article with all its rows."""
    db, _rows, _backup, databases = made
    documents, batch, total = tmp_path / "documents", 100, 1500
    generate(documents, total)
    before = db.count("articles_article")
    importing = db.start("import_seeds", documents, f"--batch-size={batch}")
    try:
        while db.count("articles_article") < before + 2 * batch:
            assert importing.poll() is None, importing.communicate()[1]
            time.sleep(0.05)
        backed_up = check(db.manage("backup_db", f"--dir={tmp_path}"))
        assert importing.poll() is None, "the import ended before the backup did"
    finally:
        # Its work is done: it wrote while the backup was taken. (Killed, it keeps whole
        # batches, as test_faults shows, and nothing after this test reads the database.)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(importing.pid, signal.SIGKILL)
        importing.communicate()

    [backup] = tmp_path.glob(f"newsroom-*{SUFFIX}")
    assert str(backup) in backed_up.stdout
    target = fresh(tmp_path, "during")
    databases.append(target)
    check(target.manage("restore_db", backup))
    in_backup = target.count("articles_article") - before
    assert 2 * batch <= in_backup < total and in_backup % batch == 0, in_backup
    assert assert_articles_whole(target) == before + in_backup


def test_backups_are_ordered_by_their_names_time(tmp_path):
    for name in [
        "newsroom-20250102T000000Z.sqlite3",
        "newsroom-20250101T000000Z-1.sqlite3",
        "newsroom-20250101T000000Z.sqlite3",
        "newsroom-20250101T000000Z.dump",
        "other.sqlite3",
    ]:
        (tmp_path / name).touch()
    assert [p.name for p in backups(tmp_path, ".sqlite3")] == [
        "newsroom-20250101T000000Z.sqlite3",
        "newsroom-20250101T000000Z-1.sqlite3",
        "newsroom-20250102T000000Z.sqlite3",
    ]


def fake_tool(folder: Path, name: str, version: str) -> Path:
    """A stand-in for a PostgreSQL client tool: says its version, records its command
    line and its PGPASSWORD."""
    tool = folder / name
    tool.write_text(
        "#!/bin/sh\n"
        f'[ "$1" = --version ] && echo "{name} (PostgreSQL) {version} (Debian)" && exit 0\n'
        f'echo "$@" > {folder}/args; echo "$PGPASSWORD" > {folder}/password\n'
    )
    tool.chmod(0o755)
    return tool


def test_postgresql_tools_that_are_missing_or_too_old_are_named_with_the_fix(tmp_path, monkeypatch):
    server = SimpleNamespace(pg_version=160004)  # what pg_tool reads of a connection
    monkeypatch.setenv("PATH", str(tmp_path))
    message = (
        "pg_dump is not installed: install the PostgreSQL 16 client tools "
        "(Debian: apt install postgresql-client-16) or put them on PATH."
    )
    with pytest.raises(CommandError, match=re.escape(message)):
        pg_tool("pg_dump", server)

    tool = fake_tool(tmp_path, "pg_dump", "15.20")
    with pytest.raises(CommandError, match="pg_dump is version 15 and the server PostgreSQL 16"):
        pg_tool("pg_dump", server)
    server.pg_version = 150020
    assert pg_tool("pg_dump", server) == str(tool)


def test_pg_dump_gets_the_password_in_its_environment_not_its_arguments(tmp_path, monkeypatch):
    fake_tool(tmp_path, "pg_dump", "15.20")
    monkeypatch.setenv("PATH", str(tmp_path))
    connection = SimpleNamespace(
        pg_version=150020,
        settings_dict={
            "NAME": "news",
            "USER": "desk",
            "PASSWORD": "s3cret-word",
            "HOST": "db.internal",
            "PORT": 5433,
            "OPTIONS": {"sslmode": "require"},
        },
    )
    expected = {
        "PGHOST": "db.internal",
        "PGPORT": "5433",
        "PGUSER": "desk",
        "PGDATABASE": "news",
        "PGPASSWORD": "s3cret-word",
        "PGSSLMODE": "require",
    }
    env = pg_environment(connection.settings_dict)
    assert {name: env.get(name) for name in expected} == expected

    backup_postgresql(connection, tmp_path / "out.dump")

    arguments = (tmp_path / "args").read_text()
    assert "s3cret-word" not in arguments
    assert f"--format=custom --no-password --file={tmp_path / 'out.dump'}" in arguments
    assert (tmp_path / "password").read_text().strip() == "s3cret-word"

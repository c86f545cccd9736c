"""`manage.py restore_db FILE [--yes]`: replace the database with a backup made by backup_db
(`make restore FILE=...`).

The file is checked first: it must be a Newsroom database of the site's kind (SQLite or
PostgreSQL) made by this version of Newsroom or an older one. A database that holds data is
only replaced after a "yes" (asked on a terminal, or --yes).

SQLite: the backup API copies the backup into the live file, under its write lock, so app
servers that have it open see the restored database at their next query, not a file
swapped under them. PostgreSQL: `pg_restore --clean --if-exists` in one transaction, so a
restore that fails leaves the database as it was.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.loader import MigrationLoader

from articles.cache import content_changed
from articles.models import Article, EditorialChange
from newsroom.outage import describe_database, explain, sqlite_path

from .backup_db import pg_tool, run_pg_tool, sqlite_uri

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"  # pg_dump's custom format


class Command(BaseCommand):
    help = (
        "Replace the database with a backup made by backup_db (a .sqlite3 file for SQLite, "
        "a .dump file for PostgreSQL). Everything in the database now is replaced."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="the backup to restore")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="replace a database that holds data without asking",
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="the database's alias in DATABASES"
        )

    def handle(self, *args, file, yes, database, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no backup file at {path}.")
        connection = connections[database]
        where = describe_database(database)
        try:
            applied = backup_migrations(path, connection)
            self.check_version(path, applied, connection)
            articles = count_existing(connection)
            if articles is not None and not yes:
                self.confirm(where, articles)
            connection.close()  # the restore writes through its own connection
            if connection.vendor == "sqlite":
                restore_sqlite(path, sqlite_path(connection.settings_dict["NAME"]))
            else:
                restore_postgresql(path, connection)
            connection.close()
            content_changed()  # pages cached before the restore must go
            restored = Article.objects.using(database).count()
            changes = EditorialChange.objects.using(database).count()
        except DatabaseError as error:
            raise CommandError(f"The restore failed: {explain(error, database)}") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {path} into {where}: {restored} articles, {changes} editorial changes."
            )
        )
        missing = known_migrations() - applied
        if missing:
            self.stdout.write(
                f"The backup predates {len(missing)} migration(s) of this version: "
                "run `manage.py migrate` now."
            )

    def check_version(self, path: Path, applied: set, connection) -> None:
        newer = applied - known_migrations()
        if newer:
            names = ", ".join(f"{app}.{name}" for app, name in sorted(newer)[:3])
            raise CommandError(
                f"{path} was made by a newer version of Newsroom (migrations {names} are "
                "unknown here): restore it with that version."
            )

    def confirm(self, where: str, articles: int) -> None:
        question = (
            f"{where[0].upper()}{where[1:]} holds {articles} articles. Restoring replaces "
            "everything in it with the backup."
        )
        if not sys.stdin.isatty():
            raise CommandError(
                f"{question} Run again with --yes to do that (back it up first with "
                "`manage.py backup_db` if it may be needed)."
            )
        answer = input(f"{question}\nType 'yes' to go on: ")
        if answer.strip().lower() != "yes":
            raise CommandError("Restore cancelled: nothing was changed.")


def count_existing(connection) -> int | None:
    """The articles in the database, or None when it holds no data worth a question (no
    tables yet, or only what `migrate` creates)."""
    tables = set(connection.introspection.table_names())
    if "articles_article" not in tables:
        return None
    articles = Article.objects.using(connection.alias).count()
    users = get_user_model().objects.using(connection.alias).exists()
    return articles if articles or users else None


def known_migrations() -> set[tuple[str, str]]:
    """The migrations this version of the code has, as (app, name)."""
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def not_newsroom(path: Path, why: str) -> CommandError:
    return CommandError(f"{path} is not a Newsroom backup: {why}. Make one with backup_db.")


def backup_migrations(path: Path, connection) -> set[tuple[str, str]]:
    """The migrations applied in the backup, after checking it is a Newsroom database of
    the site's kind."""
    with path.open("rb") as file:
        head = file.read(16)
    sqlite_file, pg_file = head == SQLITE_MAGIC, head.startswith(PG_DUMP_MAGIC)
    if connection.vendor == "sqlite" and pg_file:
        raise CommandError(
            f"{path} is a PostgreSQL backup (pg_dump) and this site uses SQLite: restore it "
            "with DATABASE_URL pointing at a PostgreSQL database."
        )
    if connection.vendor == "postgresql" and sqlite_file:
        raise CommandError(
            f"{path} is a SQLite backup and this site uses PostgreSQL: restore it with "
            "DATABASE_URL unset (or pointing at a SQLite file)."
        )
    if connection.vendor == "sqlite":
        if not sqlite_file:
            raise not_newsroom(path, "it is not a SQLite database")
        applied = sqlite_migrations(path)
    else:
        if not pg_file:
            raise not_newsroom(path, "it is not a pg_dump file (custom format)")
        applied = pg_migrations(path, connection)
    if ("articles", "0001_initial") not in applied:
        raise not_newsroom(path, "it has no Newsroom tables")
    return applied


def sqlite_migrations(path: Path) -> set[tuple[str, str]]:
    try:
        backup = sqlite3.connect(sqlite_uri(path), uri=True)
        try:
            check = backup.execute("PRAGMA quick_check").fetchone()[0]
            tables = backup.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if ("django_migrations",) not in tables.fetchall():
                return set()  # a SQLite database, but not a Django one
            rows = backup.execute("SELECT app, name FROM django_migrations").fetchall()
        finally:
            backup.close()
    except sqlite3.Error as error:
        raise not_newsroom(path, f"SQLite cannot read it as one ({error})") from error
    if check != "ok":
        raise CommandError(f"{path} is damaged (SQLite's quick_check: {check}): use another.")
    return set(rows)


def pg_migrations(path: Path, connection) -> set[tuple[str, str]]:
    """django_migrations' rows in the dump, read by pg_restore without restoring anything."""
    pg_restore = pg_tool("pg_restore", connection)
    listing = subprocess.run([pg_restore, "--list", str(path)], capture_output=True, text=True)
    if listing.returncode != 0:
        raise not_newsroom(path, f"pg_restore cannot read it ({listing.stderr.strip()})")
    if " TABLE DATA public django_migrations " not in listing.stdout:
        raise not_newsroom(path, "it has no django_migrations table")
    script = subprocess.run(
        [pg_restore, "--data-only", "--table=django_migrations", "--file=-", str(path)],
        capture_output=True,
        text=True,
    )
    if script.returncode != 0:
        raise not_newsroom(path, f"pg_restore cannot read it ({script.stderr.strip()})")
    # The data comes as COPY ... FROM stdin; one tab-separated row a line, up to "\.".
    rows, copying = set(), False
    for line in script.stdout.splitlines():
        if line.startswith("COPY ") and "django_migrations" in line:
            copying = True
        elif copying and line == "\\.":
            break
        elif copying:
            _id, app, name, *_ = line.split("\t")
            rows.add((app, name))
    return rows


def restore_sqlite(path: Path, target: Path) -> None:
    try:
        backup = sqlite3.connect(sqlite_uri(path), uri=True)
        live = sqlite3.connect(target, timeout=20)  # waits for a running write to finish
        try:
            # One step: the live file changes in one write transaction, as any write does,
            # so its readers see the old database or the restored one, never a mixture.
            backup.backup(live)
        finally:
            backup.close()
            live.close()
    except sqlite3.Error as error:
        raise CommandError(f"Cannot restore {path} into {target}: {error}.") from error


def restore_postgresql(path: Path, connection) -> None:
    pg_restore = pg_tool("pg_restore", connection)
    run_pg_tool(
        [
            pg_restore,
            # Drop what the backup holds first (if there), then recreate it from the backup.
            "--clean",
            "--if-exists",
            # The backup's owners and grants name the source server's roles, which this
            # server may not have: the tables belong to the user restoring them.
            "--no-owner",
            "--no-acl",
            "--single-transaction",  # all or nothing: a failure leaves the database as it was
            "--exit-on-error",
            "--no-password",
            f"--dbname={connection.settings_dict['NAME']}",
            str(path),
        ],
        connection,
    )

"""`manage.py backup_db [--dir DIR] [--keep N]`: a consistent copy of the database, taken
while the site runs (`make backup`).

SQLite: SQLite's online backup API copies the database in one read transaction, so the
copy is one consistent moment, rows still in the -wal file included, while the site goes
on reading and writing. PostgreSQL: `pg_dump --format=custom`, one snapshot as well.
Either way the file is written under a temporary name and renamed when complete, so a file
named like a backup is a whole one.

The helpers below are restore_db's too: where the database is, and how to run the
PostgreSQL client tools against it.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from newsroom.outage import describe_database, explain, sqlite_path

BACKUP_DIR = Path(settings.BASE_DIR) / "var" / "backups"
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".dump"}
# newsroom-20250131T031500Z.sqlite3 (UTC), -1, -2... for more in the same second: --keep
# orders backups by these names.
BACKUP_NAME = re.compile(r"^newsroom-(\d{8}T\d{6}Z)(?:-(\d+))?(\.sqlite3|\.dump)$")
# libpq reads these from the environment: the password never appears on a command line
# (where `ps` shows it to every user of the machine).
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "service": "PGSERVICE",
    "passfile": "PGPASSFILE",
}


class Command(BaseCommand):
    help = (
        "Back up the database while the site runs: SQLite through its online backup API, "
        "PostgreSQL with pg_dump. Writes var/backups/newsroom-<UTC time>.sqlite3 (or .dump); "
        "restore it with restore_db."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir",
            dest="folder",
            default=str(BACKUP_DIR),
            metavar="DIR",
            help="folder to write the backup to; created if missing (default: var/backups/)",
        )
        parser.add_argument(
            "--keep",
            type=int,
            default=None,
            metavar="N",
            help="then delete all but the N newest backups in that folder",
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="the database's alias in DATABASES"
        )

    def handle(self, *args, folder, keep, database, **options):
        if keep is not None and keep < 1:
            raise CommandError("--keep must be 1 or more.")
        connection = connections[database]
        suffix = SUFFIXES.get(connection.vendor)
        if suffix is None:
            raise CommandError(f"Backups cover SQLite and PostgreSQL, not {connection.vendor}.")
        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"Cannot create {folder}: {error.strerror}.") from error
        target = new_backup_path(folder, suffix)
        partial = target.with_name(f".{target.name}.part")  # hidden until it is whole
        try:
            if connection.vendor == "sqlite":
                backup_sqlite(sqlite_path(connection.settings_dict["NAME"]), partial)
            else:
                backup_postgresql(connection, partial)
            os.replace(partial, target)
        except DatabaseError as error:
            raise CommandError(f"The backup failed: {explain(error, database)}") from error
        except OSError as error:
            raise CommandError(f"Cannot write {target}: {error.strerror}.") from error
        finally:
            partial.unlink(missing_ok=True)
        size = target.stat().st_size
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {describe_database(database)} to {target} ({size / 1e6:.1f} MB)."
            )
        )
        if keep:
            for old in backups(folder, suffix)[:-keep]:
                old.unlink()
                self.stdout.write(f"Deleted the older backup {old}.")


def new_backup_path(folder: Path, suffix: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path, n = folder / f"newsroom-{stamp}{suffix}", 1
    while path.exists():  # two backups within a second: never overwrite the first
        path, n = folder / f"newsroom-{stamp}-{n}{suffix}", n + 1
    return path


def backups(folder: Path, suffix: str) -> list[Path]:
    """The backups of this kind in `folder`, oldest first."""
    found = []
    for path in folder.iterdir():
        match = BACKUP_NAME.match(path.name)
        if match and match[3] == suffix:
            found.append(((match[1], int(match[2] or 0)), path))
    return [path for _, path in sorted(found)]


def sqlite_uri(path: Path, mode: str = "ro") -> str:
    """A URI opening `path` read-only: unlike a plain name, it never creates an empty file."""
    return f"{path.resolve().as_uri()}?mode={mode}"


def backup_sqlite(source: Path, target: Path) -> None:
    if not source.is_file():
        raise CommandError(
            f"There is no SQLite database at {source}: nothing to back up "
            "(`manage.py migrate` creates it)."
        )
    try:
        reader = sqlite3.connect(sqlite_uri(source), uri=True, timeout=20)
        writer = sqlite3.connect(target)
        try:
            # All pages in one step (the default, pages=-1): one read transaction, hence
            # one consistent moment. In WAL mode the site's writers carry on meanwhile;
            # copying a few pages at a time would start over after each of their commits.
            reader.backup(writer)
            # One self-contained file, with no -wal beside it to lose when it is copied.
            writer.execute("PRAGMA journal_mode=DELETE")
            check = writer.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            reader.close()
            writer.close()
    except sqlite3.Error as error:
        raise CommandError(f"Cannot back up the SQLite database {source}: {error}.") from error
    if check != "ok":
        raise CommandError(
            f"The copy of {source} fails SQLite's quick_check ({check}): the database itself "
            "may be damaged; check it with `sqlite3 FILE 'PRAGMA integrity_check'`."
        )


def backup_postgresql(connection, target: Path) -> None:
    pg_dump = pg_tool("pg_dump", connection)
    # --no-password: never wait for a password prompt (a cron job has no one to answer).
    run_pg_tool([pg_dump, "--format=custom", "--no-password", f"--file={target}"], connection)


def pg_environment(settings_dict: dict) -> dict[str, str]:
    """The environment that points libpq (pg_dump, pg_restore) at Django's database."""
    env = dict(os.environ)
    values = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGDATABASE": settings_dict.get("NAME"),
    }
    options = settings_dict.get("OPTIONS", {})
    values |= {var: options.get(name) for name, var in LIBPQ_OPTIONS.items()}
    env.update({name: str(value) for name, value in values.items() if value not in (None, "")})
    return env


def pg_tool(name: str, connection) -> str:
    """The path of a PostgreSQL client tool that can work with this server."""
    path = shutil.which(name)
    server = connection.pg_version // 10000  # 150020 -> 15 (connects: may raise DatabaseError)
    if path is None:
        raise CommandError(
            f"{name} is not installed: install the PostgreSQL {server} client tools "
            f"(Debian: apt install postgresql-client-{server}) or put them on PATH."
        )
    version = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
    found = re.search(r"\)\s*(\d+)", version)
    if found is None:
        raise CommandError(f"Cannot tell the version of {path} from {version.strip()!r}.")
    if int(found.group(1)) < server:
        raise CommandError(
            f"{name} is version {found.group(1)} and the server PostgreSQL {server}: an older "
            f"{name} refuses a newer server. Install the PostgreSQL {server} client tools "
            f"(Debian: apt install postgresql-client-{server}) and put them first on PATH."
        )
    return path


def run_pg_tool(command: list[str], connection) -> str:
    """Run a client tool against the database; its first error lines if it fails."""
    result = subprocess.run(
        command,
        env=pg_environment(connection.settings_dict),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()][:3]
        name = Path(command[0]).name
        raise CommandError(
            f"{name} failed (exit status {result.returncode}): {' / '.join(lines) or 'no message'}."
        )
    return result.stdout

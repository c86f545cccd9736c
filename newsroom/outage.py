"""When the database fails: a 503 for the site, one clear line for the commands.

A database that cannot be reached (a PostgreSQL server down, restarting or refusing
connections; a SQLite file that cannot be opened or stays locked past the busy timeout) is
an outage, not a bug in the page: readers, API clients and load balancers are told 503
Service Unavailable with a Retry-After, never a traceback. `articles.api.errors.server_error`
(the site's handler500) answers with its `unavailable` when the exception it is handling is
one (`is_outage`), so this covers errors raised anywhere in the stack, the page cache's
middleware included, not only in views.

`explain` turns a database error into one line for an operator: what happened, to which
database, and what to do about it (the import and backup commands use it).
"""

from __future__ import annotations

from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

# Seconds a client is asked to wait: a server restart or a failover takes about this long.
RETRY_AFTER = 30

# SQLite's extended error names (Python 3.11's sqlite3 exceptions carry them) and
# PostgreSQL's SQLSTATEs, for the failures an operator fixes in different ways.
READ_ONLY = {"SQLITE_READONLY", "25006"}  # 25006: read_only_sql_transaction
FULL = {"SQLITE_FULL", "53100"}  # 53100: disk_full
LOCKED = {"SQLITE_BUSY", "SQLITE_LOCKED", "55P03"}  # 55P03: lock_not_available
CANNOT_OPEN = {"SQLITE_CANTOPEN", "SQLITE_NOTADB", "SQLITE_CORRUPT"}


def is_outage(error: BaseException | None) -> bool:
    """Is this the database being unavailable (for now), rather than a bug?

    OperationalError is what the drivers raise for a connection refused, dropped or not
    allowed, a server shutting down, a lock or statement timeout, and SQLite's locked,
    unopenable or full file; InterfaceError, for a connection already closed. A bad query
    (ProgrammingError), a broken constraint (IntegrityError) or a read-only transaction
    (InternalError) is a bug or a misconfiguration: those stay 500.
    """
    return isinstance(error, OperationalError | InterfaceError)


def describe_database(alias: str = DEFAULT_DB_ALIAS) -> str:
    """Which database, as an operator would name it (never its password)."""
    connection = connections[alias]
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"the SQLite database {sqlite_path(settings_dict['NAME'])}"
    host = settings_dict.get("HOST") or "localhost"
    port = settings_dict.get("PORT") or ""
    where = f"{host}:{port}" if port else host
    return f"the {connection.display_name} database {settings_dict['NAME']} on {where}"


def sqlite_path(name) -> Path:
    """The file behind a SQLite NAME, which may be a URI (`file:/path?mode=ro`)."""
    name = str(name)
    if name.startswith("file:"):
        name = name.removeprefix("file:").split("?", 1)[0]
    return Path(name)


def explain(error: Exception, alias: str = DEFAULT_DB_ALIAS) -> str:
    """One line: what went wrong with which database, and the fix."""
    cause = error.__cause__ or error
    code = getattr(cause, "sqlite_errorname", None) or getattr(cause, "sqlstate", None) or ""
    detail = (str(error).strip().splitlines() or [type(error).__name__])[0]
    where = describe_database(alias)
    sqlite = connections[alias].vendor == "sqlite"
    if code in READ_ONLY or "readonly database" in detail or "read-only transaction" in detail:
        fix = (
            "give the user running this write access to the file and to its folder (SQLite "
            "writes -wal and -shm files beside it), or mount it read-write"
            if sqlite
            else "point DATABASE_URL at the primary server, not a standby, and check the "
            "database's default_transaction_read_only setting"
        )
        return f"{where} is read-only ({detail}): {fix}."
    if code in FULL or "disk is full" in detail or "No space left" in detail:
        return (
            f"{where} is full ({detail}): free space on the disk that holds it"
            + (" (the -wal file beside it grows while a batch is written)" if sqlite else "")
            + "."
        )
    if code in LOCKED or "database is locked" in detail:
        return (
            f"{where} stayed locked by another writer ({detail}): wait for the other writer "
            "(another import, a restore) to finish."
        )
    if code == "42P01" or detail.startswith("no such table"):  # 42P01: undefined_table
        return f"{where} lacks Newsroom's tables ({detail}): run `manage.py migrate` first."
    if code in CANNOT_OPEN:
        return (
            f"{where} cannot be opened ({detail}): check that the file exists, is a "
            "Newsroom database and is readable, or restore it from a backup."
        )
    if is_outage(error) and not sqlite:
        return (
            f"{where} cannot be reached ({detail}): check that the server is running and "
            "accepts connections, and that DATABASE_URL is right."
        )
    return f"{where} failed: {detail}."

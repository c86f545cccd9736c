"""Settings come from the environment, and the embedded SQLite is tuned for a web app."""

import os
import sqlite3
import subprocess
import sys

import pytest
from django.db import connection

from .conftest import PROJECT


def settings_in_subprocess(env: dict, expression: str) -> subprocess.CompletedProcess:
    code = f"import newsroom.settings as s; print({expression})"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_requires_a_secret_key():
    result = settings_in_subprocess({"DJANGO_DEBUG": "0"}, "s.SECRET_KEY")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_environment_configures_database_hosts_and_debug():
    result = settings_in_subprocess(
        {
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "news.example, www.news.example",
            "DATABASE_URL": "postgres://u:p@db.example:5433/newsroom",
        },
        "s.DEBUG, s.ALLOWED_HOSTS, s.DATABASES['default']['HOST'], "
        "s.DATABASES['default']['ENGINE']",
    )
    assert result.stdout.strip() == (
        "False ['news.example', 'www.news.example'] db.example django.db.backends.postgresql"
    )


def test_a_bad_boolean_is_named():
    result = settings_in_subprocess({"DJANGO_DEBUG": "maybe"}, "s.DEBUG")
    assert "DJANGO_DEBUG='maybe'" in result.stderr


def test_embedded_sqlite_runs_in_wal_mode_with_immediate_transactions(tmp_path, django_db_blocker):
    from django.conf import settings
    from django.db.backends.sqlite3.base import DatabaseWrapper

    wrapper = DatabaseWrapper(
        {
            **connection.settings_dict,
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(tmp_path / "db.sqlite3"),
            "OPTIONS": settings.SQLITE_OPTIONS,
        }
    )
    with django_db_blocker.unblock():
        with wrapper.cursor() as cursor:
            journal = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            busy = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
            foreign_keys = cursor.execute("PRAGMA foreign_keys").fetchone()[0]
        # Django begins atomic blocks with BEGIN IMMEDIATE: the write lock is taken at once,
        # so a second writer waits on the busy timeout instead of failing part-way.
        wrapper._start_transaction_under_autocommit()
        other = sqlite3.connect(tmp_path / "db.sqlite3", timeout=0)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
        wrapper.connection.rollback()
        wrapper.close()
    assert (journal, busy, foreign_keys) == ("wal", 20000, 1)

"""Shared fixtures: the shipped seeds, the corpus sample, and a way to run the import."""

from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.core import signals
from django.core.management import CommandError, call_command
from django.db import close_old_connections

PROJECT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT / "seeds"
DATA = Path(__file__).resolve().parent / "data"
CORPUS = DATA / "everyday-ai"


@dataclass
class ImportRun:
    stdout: str
    stderr: str
    failed: bool  # the command exited non-zero (CommandError)
    error: str = ""


def run_import(*paths, **options) -> ImportRun:
    out, err = StringIO(), StringIO()
    try:
        call_command("import_seeds", *map(str, paths), stdout=out, stderr=err, **options)
    except CommandError as error:
        return ImportRun(out.getvalue(), err.getvalue(), True, str(error))
    return ImportRun(out.getvalue(), err.getvalue(), False)


@pytest.fixture
def write_doc(tmp_path):
    """Write a document (text or bytes) under tmp_path and return its path."""

    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    return write


@pytest.fixture(autouse=True)
def isolated_caches(settings):
    """Each test starts with empty in-memory caches and unhashed static file names."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "pages",
        },
        "shared": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "shared",
        },
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.core.cache import caches

    for alias in ("default", "shared"):
        caches[alias].clear()


@pytest.fixture
def keep_the_test_connection():
    """Requests reach the app directly, not through Django's test client, so the end of
    each one would close the database connection, and the test's transaction with it
    (PostgreSQL). As Django's test client does, keep it open."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)

"""Shared fixtures: the shipped seeds, the corpus sample, and a way to run the import."""

import os
import shutil
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


# The browser tests' Chromium (test_browser.py, test_browser_csp.py): one Playwright for the
# whole run, here, because two modules each starting one fail ("Sync API inside the asyncio
# loop").
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM}: run `make browser-deps` (Debian package chromium)"
        if os.environ.get("NEWSROOM_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # around it are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page_at(browser):
    """Open a page at a viewport width; collects console errors and page errors."""
    contexts = []

    def open_page(width: int):
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on(
            "console",
            lambda message: message.type == "error" and page.errors.append(message.text),
        )
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    yield open_page
    for context in contexts:
        context.close()

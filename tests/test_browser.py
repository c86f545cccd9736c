"""Real-browser tests: Debian's Chromium driven by Playwright against a live server.

Skipped, with the reason, where no Chromium is installed (`make browser-deps` installs it);
CI sets NEWSROOM_REQUIRE_BROWSER=1 so that there they fail instead of skipping.
Screenshots are saved under var/screenshots/ for a person to look at.
"""

import os
import shutil
from pathlib import Path

import pytest

from articles.models import ArticleTopic, Image

from .conftest import PROJECT
from .factories import ArticleFactory, TopicFactory

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
SCREENSHOTS = PROJECT / "var" / "screenshots"
WIDTHS = {"desktop": 1280, "phone": 390}


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


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def site(live_server):
    topic = TopicFactory(name="Machine Learning", slug="machine-learning")
    image = f"{live_server.url}/static/img/newsroom.svg"
    articles = []
    for n in range(12):
        article = ArticleFactory(
            title=f"Robots learn to sort parcels faster, story {n}",
            excerpt="A warehouse trial shows how learned grasping cuts sorting time. " * 3,
            provider_name="The Example Times",
            web_url=f"https://news.example/robots-{n}",
        )
        ArticleTopic.objects.create(article=article, topic=topic, position=0)
        Image.objects.create(article=article, url=image, width=640, height=360, position=0)
        articles.append(article)
    return articles


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("device", WIDTHS)
def test_pages_render_cleanly_on_desktop_and_phone(live_server, site, page_at, device):
    width = WIDTHS[device]
    urls = {
        "home": "/",
        "article": site[0].get_absolute_url(),
        "search": "/search/?q=robots",
    }
    for name, path in urls.items():
        page = page_at(width)
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, (name, response.status)
        page.wait_for_load_state("networkidle")
        assert page.errors == [], (name, page.errors)
        assert page.locator("main h1").count() == 1, name
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{name} scrolls sideways at {width}px: {scroll}px wide"
        screenshot(page, f"{name}-{device}")


@pytest.mark.django_db(transaction=True)
def test_keyboard_focus_is_visible(live_server, site, page_at):
    page = page_at(1280)
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")  # the skip link comes first
    focused = page.evaluate(
        "() => { const e = document.activeElement; const s = getComputedStyle(e);"
        " return [e.className, s.outlineStyle, s.outlineWidth]; }"
    )
    assert focused[0] == "skip-link"
    assert focused[1] != "none" and focused[2] != "0px"

"""Real-browser tests: Debian's Chromium driven by Playwright against a live server.

Skipped, with the reason, where no Chromium is installed (`make browser-deps` installs it);
CI sets NEWSROOM_REQUIRE_BROWSER=1 so that there they fail instead of skipping.
Screenshots are saved under var/screenshots/ for a person to look at.
"""

import importlib
from io import StringIO

import pytest
from django.core.management import call_command

from articles.models import ArticleTopic, Image

from .conftest import PROJECT
from .factories import ArticleFactory, ProviderFactory, TopicFactory

SCREENSHOTS = PROJECT / "var" / "screenshots"
WIDTHS = {"desktop": 1280, "phone": 390}


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


@pytest.fixture
def editors_group():
    """The Editors group of migration 0006: the flush after each live-server test empties
    the tables that migrations filled."""
    from django.contrib.auth.models import Group, Permission

    migration = importlib.import_module("articles.migrations.0006_editors_group")
    return migration.grant(Group, Permission)


@pytest.mark.django_db(transaction=True)
def test_an_editor_unpublishes_and_rescores_from_the_changelist(
    live_server, page_at, monkeypatch, editors_group
):
    monkeypatch.setenv("NEWSROOM_EDITOR_PASSWORD", "desk passphrase 2024")
    call_command("create_editor", "ada", "--no-input", stdout=StringIO())
    held = ArticleFactory(title="Story to hold back", is_published=True, quality=300)
    rescored = ArticleFactory(title="Story to re-score", is_published=True, quality=100)

    page = page_at(1280)
    # The admin links no favicon; the browser's own request for one is not the desk's error.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/articles/article/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "desk passphrase 2024")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/articles/article/")

    def row_prefix(article) -> str:
        """The list form's prefix of the article's row (form-N), from its hidden id input."""
        hidden = page.locator(f'input[type=hidden][name$="-id"][value="{article.pk}"]')
        return hidden.get_attribute("name").removesuffix("-id")

    page.uncheck(f"#id_{row_prefix(held)}-is_published")
    page.fill(f"#id_{row_prefix(rescored)}-quality", "875")
    page.locator('input[name="_save"]').first.click()
    page.wait_for_load_state("networkidle")
    assert "2 articles were changed successfully" in page.locator(".messagelist").inner_text()
    assert page.errors == [], page.errors
    screenshot(page, "desk-changelist")

    # What the public sees now: a stranger's browser, without the editor's session.
    reader = page_at(1280)
    assert reader.goto(f"{live_server.url}{held.get_absolute_url()}").status == 404
    api = reader.request.get(f"{live_server.url}/api/v1/articles/{rescored.slug}/")
    assert api.status == 200, api.status
    assert api.json()["quality"] == 875


@pytest.mark.django_db(transaction=True)
def test_the_desk_filters_by_provider_found_by_typing(live_server, page_at, admin_user):
    wire = ProviderFactory(name="Zephyr Wire")
    ArticleFactory(title="From the wire", provider=wire)
    ArticleFactory(title="From elsewhere")
    page = page_at(1280)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", "password")  # pytest-django's admin_user
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    assert page.locator(".desk-dashboard svg").count() >= 4
    screenshot(page, "desk-dashboard")

    page.goto(f"{live_server.url}/admin/articles/article/")
    page.locator("#changelist-filter .select2-selection").first.click()
    page.keyboard.type("Zeph")
    page.locator(".select2-results__option", has_text="Zephyr Wire").click()
    page.wait_for_url(f"**provider__id__exact={wire.pk}")
    titles = page.locator("#result_list .field-title").all_inner_texts()
    assert titles == ["From the wire"]
    assert page.errors == [], page.errors

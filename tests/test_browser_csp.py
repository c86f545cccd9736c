"""The Content-Security-Policy in a real browser: Chromium reports no violation on the
public pages, the editors' desk, the API's docs and browsable pages, and they still work.

The browser reports a violation twice: as a `securitypolicyviolation` event on the document
(collected here by a script that runs before the page's own) and as a console error
(collected by test_browser's `page_at`). Both must stay empty.
"""

import pytest

from articles.models import Article

from .factories import ArticleFactory
from .test_browser import screenshot, site  # noqa: F401  (site: a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

COLLECT_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber} ${event.sample}`
  );
});
"""


@pytest.fixture
def csp_page(page_at):
    """A desktop page that records CSP violations; favicon requests answered empty (the
    admin links none: the browser's own request for one is not a page's error)."""
    page = page_at(1280)
    page.add_init_script(COLLECT_VIOLATIONS)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    return page


def visit(page, url: str, status: int = 200):
    """Open url, let it settle, and fail on any CSP violation or page error it caused."""
    response = page.goto(url)
    assert response.status == status, (url, response.status)
    policy = response.headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, (url, policy)
    page.wait_for_load_state("networkidle")
    assert_clean(page, url, status)
    return response


def assert_clean(page, where: str, status: int = 200) -> None:
    violations = page.evaluate("window.cspViolations")
    assert violations == [], (where, violations)
    # The browser logs an error status of the page itself as a console error too.
    errors = [e for e in page.errors if status == 200 or f"status of {status}" not in e]
    assert errors == [], (where, errors)


def sign_in(page, base: str, username: str, password: str, next_path: str = "/admin/"):
    page.goto(f"{base}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")


def test_public_pages_break_no_policy(live_server, site, csp_page):  # noqa: F811
    base = live_server.url
    visit(csp_page, f"{base}/")
    # The page's JSON-LD is a <script> the browser reads as data and never runs: no report.
    visit(csp_page, f"{base}{site[0].get_absolute_url()}")
    assert csp_page.locator('script[type="application/ld+json"]').count() == 1
    images = csp_page.evaluate(
        "[...document.images].map((image) => image.complete && image.naturalWidth > 0)"
    )
    assert images and all(images), images  # img-src lets the article's images load
    for path in ("/search/?q=robots", "/topics/", "/topics/machine-learning/", "/providers/"):
        visit(csp_page, f"{base}{path}")
    visit(csp_page, f"{base}/no-such-page/", status=404)
    screenshot(csp_page, "csp-404")


def test_the_desk_works_under_the_policy(live_server, csp_page, admin_user):
    base = live_server.url
    articles = [ArticleFactory(title=f"Desk story {n}", quality=100) for n in range(3)]

    visit(csp_page, f"{base}/admin/login/")
    sign_in(csp_page, base, admin_user.username, "password")  # pytest-django's admin_user
    csp_page.wait_for_url(f"{base}/admin/")
    csp_page.wait_for_load_state("networkidle")
    assert_clean(csp_page, "dashboard")
    assert csp_page.locator(".desk-dashboard svg").count() >= 4  # the server-drawn charts

    # The changelist's scripts run: ticking a row updates the action counter (actions.js),
    # and an action goes through.
    visit(csp_page, f"{base}/admin/articles/article/")
    csp_page.locator(f'input.action-select[value="{articles[0].pk}"]').check()
    assert "1 of 3 selected" in csp_page.locator(".action-counter").inner_text()
    csp_page.select_option("select[name=action]", "unpublish")
    csp_page.locator("button[name=index]").first.click()
    csp_page.wait_for_load_state("networkidle")
    assert_clean(csp_page, "changelist after the action")
    assert not Article.objects.get(pk=articles[0].pk).is_published
    screenshot(csp_page, "csp-desk-changelist")

    # An action with a page of its own: set quality, then back to the list.
    csp_page.locator(f'input.action-select[value="{articles[2].pk}"]').check()
    csp_page.select_option("select[name=action]", "set_quality")
    csp_page.locator("button[name=index]").first.click()
    csp_page.wait_for_selector("body.desk-set-quality")
    assert_clean(csp_page, "set quality page")
    csp_page.fill("#id_quality", "720")
    csp_page.click("input[name=apply]")
    csp_page.wait_for_load_state("networkidle")
    assert_clean(csp_page, "changelist after setting quality")
    assert Article.objects.get(pk=articles[2].pk).quality == 720

    visit(csp_page, f"{base}/admin/articles/article/{articles[1].pk}/change/")
    csp_page.fill("#id_quality", "640")
    csp_page.locator('input[name="_save"]').first.click()
    csp_page.wait_for_url(f"{base}/admin/articles/article/")
    csp_page.wait_for_load_state("networkidle")
    assert_clean(csp_page, "changelist after saving")
    assert Article.objects.get(pk=articles[1].pk).quality == 640

    # The rest of the desk, and what only superusers open (accounts, sign-in failures).
    for path in (
        f"/admin/articles/article/{articles[1].pk}/history/",
        "/admin/articles/editorialchange/",
        "/admin/articles/provider/",
        "/admin/articles/topic/",
        "/admin/auth/user/",
        f"/admin/auth/user/{admin_user.pk}/change/",
        f"/admin/auth/user/{admin_user.pk}/password/",
        "/admin/auth/group/add/",
        "/admin/axes/accessattempt/",
        "/admin/axes/accessfailurelog/",
    ):
        visit(csp_page, f"{base}{path}")


def test_the_api_docs_and_browsable_api_work_under_the_policy(live_server, site, csp_page):  # noqa: F811
    base = live_server.url
    visit(csp_page, f"{base}/api/v1/docs/")
    # Swagger UI drew the operations from the schema it fetched.
    csp_page.locator(".opblock").first.wait_for()
    assert csp_page.locator(".opblock").count() >= 3
    # "Try it out" calls the API from the page (connect-src).
    csp_page.locator(".opblock-get .opblock-summary").first.click()
    csp_page.locator("button.try-out__btn").first.click()
    csp_page.locator("button.execute").first.click()
    status = csp_page.locator(".live-responses-table tbody .response-col_status").first
    assert status.inner_text().strip() == "200"
    assert_clean(csp_page, "api docs, after trying a call")
    screenshot(csp_page, "csp-api-docs")

    visit(csp_page, f"{base}/api/v1/articles/")  # the browser asks for HTML: DRF's page
    assert "Robots learn to sort parcels" in csp_page.locator(".response-info").inner_text()
    # The one style attribute DRF writes (allowed by its hash) still applies.
    filters = csp_page.locator("button[data-target='#filtersModal']")
    assert filters.evaluate("(button) => getComputedStyle(button).float") == "right"
    screenshot(csp_page, "csp-browsable-api")


def test_an_editor_s_browsable_api_breaks_no_policy(live_server, site, csp_page, admin_user):  # noqa: F811
    base = live_server.url
    sign_in(csp_page, base, admin_user.username, "password", next_path="/admin/")
    csp_page.wait_for_url(f"{base}/admin/")
    # With the forms to change an article (PATCH) and the OPTIONS and DELETE buttons.
    visit(csp_page, f"{base}/api/v1/articles/{site[0].slug}/")
    assert csp_page.locator("form").count() >= 1
    screenshot(csp_page, "csp-browsable-api-editor")


def test_the_lockout_page_breaks_no_policy(live_server, csp_page, admin_user, settings):
    base = live_server.url
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(csp_page, base, admin_user.username, "not the password")
        csp_page.wait_for_load_state("networkidle")
    assert "paused" in csp_page.locator("#content-main").inner_text()
    assert_clean(csp_page, "lockout page", status=429)
    screenshot(csp_page, "csp-lockout")

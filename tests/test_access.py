"""Who may open what: every route of the site for every role, and what none of them leaks.

The routes come from walking the URL resolver (the admin's and the API router's included),
so a route is in the matrix as soon as it exists. For each one the matrix builds concrete
URLs from the rows of the `world` fixture and says what each role gets: anonymous, a
signed-in user who is not staff, an editor (made by `manage.py create_editor`) and a
superuser. A route it cannot build a URL for, or has no expectation for, fails the test
until someone adds it here on purpose.

Then every URL of the matrix, and the searches, filters and pages that could surface an
unpublished article, are opened as anonymous reader and as signed-in user: no unpublished
article (title, slug, excerpt, body, image, its only provider or topic) and no `secured`
value may show in any body, header or cookie. `secured` is shown to no one, staff
included, but for its first characters on the desk.
"""

from __future__ import annotations

import base64
import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from urllib.parse import quote, unquote, urlencode

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import quote as admin_quote
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token, TokenProxy

from articles import sitemaps, stories
from articles.admin import SECURED_SHOWN
from articles.editorial import decide
from articles.models import Article, ArticleTopic, EditorialChange, Image, RelatedItem, Story

from .factories import PASSWORD, ArticleFactory, ProviderFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "user", "editor", "superuser")
PUBLIC_ROLES = ("anonymous", "user")

# --- the world: what the URLs are built from, with markers to look for -------------------

# The unpublished article, and what only it has: none of it may reach the public.
HELD_SLUG = "kept-back-9f2c"
HELD_TITLE = "Zorblaxian breakthrough kept back"
HELD_EXCERPT = "A vorpalwise excerpt nobody may read yet."
HELD_BODY = "Frabjous findings, under embargo."
HELD_IMAGE = "https://img.example/snickersnack.jpg"
HELD_PROVIDER = "Jabberwire Gazette"  # a provider with no published article
HELD_TOPIC = "Tumtumtree Affairs"  # a topic with no published article
HELD_MARKERS = [
    "Zorblaxian",
    HELD_SLUG,
    "vorpalwise",
    "Frabjous",
    "snickersnack",
    "Jabberwire",
    "Tumtumtree",
]


def secured_value(who: str) -> str:
    """A `secured` value whose first SECURED_SHOWN characters (what the desk shows) are
    unique to it, and whose rest is a marker no page may ever show."""
    shown = f"SECURED-{who}-".ljust(SECURED_SHOWN, "0")
    return shown + f"tail{who}7c1e0a93d5"


SECURED = {who: secured_value(who) for who in ("published", "other", "held")}


@dataclass
class World:
    published: Article  # the lead of a story ...
    other: Article  # ... another published article of it, from another provider ...
    held: Article  # ... and an unpublished one, the best by quality
    topic_slug: str  # a topic of the published and the held article
    provider_slug: str  # the published article's provider
    held_topic_slug: str
    held_provider_slug: str
    users: dict  # role -> user (None for anonymous)
    admin_objects: dict  # "app_label.model_name" -> an object for its ModelAdmin's pages


@pytest.fixture
def world(settings, monkeypatch) -> World:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed
    # The throttle is test_api's concern; here it would only count this file's requests.
    settings.NEWSROOM_API_ANON_RATE = ""
    now = timezone.now()
    topic = TopicFactory(name="Machine Reading", slug="machine-reading")
    held_topic = TopicFactory(name=HELD_TOPIC, slug="tumtumtree-affairs")
    provider = ProviderFactory(name="Lighthouse Daily", domain="lighthouse.example")
    held_provider = ProviderFactory(name=HELD_PROVIDER, domain="jabberwire.example")
    story = Story.objects.create()
    published = ArticleFactory(
        title="Robots learn to read",
        provider=provider,
        story=story,
        quality=50,
        published_at=now - timedelta(hours=1),
        secured=SECURED["published"],
    )
    other = ArticleFactory(
        title="Reading robots, a second report",
        provider=ProviderFactory(name="Harbour Post", domain="harbour.example"),
        story=story,
        quality=40,
        published_at=now - timedelta(hours=2),
        secured=SECURED["other"],
    )
    held = ArticleFactory(
        title=HELD_TITLE,
        slug=HELD_SLUG,
        excerpt=HELD_EXCERPT,
        body=HELD_BODY,
        provider=held_provider,
        provider_name=HELD_PROVIDER,
        story=story,
        quality=999,  # the story's best: only its being unpublished keeps it from leading
        published_at=now,
        is_published=False,
        secured=SECURED["held"],
    )
    for position, (article, on) in enumerate(
        [(published, topic), (held, topic), (held, held_topic)]
    ):
        ArticleTopic.objects.create(article=article, topic=on, position=position)
    Image.objects.create(article=held, url=HELD_IMAGE, width=800, height=450)
    # The published article's feed lists the held one as related coverage.
    RelatedItem.objects.create(
        article=published,
        position=0,
        title="Elsewhere",
        web_url=held.web_url,
        linked_article=held,
    )
    stories.refresh_leads([story.pk])

    monkeypatch.setenv("NEWSROOM_EDITOR_PASSWORD", PASSWORD)
    call_command("create_editor", "editor", "--no-input", stdout=StringIO())
    User = get_user_model()
    users = {
        "anonymous": None,
        "user": UserFactory(username="reader"),
        "editor": User.objects.get(username="editor"),
        "superuser": User.objects.create_superuser("boss", "boss@newsroom.example", PASSWORD),
    }
    Token.objects.create(user=users["editor"])
    # The desk holds it back: a decision in the editorial log.
    change = decide(
        Article.objects.filter(pk=held.pk),
        {"is_published": False},
        user=users["editor"],
        via=EditorialChange.Via.ADMIN_FORM,
        reason="Under embargo",
    )[0]
    admin_objects = {
        "articles.article": held,
        "articles.provider": provider,
        "articles.topic": topic,
        "articles.editorialchange": change,
        "auth.group": Group.objects.get(name="Editors"),
        "auth.user": users["user"],
        "authtoken.tokenproxy": TokenProxy.objects.get(user=users["editor"]),
        **sign_in_records(),
    }
    return World(
        published=published,
        other=other,
        held=held,
        topic_slug=topic.slug,
        provider_slug=provider.slug,
        held_topic_slug=held_topic.slug,
        held_provider_slug=held_provider.slug,
        users=users,
        admin_objects=admin_objects,
    )


def sign_in_records() -> dict:
    """A row of each of django-axes' models, when it is installed, for their desk pages."""
    if not apps.is_installed("axes"):
        return {}
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    seen = {
        "user_agent": "curl/8",
        "ip_address": "192.0.2.1",
        "username": "someone",
        "http_accept": "*/*",
        "path_info": "/admin/login/",
    }
    return {
        "axes.accessattempt": AccessAttempt.objects.create(
            **seen, get_data="", post_data="", failures_since_start=1
        ),
        "axes.accesslog": AccessLog.objects.create(**seen),
        "axes.accessfailurelog": AccessFailureLog.objects.create(**seen),
    }


def client_for(world: World, role: str) -> Client:
    client = Client()
    if world.users[role] is not None:
        client.force_login(world.users[role])
    return client


# --- the routes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str | None  # with its namespaces ("admin:index"); None for an unnamed route
    route: str  # as ResolverMatch.route gives it
    params: frozenset[str]

    @property
    def key(self) -> str:
        return self.name or self.route


def join_route(first: str, second: str) -> str:
    # As django.urls.resolvers joins the routes of nested patterns into ResolverMatch.route.
    return second if not first else first + second.removeprefix("^")


def walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    """Every URL pattern under `resolver`, however deeply included, path() or re_path()."""
    params = frozenset(resolver.pattern.regex.groupindex)
    for pattern in resolver.url_patterns:
        route = join_route(prefix, str(pattern.pattern))
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            for found in walk(pattern, route, inner):
                yield Route(found.name, found.route, found.params | params)
        else:
            assert isinstance(pattern, URLPattern)
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield Route(name, route, frozenset(pattern.pattern.regex.groupindex) | params)


def all_routes() -> list[Route]:
    return list(walk(get_resolver()))


# --- what each role gets -----------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    status: int
    location: str = ""  # a redirect's target; "{url}" stands for the URL requested

    def __str__(self):
        return f"{self.status} to {self.location}" if self.location else str(self.status)


OK, FORBIDDEN, NOT_FOUND, NOT_ALLOWED = Expect(200), Expect(403), Expect(404), Expect(405)
LOGIN = Expect(302, "/admin/login/?next={url}")  # the desk's login, coming back here after
TO_DESK = Expect(302, "/admin/")


def roles(anonymous, user, editor, superuser) -> dict[str, Expect]:
    return dict(zip(ROLES, (anonymous, user, editor, superuser), strict=True))


EVERYONE = roles(OK, OK, OK, OK)
NO_ONE = roles(NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND)
STAFF_ONLY = roles(LOGIN, LOGIN, OK, OK)

# What editors and superusers may do with each model of the desk: "v" view (its list, page
# and history), "a" add, "d" delete (GET only: the confirmation page). Anonymous and
# non-staff users are sent to the login page for all of it. A model registered in the admin
# and missing here fails the matrix: decide what editors may do with it.
ADMIN_MODELS = {
    # Editors view and change articles, providers and topics; imports add them; only a
    # superuser deletes one (and none deletes an article with a history: the log protects it).
    "articles.article": {"editor": "v", "superuser": "vd"},
    "articles.provider": {"editor": "v", "superuser": "vd"},
    "articles.topic": {"editor": "v", "superuser": "vd"},
    # The editorial log is read-only for everyone, superusers included.
    "articles.editorialchange": {"editor": "v", "superuser": "v"},
    # Accounts and tokens are for superusers.
    "auth.group": {"editor": "", "superuser": "vad"},
    "auth.user": {"editor": "", "superuser": "vad"},
    "authtoken.tokenproxy": {"editor": "", "superuser": "vad"},
    # django-axes' records of sign-ins (when installed): superusers', written by axes only.
    "axes.accessattempt": {"editor": "", "superuser": "vd"},
    "axes.accesslog": {"editor": "", "superuser": "vd"},
    "axes.accessfailurelog": {"editor": "", "superuser": "vd"},
}
ADMIN_VIEWS = {"changelist": "v", "history": "v", "change": "v", "add": "a", "delete": "d"}

# Expectations by route name, or by "name[variant]" where a route is built more than once
# (see VARIANTS). Routes not named here get the default for their place: 200 for everyone
# on the public site and the API; STAFF_ONLY on the desk, except a model's own pages, which
# follow ADMIN_MODELS.
EXPECTED = {
    # Unpublished: a 404 to the public, exactly as an article that does not exist, never a
    # 403; staff (editors included) preview it.
    "articles:article[held]": roles(NOT_FOUND, NOT_FOUND, OK, OK),
    "articles:article[missing]": NO_ONE,
    "api:article-detail[held]": roles(NOT_FOUND, NOT_FOUND, OK, OK),
    "api:article-detail[missing]": NO_ONE,
    "django.contrib.sitemaps.views.sitemap[unknown]": NO_ONE,
    # A topic or provider whose only articles are held back. The API has none such (a 404,
    # as the sitemaps and indexes leave it out); its page and feed answer, listing nothing,
    # and name it to whoever knows its slug (which spells its name: the leak checks let
    # a page say what its URL says). An empty feed stays a valid feed (test_feeds).
    "articles:topic[held-only]": EVERYONE,
    "articles:topic-feed[held-only]": EVERYONE,
    "articles:provider[held-only]": EVERYONE,
    "api:topic-detail[held-only]": NO_ONE,
    "api:provider-detail[held-only]": NO_ONE,
    # A signed-in non-staff user is offered the login form to sign in as staff.
    "admin:login": roles(OK, OK, TO_DESK, TO_DESK),
    # Logging out is a POST (Django 5): a GET is refused, or sent to the desk's index first.
    "admin:logout": roles(TO_DESK, TO_DESK, NOT_ALLOWED, NOT_ALLOWED),
    # Its public page; the held article's, which only staff may open, is the one tried.
    "admin:view_on_site": roles(
        LOGIN, LOGIN, Expect(302, f"/articles/{HELD_SLUG}/"), Expect(302, f"/articles/{HELD_SLUG}/")
    ),
    "admin:auth_user_password_change": roles(LOGIN, LOGIN, FORBIDDEN, OK),
    # The admin's catch-all: unknown desk addresses are the desk's 404, behind the login.
    "admin/(?P<url>.*)$": roles(LOGIN, LOGIN, NOT_FOUND, NOT_FOUND),
}


# Routes built more than once: variant -> URL parameters (and "?", a query string); the
# variant "" is the route's plain case, named by the route alone.
def topics(w):
    return {"": {"slug": w.topic_slug}, "held-only": {"slug": w.held_topic_slug}}


def providers(w):
    return {"": {"slug": w.provider_slug}, "held-only": {"slug": w.held_provider_slug}}


VARIANTS = {
    "articles:topic": topics,
    "articles:topic-feed": topics,
    "api:topic-detail": topics,
    "articles:provider": providers,
    "api:provider-detail": providers,
    "articles:article": lambda w: {
        "published": {"slug": w.published.slug},
        "held": {"slug": HELD_SLUG},
        "missing": {"slug": "no-such-article"},
    },
    "api:article-detail": lambda w: {
        "published": {"slug": w.published.slug},
        "held": {"slug": HELD_SLUG},
        "missing": {"slug": "no-such-article"},
    },
    "django.contrib.sitemaps.views.sitemap": lambda w: {
        **{section: {"section": section} for section in sitemaps.SECTIONS},
        "unknown": {"section": "no-such-section"},
    },
    "admin:app_list": lambda w: {
        app: {"app_label": app} for app in {m._meta.app_label for m in admin.site._registry}
    },
}

# Routes built once, with these parameters (beside those every route of a kind gets).
PARAMS = {
    "admin:view_on_site": lambda w: {
        "content_type_id": ContentType.objects.get_for_model(Article).pk,
        "object_id": w.held.pk,
    },
    "admin:auth_user_password_change": lambda w: {"id": w.users["user"].pk},
    # What the article list's provider filter asks (without it, a 403 for everyone).
    "admin:autocomplete": lambda w: {
        "?": "app_label=articles&model_name=article&field_name=provider"
    },
    "admin/(?P<url>.*)$": lambda w: {"url": "no-such-page/"},
}

# Every DRF format-suffix route is tried with JSON.
FORMAT = {"format": "json"}


@dataclass(frozen=True)
class Case:
    key: str  # the route's key, and [variant]
    url: str
    expect: dict[str, Expect]


def admin_model_of(route: Route) -> tuple[str, type] | None:
    """("app_label.model_name", model) when `route` is one of a ModelAdmin's own pages."""
    for model in admin.site._registry:
        opts = model._meta
        if route.route.startswith(f"admin/{opts.app_label}/{opts.model_name}/"):
            return f"{opts.app_label}.{opts.model_name}", model
    return None


def admin_model_expectations(route: Route, label: str) -> dict[str, Expect] | None:
    rights = ADMIN_MODELS.get(label)
    if rights is None:
        return None
    if route.name is None:  # <object_id>/ redirects to the change page, for staff
        staff = Expect(302, "{url}change/")
        return roles(LOGIN, LOGIN, staff, staff)
    view = route.name.rsplit("_", 1)[-1]
    if view not in ADMIN_VIEWS:
        return None
    allowed = {role: ADMIN_VIEWS[view] in rights[role] for role in ("editor", "superuser")}
    return roles(
        LOGIN,
        LOGIN,
        OK if allowed["editor"] else FORBIDDEN,
        OK if allowed["superuser"] else FORBIDDEN,
    )


def app_list_expectations(app_label: str) -> dict[str, Expect] | None:
    """An app's desk index: for whoever may view one of its models, else a 404."""
    labels = [label for label in ADMIN_MODELS if label.split(".")[0] == app_label]
    if not labels:
        return None
    by_role = {
        role: OK if any("v" in ADMIN_MODELS[label][role] for label in labels) else NOT_FOUND
        for role in ("editor", "superuser")
    }
    return roles(LOGIN, LOGIN, by_role["editor"], by_role["superuser"])


def expectations(route: Route, variant: str) -> dict[str, Expect] | None:
    key = f"{route.key}[{variant}]" if variant else route.key
    if key in EXPECTED:
        return EXPECTED[key]
    if route.key in EXPECTED:
        return EXPECTED[route.key]
    if route.name == "admin:app_list":
        return app_list_expectations(variant)
    if route.route.startswith("admin/"):
        model = admin_model_of(route)
        return admin_model_expectations(route, model[0]) if model else STAFF_ONLY
    return EVERYONE  # the public site and the API: reads are open to all


def parameters(route: Route, world: World) -> dict[str, dict] | None:
    """Variant -> URL parameters for `route`, or None when the matrix does not know how."""
    if route.key in VARIANTS:
        found = VARIANTS[route.key](world)
    elif route.key in PARAMS:
        found = {"": PARAMS[route.key](world)}
    else:
        found = {"": {}}
        model = admin_model_of(route)
        if model and "object_id" in route.params:
            obj = world.admin_objects.get(model[0])
            if obj is None:
                return None
            found[""]["object_id"] = admin_quote(obj.pk)
    if "format" in route.params:
        found = {variant: {**kwargs, **FORMAT} for variant, kwargs in found.items()}
    for kwargs in found.values():
        if set(kwargs) - {"?"} != route.params:
            return None
    return found


def url_of(route: Route, kwargs: dict) -> str:
    kwargs = dict(kwargs)
    query = kwargs.pop("?", "")
    if route.name:
        url = reverse(route.name, kwargs=kwargs)
    else:
        # Unnamed routes (only the admin's): fill the route's parameters in.
        url = "/" + re.sub(
            r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)",
            lambda m: str(kwargs[m.group(1) or m.group(2)]),
            route.route,
        ).removeprefix("^").removesuffix("$")
    return f"{url}?{query}" if query else url


def matrix(world: World) -> tuple[list[Case], list[str]]:
    """Every route's cases, and what keeps any route out of the matrix."""
    cases, problems = [], []
    routes = all_routes()
    keys = {route.key for route in routes}
    for stale in (set(EXPECTED) | set(VARIANTS) | set(PARAMS)) - keys:
        if stale.split("[")[0] not in keys:
            problems.append(f"{stale}: in the matrix but no longer a route; remove it")
    for route in routes:
        found = parameters(route, world)
        if found is None:
            problems.append(
                f"{route.key} ({route.route}, parameters {sorted(route.params)}): the matrix "
                "cannot build a URL for this route. Add it to PARAMS or VARIANTS (and, for a "
                "ModelAdmin, to ADMIN_MODELS and the world's admin_objects), and say in "
                "EXPECTED what each role gets, on purpose."
            )
            continue
        for variant, kwargs in found.items():
            expect = expectations(route, variant)
            key = f"{route.key}[{variant}]" if variant else route.key
            if expect is None:
                problems.append(
                    f"{key}: no expectation for this route; add what each role gets to "
                    "EXPECTED (or its model to ADMIN_MODELS), on purpose."
                )
                continue
            url = url_of(route, kwargs)
            reached = resolve(url.split("?")[0]).route
            if reached != route.route:
                problems.append(f"{key}: {url} reaches {reached!r}, not {route.route!r}")
                continue
            cases.append(Case(key, url, expect))
    return cases, problems


# --- reading responses ---------------------------------------------------------------------


CURSOR = re.compile(r"cursor=([A-Za-z0-9_.~%-]+)")


def everything_sent(response) -> str:
    """Status line aside, all a client receives: headers, cookies and body, lowercased, and
    what the API's page cursors hold (base64: the last row's value in the ordering)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    headers = "\n".join(f"{name}: {value}" for name, value in response.headers.items())
    text = f"{headers}\n{response.cookies.output()}\n{body.decode('utf-8', 'replace')}"
    cursors = [unquote(token) for token in CURSOR.findall(text)]
    for token in cursors:
        for decode in (base64.urlsafe_b64decode, base64.b64decode):
            with contextlib.suppress(ValueError):  # binascii.Error: not this alphabet
                text += "\n" + decode(token + "===").decode("utf-8", "replace")
    return text.lower()


def outcome(response) -> Expect:
    if response.status_code in (301, 302, 303, 307, 308):
        return Expect(response.status_code, response["Location"])
    return Expect(response.status_code)


def expected_for(expect: Expect, url: str) -> Expect:
    if expect is LOGIN:
        return Expect(302, "/admin/login/?" + urlencode({"next": url}, safe="/", quote_via=quote))
    if "{url}" in expect.location:
        return Expect(expect.status, expect.location.replace("{url}", url.split("?")[0]))
    return expect


def matches(got: Expect, want: Expect) -> bool:
    # Django's "view on site" redirect is absolute (http://testserver/...): the path decides.
    return got.status == want.status and (
        got.location == want.location or got.location.endswith("testserver" + want.location)
    )


def leaked(text: str, url: str, markers: list[str]) -> list[str]:
    """The markers in `text`, but for those the request itself carried (a search echoes
    its words, a 404 may name its path)."""
    asked = url.lower()
    return [m for m in markers if m.lower() in text and m.lower() not in asked]


def secured_markers(role: str, url: str) -> list[str]:
    """What of `secured` no one may see: ever its tail; its first characters, only the desk
    may show, and only to staff."""
    shown_on_desk = role in ("editor", "superuser") and url.startswith("/admin/")
    tails = [value[SECURED_SHOWN:] for value in SECURED.values()]
    return tails if shown_on_desk else tails + [value[:SECURED_SHOWN] for value in SECURED.values()]


# --- the matrix ----------------------------------------------------------------------------


def test_the_walk_finds_every_kind_of_route():
    """The walk reaches the admin's and the API router's routes, path() and re_path() alike,
    named or not (a guard on the walk itself)."""
    routes = all_routes()
    keys = {route.key for route in routes}
    assert {
        "articles:home",
        "articles:article",
        "admin:index",
        "admin:articles_article_change",
        "admin:app_list",  # a re_path
        "api:article-detail",  # the router's, a re_path with a format-suffix twin
        "api:api-root",
        "django.contrib.sitemaps.views.sitemap",
        "admin/(?P<url>.*)$",  # unnamed: the admin's catch-all
    } <= keys
    assert any(route.route == "api/v1/articles/(?P<slug>[-\\w]+)/$" for route in routes)
    assert len([r for r in routes if r.name == "api:article-detail"]) == 2  # .json twin


def test_the_matrix_builds_a_url_for_every_route(world):
    cases, problems = matrix(world)
    assert not problems, "\n".join(problems)
    # Each route of the walk has at least one case; a route built twice has both.
    assert {resolve(c.url.split("?")[0]).route for c in cases} == {r.route for r in all_routes()}


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_matrix_says(world, role):
    cases, problems = matrix(world)
    assert not problems, "\n".join(problems)
    client = client_for(world, role)
    wrong, secrets = [], []
    for case in cases:
        response = client.get(case.url)
        want = expected_for(case.expect[role], case.url)
        got = outcome(response)
        if not matches(got, want):
            wrong.append(f"{case.key:48} {case.url:60} expected {want}, got {got}")
        found = leaked(everything_sent(response), case.url, secured_markers(role, case.url))
        if found:
            secrets.append(f"{case.url}: {found}")
    assert not wrong, f"{role}: answers not in the matrix:\n" + "\n".join(wrong)
    assert not secrets, f"{role} was shown secured values:\n" + "\n".join(secrets)


WRITE = roles(Expect(401), Expect(403), OK, OK)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["published", "held"])
def test_api_writes_need_an_editor_whatever_the_article(world, role, which):
    """Anonymous writes are 401 with a challenge; signed-in non-editors 403, for a held
    article too (permission comes before the lookup: no hint that it exists)."""
    article = getattr(world, which)
    response = client_for(world, role).patch(
        f"/api/v1/articles/{article.slug}/", {"quality": 7}, content_type="application/json"
    )
    assert response.status_code == WRITE[role].status, response.content
    article.refresh_from_db()
    if role in PUBLIC_ROLES:
        assert article.quality != 7
        assert response.json()["code"] in ("not_authenticated", "permission_denied")
    else:
        assert article.quality == 7
    if role == "anonymous":
        assert response["WWW-Authenticate"] == "Token"
    text = everything_sent(response)
    markers = secured_markers(role, "") + (HELD_MARKERS if role in PUBLIC_ROLES else [])
    assert not leaked(text, "", markers)


# --- leaks ---------------------------------------------------------------------------------


def leak_probes(world: World) -> list[str]:
    """Beyond the matrix: every way a reader could ask for the held article's words."""
    api = "/api/v1/articles/"
    return [
        *(f"/search/?q={word}" for word in ("Zorblaxian", "vorpalwise", "Frabjous", "Jabberwire")),
        *(f"{api}?q={word}" for word in ("Zorblaxian", "vorpalwise", "Frabjous", "breakthrough")),
        f"{api}?collapse=story",
        f"{api}?collapse=story&ordering=-quality",
        f"{api}?is_published=false",
        f"{api}?is_published=true",
        f"{api}?topic={world.held_topic_slug}",
        f"{api}?topic={world.topic_slug}",
        f"{api}?provider={world.held_provider_slug}",
        f"{api}?ordering=-quality",
        f"{api}?quality_min=900",
        f"{api}?page_size=1",  # and its next pages, followed below
        f"{api}?ordering=title&page_size=1",  # whose cursors hold titles
        f"{api}?ordering=-quality&page_size=1",
        f"{api}?format=api",  # the browsable API
        f"{api}{world.published.slug}/?format=api",
        f"{api}{world.other.slug}/",
        "/api/v1/topics/?page_size=1",
        "/api/v1/providers/?page_size=1",
        world.other.get_absolute_url(),
        f"/providers/{world.other.provider.slug}/",
        "/?page=1",
    ]


def other_pages(response) -> Iterator[str]:
    """The next and previous pages of an API list."""
    if response.get("Content-Type", "").startswith("application/json"):
        body = response.json()
        if isinstance(body, dict):
            yield from (body[link] for link in ("next", "previous") if body.get(link))


@pytest.mark.parametrize("role", ROLES)
def test_nothing_unpublished_reaches_the_public_and_secured_no_one(world, role):
    """The public: every URL of the matrix and every probe. Staff may see the held article,
    never `secured`: the probes (the matrix's URLs are checked for it as they are opened)."""
    public = role in PUBLIC_ROLES
    client = client_for(world, role)
    queue = leak_probes(world)
    if public:
        cases, problems = matrix(world)
        assert not problems, "\n".join(problems)
        queue = [case.url for case in cases] + queue
    opened, leaks, broken, followed = set(), [], [], 0
    while queue:
        url = queue.pop(0)
        if url in opened:
            continue
        opened.add(url)
        response = client.get(url)
        if response.status_code >= 500 or response.status_code == 400:
            broken.append(f"{url}: {response.status_code}")
        markers = (HELD_MARKERS if public else []) + secured_markers(role, url)
        found = leaked(everything_sent(response), url, markers)
        if found:
            leaks.append(f"{url}: {found}")
        pages = list(other_pages(response))
        followed += len(pages)
        queue.extend(pages)
    assert not broken, "\n".join(broken)
    assert not leaks, f"{role} was shown what is not theirs to see:\n" + "\n".join(leaks)
    assert followed >= 2  # the article and provider lists' next pages were read


@pytest.mark.parametrize("role", ["editor", "superuser"])
def test_the_markers_show_where_staff_may_see_them(world, role):
    """The leak checks are not blind: staff see the held article's words, as published."""
    client = client_for(world, role)
    preview = everything_sent(client.get(f"/articles/{HELD_SLUG}/"))
    for marker in ("Zorblaxian", "vorpalwise", "Frabjous", "snickersnack", "Jabberwire"):
        assert marker.lower() in preview, marker
    listed = everything_sent(client.get("/api/v1/articles/", {"is_published": "false"}))
    assert HELD_SLUG in listed and "tumtumtree" in listed


def test_an_unpublished_article_answers_exactly_as_a_missing_one(world):
    client = client_for(world, "anonymous")
    for path in ("/articles/{}/", "/api/v1/articles/{}/", "/api/v1/articles/{}.json"):
        held = client.get(path.format(HELD_SLUG))
        missing = client.get(path.format("zz-no-such-9f2c"))
        assert held.status_code == missing.status_code == 404, path
        assert held.content.replace(HELD_SLUG.encode(), b"") == missing.content.replace(
            b"zz-no-such-9f2c", b""
        ), path


@pytest.mark.parametrize("role", ROLES)
def test_other_coverage_never_names_the_unpublished_article(world, role):
    client = client_for(world, role)
    lead, other = world.published, world.other
    for article, covered in ((lead, other), (other, lead)):
        body = client.get(f"/api/v1/articles/{article.slug}/").json()
        assert body["story"] == lead.story_id
        assert body["other_coverage"] == [covered.slug], article.slug
        page = client.get(article.get_absolute_url()).content.decode()
        assert 'aria-label="Other coverage"' in page and covered.get_absolute_url() in page
        assert HELD_SLUG not in page and HELD_PROVIDER not in page
    # One entry per story, and it is a published one, though the held one scores best.
    collapsed = client.get("/api/v1/articles/", {"collapse": "story"}).json()["results"]
    assert [item["slug"] for item in collapsed] == [lead.slug]
    home = client.get("/").content.decode()
    assert home.count("Robots learn to read") == 1 and HELD_TITLE not in home


def test_counts_leave_the_unpublished_article_out(world):
    client = client_for(world, "anonymous")
    topic = client.get(f"/api/v1/topics/{world.topic_slug}/").json()
    assert topic["articles"] == 1  # the published article: the held one is in it too
    index = client.get("/topics/").content.decode()
    shown = f'href="/topics/{world.topic_slug}/">Machine Reading</a> <span class="count">1</span>'
    assert shown in index


@pytest.mark.parametrize("role", ["editor", "superuser"])
def test_the_desk_shows_only_the_first_characters_of_secured(world, role):
    client = client_for(world, role)
    for which in ("published", "held"):
        article = getattr(world, which)
        page = client.get(reverse("admin:articles_article_change", args=[article.pk]))
        assert page.status_code == 200
        text = page.content.decode()
        assert SECURED[which][:SECURED_SHOWN] + "…" in text
        assert SECURED[which] not in text and SECURED[which][SECURED_SHOWN:] not in text

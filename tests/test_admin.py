"""The editors' desk: changelist, bulk actions, change page, history, log, roles."""

import datetime
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles import admin_filters
from articles.editorial import decide
from articles.models import (
    Article,
    ArticleTopic,
    EditorialChange,
    Image,
    RelatedItem,
    Story,
    Topic,
)
from tests.conftest import run_import
from tests.factories import (
    PASSWORD,
    ArticleFactory,
    EditorFactory,
    ProviderFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
Via = EditorialChange.Via
CHANGELIST = reverse("admin:articles_article_changelist")


def change_url(article):
    return reverse("admin:articles_article_change", args=[article.pk])


@pytest.fixture
def editor():
    return EditorFactory(username="ada")


@pytest.fixture
def desk(client, editor):
    """A client logged in as an editor."""
    client.force_login(editor)
    return client


def list_post(articles):
    """The changelist's form for `articles` as the browser sends it, unchanged."""
    data = {
        "form-TOTAL_FORMS": str(len(articles)),
        "form-INITIAL_FORMS": str(len(articles)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for n, article in enumerate(articles):
        data[f"form-{n}-id"] = str(article.pk)
        if article.is_published:
            data[f"form-{n}-is_published"] = "on"
        quality = "" if article.quality is None else str(article.quality)
        data[f"form-{n}-quality"] = quality
        # What the page showed, which the form compares the posted values with.
        data[f"initial-form-{n}-is_published"] = str(article.is_published)
        data[f"initial-form-{n}-quality"] = quality
    return data


def save_change_page(client, article, **fields):
    """Submit the article's change page as the browser does: its hidden inputs (the inlines'
    management forms) and `fields`; a checkbox left out is unchecked."""
    page = client.get(change_url(article)).content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    return client.post(change_url(article), {**hidden, **fields})


def rows_with_topics(count):
    topics = [TopicFactory(), TopicFactory()]
    for article in ArticleFactory.create_batch(count):
        for position, topic in enumerate(topics):
            ArticleTopic.objects.create(article=article, topic=topic, position=position)


# The changelist


def test_a_list_save_leaves_rows_changed_elsewhere_since_the_page_was_shown(desk):
    x, y = ArticleFactory(quality=10), ArticleFactory(quality=10)
    page = list_post([x, y])  # what editor ada's page shows
    other = EditorFactory(username="bob")
    decide(Article.objects.filter(pk=y.pk), {"quality": 900}, user=other, via=Via.API)
    page["form-0-quality"] = "20"  # ada re-scores x only
    assert desk.post(CHANGELIST, page).status_code == 302
    x.refresh_from_db()
    y.refresh_from_db()
    assert (x.quality, y.quality) == (20, 900)
    assert list(EditorialChange.objects.filter(article=y).values_list("username", flat=True)) == [
        "bob"
    ]


def test_changelist_shows_what_editors_decide_on(desk):
    article = ArticleFactory(title="Robots sort parcels", quality=321, heat=77)
    ArticleTopic.objects.create(article=article, topic=TopicFactory(name="Robotics"), position=0)
    page = desk.get(CHANGELIST).content.decode()
    for text in ["Robots sort parcels", article.provider.name, "Robotics", "77"]:
        assert text in page
    assert 'name="form-0-quality" value="321"' in page
    assert 'aria-label="Quality: Robots sort parcels"' in page  # the input has no <label>
    assert 'name="form-0-is_published"' in page


# Session, user, the editor's permissions (own, group's), capped count, page, topics, and the
# date drill-down's first and last date.
CHANGELIST_QUERIES = 9


@pytest.mark.parametrize("rows", [10, 100])
def test_changelist_costs_the_same_queries_for_10_or_100_rows(
    desk, rows, django_assert_num_queries
):
    rows_with_topics(rows)
    desk.get(CHANGELIST)  # fills the cached list of article types
    with django_assert_num_queries(CHANGELIST_QUERIES):
        response = desk.get(CHANGELIST)
    assert response.content.count(b'name="_selected_action"') == rows


def test_changelist_never_counts_or_scans_the_whole_table(desk, monkeypatch):
    monkeypatch.setattr(admin_filters, "COUNT_CAP", 5)
    ArticleFactory.create_batch(8)
    desk.get(CHANGELIST)  # fills the cached list of article types
    with CaptureQueriesContext(connection) as queries:
        page = desk.get(CHANGELIST).content.decode()
    counts = [q["sql"] for q in queries if q["sql"].upper().startswith("SELECT COUNT(")]
    assert counts and all("LIMIT 6" in sql for sql in counts)
    # Nor works out the story column for more than the page's rows.
    assert all("story_id" not in sql for sql in counts)
    assert "5+ articles" in page
    # The admin's date drill-down would SELECT DISTINCT every row's year.
    assert not [q["sql"] for q in queries if "DISTINCT" in q["sql"].upper()]


def test_date_drill_down_offers_the_years_then_the_months_between_first_and_last(desk):
    for year, month in [(2021, 3), (2023, 5), (2023, 8)]:
        ArticleFactory(published_at=datetime.datetime(year, month, 2, tzinfo=datetime.UTC))
    page = desk.get(CHANGELIST).content.decode()
    assert re.findall(r"published_at__year=(\d+)", page) == ["2021", "2022", "2023"]
    page = desk.get(f"{CHANGELIST}?published_at__year=2023").content.decode()
    assert re.findall(r"published_at__month=(\d+)", page) == ["5", "6", "7", "8"]


def test_a_list_save_unpublishes_and_rescores_through_the_editorial_history(desk):
    held, scored, untouched = ArticleFactory.create_batch(3, is_published=True, quality=10)
    data = list_post([held, scored, untouched])
    data.pop("form-0-is_published")
    data["form-1-quality"] = "900"
    response = desk.post(CHANGELIST, data)
    assert response.status_code == 302
    recorded = {
        (c.article_id, c.field, c.old_value, c.new_value, c.via, c.username)
        for c in EditorialChange.objects.all()
    }
    assert recorded == {
        (held.pk, "is_published", True, False, Via.ADMIN_LIST, "ada"),
        (scored.pk, "quality", 10, 900, Via.ADMIN_LIST, "ada"),
    }
    held.refresh_from_db(), scored.refresh_from_db(), untouched.refresh_from_db()
    assert held.editor_fields == ["is_published"] and scored.editor_fields == ["quality"]
    assert untouched.editor_fields == []
    assert LogEntry.objects.count() == 2  # Django's own log, as for any admin save


def test_a_list_save_refuses_a_quality_outside_the_editors_range(desk):
    article = ArticleFactory(quality=10)
    data = list_post([article])
    data["form-0-quality"] = "1001"
    response = desk.post(CHANGELIST, data)
    assert response.status_code == 200
    assert "Enter a quality score from 0 to 1000" in response.content.decode()
    article.refresh_from_db()
    assert article.quality == 10 and not EditorialChange.objects.exists()


def test_a_feed_score_above_the_range_does_not_block_publishing_the_row(desk):
    article = ArticleFactory(quality=1500, is_published=False)
    data = list_post([article])
    data["form-0-is_published"] = "on"
    assert desk.post(CHANGELIST, data).status_code == 302
    article.refresh_from_db()
    assert article.is_published and article.quality == 1500


@pytest.mark.parametrize(
    "query, expected",
    [
        ("is_published__exact=0", {"held"}),
        ("quality_band=750-1000", {"good"}),
        ("quality_band=none", {"held"}),
        ("quality_band=feed-high", {"feed"}),
        ("decided=yes", {"decided"}),
        ("decided=no", {"good", "held", "feed", "moved"}),  # a story move is no decision
        ("type=video", {"feed"}),
        ("q=Acme", {"good"}),
        ("q=walrus", {"decided"}),
    ],
)
def test_changelist_filters_and_search(desk, query, expected):
    acme = ProviderFactory(name="Acme Wire")
    ArticleFactory(title="good", quality=800, provider=acme)
    ArticleFactory(title="held", quality=None, is_published=False)
    ArticleFactory(title="feed", quality=1200, type="video")
    ArticleFactory(title="decided", excerpt="A walrus story", editor_fields=["quality"])
    ArticleFactory(title="moved", quality=100, editor_fields=["story"])
    response = desk.get(f"{CHANGELIST}?{query}")
    assert response.status_code == 200
    assert {a.title for a in response.context["cl"].result_list} == expected


def test_provider_and_topic_filters_find_their_choice_by_autocomplete(desk):
    topic = TopicFactory(name="Chips")
    chosen = ArticleFactory(title="chosen")
    ArticleTopic.objects.create(article=chosen, topic=topic, position=0)
    ArticleFactory(title="other")
    by_provider = desk.get(f"{CHANGELIST}?provider__id__exact={chosen.provider_id}")
    by_topic = desk.get(f"{CHANGELIST}?topics__id__exact={topic.pk}")
    for response in (by_provider, by_topic):
        assert [a.title for a in response.context["cl"].result_list] == ["chosen"]
    page = by_topic.content.decode()
    assert 'data-field-name="topics"' in page and "admin-autocomplete" in page
    assert f'<option value="{topic.pk}" selected>Chips</option>' in page
    # The admin's autocomplete view answers the editor's typing.
    found = desk.get(
        reverse("admin:autocomplete"),
        {"app_label": "articles", "model_name": "article", "field_name": "topics", "term": "chi"},
    )
    assert [r["text"] for r in found.json()["results"]] == ["Chips"]


# Bulk actions


def run_action(client, action, articles, **extra):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [a.pk for a in articles], **extra},
    )


@pytest.mark.parametrize(
    "action, published, expected",
    [("publish", False, True), ("unpublish", True, False)],
)
def test_publish_and_unpublish_actions_are_recorded(desk, action, published, expected):
    articles = ArticleFactory.create_batch(3, is_published=published)
    ArticleFactory(is_published=published)  # not selected
    response = run_action(desk, action, articles, index="0")
    assert response.status_code == 302
    message = [str(m) for m in response.wsgi_request._messages]
    assert message == ["3 of 3 selected articles changed."]
    changes = EditorialChange.objects.all()
    assert {(c.via, c.new_value) for c in changes} == {(Via.ADMIN_ACTION, expected)}
    assert {c.article_id for c in changes} == {a.pk for a in articles}


def test_an_action_says_how_many_of_the_selected_articles_it_changed(desk):
    articles = [ArticleFactory(is_published=False), ArticleFactory(is_published=True)]
    response = run_action(desk, "publish", articles, index="0")
    assert [str(m) for m in response.wsgi_request._messages] == [
        "1 of 2 selected articles changed; the others already had that value."
    ]


def test_set_quality_action_asks_then_applies_with_the_reason(desk):
    articles = ArticleFactory.create_batch(2, quality=5)
    ask = run_action(desk, "set_quality", articles, index="0")
    assert ask.status_code == 200
    assert 'name="quality"' in ask.content.decode()
    assert not EditorialChange.objects.exists()
    done = run_action(
        desk, "set_quality", articles, quality="640", reason="Strong sources", apply="1"
    )
    assert done.status_code == 302
    assert [str(m) for m in done.wsgi_request._messages] == ["2 of 2 selected articles changed."]
    assert {(c.new_value, c.reason, c.via) for c in EditorialChange.objects.all()} == {
        (640, "Strong sources", Via.ADMIN_ACTION)
    }


def test_merge_and_split_actions_move_articles_between_stories_and_record_it(desk, editor):
    wired, wired_uk, verge = (
        ArticleFactory(story=Story.objects.create(), title=t) for t in ("A", "B", "C")
    )
    response = run_action(desk, "merge_stories", [wired, wired_uk, verge], index="0")
    assert response.status_code == 302
    story = Article.objects.get(pk=wired.pk).story
    assert set(story.articles.all()) == {wired, wired_uk, verge} and story.pinned
    (message,) = response.wsgi_request._messages
    assert f"story {story.pk}</a>, now 3 articles" in str(message)

    run_action(desk, "split_stories", [verge], index="0")
    verge.refresh_from_db()
    assert verge.story_id != story.pk and verge.story.pinned
    assert set(story.articles.all()) == {wired, wired_uk}
    moves = EditorialChange.objects.filter(field="story").order_by("id")
    assert [(m.old_value, m.new_value, m.via, m.username) for m in moves][-1] == (
        story.pk,
        verge.story_id,
        Via.ADMIN_ACTION,
        editor.username,
    )
    assert {m.article_id for m in moves} == {wired.pk, wired_uk.pk, verge.pk}


def test_story_column_and_other_coverage_filter(desk):
    story = Story.objects.create()
    covered = ArticleFactory.create_batch(2, story=story)
    alone = ArticleFactory(story=Story.objects.create())
    page = desk.get(CHANGELIST).content.decode()
    assert f"?story__id__exact={story.pk}" in page and "+1 other<" in page
    found = desk.get(CHANGELIST, {"covered": "yes"}).context["cl"].result_list
    assert set(found) == set(covered)
    found = desk.get(CHANGELIST, {"covered": "no"}).context["cl"].result_list
    assert set(found) == {alone}
    found = desk.get(CHANGELIST, {"story__id__exact": story.pk}).context["cl"].result_list
    assert set(found) == set(covered)


def test_change_page_lists_the_other_coverage(desk):
    story = Story.objects.create()
    article, other = ArticleFactory(story=story), ArticleFactory(story=story, title="Twin")
    page = desk.get(change_url(article)).content.decode()
    assert f'<a href="{change_url(other)}">Twin</a>' in page


def test_set_quality_action_refuses_a_score_out_of_range(desk):
    article = ArticleFactory(quality=5)
    response = run_action(desk, "set_quality", [article], quality="5000", apply="1")
    assert response.status_code == 200
    assert "Enter a quality score from 0 to 1000" in response.content.decode()
    article.refresh_from_db()
    assert article.quality == 5


# The change page


def test_change_page_shows_every_field_of_the_article(desk):
    article = ArticleFactory()
    page = desk.get(change_url(article))
    shown = {
        name
        for fieldset in page.context["adminform"].fieldsets
        for line in fieldset[1]["fields"]
        for name in (line if isinstance(line, tuple) else (line,))
    }
    # Shown under another name: a shortened secret, pretty JSON, the topics and history.
    stands_for = {
        "secured": "secured_shortened",
        "extra": "extra_json",
        "topics": "topic_names",
        "editor_fields": "decided_by_editor",
        "id": "public_page",
    }
    for field in Article._meta.concrete_fields + Article._meta.many_to_many:
        assert stands_for.get(field.name, field.name) in shown, field.name


def test_change_page_edits_only_the_editorial_fields(desk):
    article = ArticleFactory(title="As the feed said", quality=10, is_published=True)
    form = desk.get(change_url(article)).context["adminform"].form
    assert set(form.fields) == {"is_published", "quality", "reason"}
    response = save_change_page(
        desk, article, quality="420", is_published="on", reason="Exclusive", title="Edited"
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.quality) == ("As the feed said", 420)
    change = EditorialChange.objects.get()
    assert (change.field, change.via, change.reason) == ("quality", Via.ADMIN_FORM, "Exclusive")


def test_change_page_refuses_a_quality_outside_the_range_with_a_message(desk):
    article = ArticleFactory(quality=10)
    response = save_change_page(desk, article, quality="-3", is_published="on")
    assert response.status_code == 200
    assert "Enter a quality score from 0 to 1000" in response.content.decode()


def test_change_page_never_shows_the_whole_secured_value(desk):
    secret = "tok_live_0123456789abcdefghijklmnopqrstuvwxyz"
    article = ArticleFactory(secured=secret)
    page = desk.get(change_url(article)).content.decode()
    assert "tok_live_012…" in page
    assert secret not in page and secret[12:] not in page


def test_change_page_links_to_the_preview_and_the_original(desk):
    article = ArticleFactory(is_published=False, web_url="https://news.example/original")
    page = desk.get(change_url(article)).content.decode()
    assert "Preview on site" in page
    assert 'href="https://news.example/original"' in page
    # "View on site" goes through the admin's redirect to the article's own page, which
    # staff may open although it is not published.
    content_type = ContentType.objects.get_for_model(Article)
    view_on_site = reverse("admin:view_on_site", args=[content_type.pk, article.pk])
    assert view_on_site in page
    assert desk.get(view_on_site, follow=True).status_code == 200


def test_change_page_shows_images_and_related_items_read_only(desk):
    article = ArticleFactory()
    ours = ArticleFactory(title="Our own copy")
    Image.objects.create(article=article, url="https://img.example/lead.jpg", position=0)
    RelatedItem.objects.create(article=article, position=0, title="Mentioned", linked_article=ours)
    RelatedItem.objects.create(article=article, position=1, title="Elsewhere")
    page = desk.get(change_url(article)).content.decode()
    assert "https://img.example/lead.jpg" in page
    assert f'href="{change_url(ours)}"' in page and f'href="{ours.get_absolute_url()}"' in page
    assert "Elsewhere" in page
    assert 'name="related_items-0-title"' not in page  # nothing to edit


def test_change_page_costs_the_same_queries_with_more_related_items(
    desk, django_assert_num_queries
):
    counts = []
    for n in (1, 10):
        article = ArticleFactory()
        for position in range(n):
            linked = ArticleFactory()
            RelatedItem.objects.create(
                article=article, position=position, title="r", linked_article=linked
            )
            Image.objects.create(article=article, url="https://img.example/x.jpg")
        with CaptureQueriesContext(connection) as queries:
            desk.get(change_url(article))
        counts.append(len(queries))
    assert counts[0] == counts[1]


# History


def test_history_page_shows_the_editorial_decisions(desk):
    article = ArticleFactory(quality=10)
    save_change_page(desk, article, quality="300", is_published="on", reason="Solid")
    page = desk.get(reverse("admin:articles_article_history", args=[article.pk])).content
    page = page.decode()
    history = page[page.index('id="editorial-history"') :]
    for text in ["ada", "Quality", "10 → 300", "Admin change page", "Solid"]:
        assert text in history
    assert "Changed quality and reason." in page  # Django's own log, below


def test_reimport_keeps_a_quality_set_in_the_admin(desk, write_doc):
    path = write_doc(
        "a.md", "---\ntitle: A story\nwebUrl: https://example.com/a\nquality: 10\n---\n"
    )
    run_import(path)
    article = Article.objects.get()
    desk.post(CHANGELIST, {**list_post([article]), "form-0-quality": "777"})
    write_doc(
        "a.md",
        "---\ntitle: A story, updated\nwebUrl: https://example.com/a\nquality: 20\n---\n",
    )
    run_import(path)
    article.refresh_from_db()
    assert (article.title, article.quality) == ("A story, updated", 777)


def test_editorial_log_is_filterable_and_read_only_even_for_superusers(client, admin_user):
    client.force_login(admin_user)
    article = ArticleFactory(quality=1)
    save_change_page(client, article, quality="2", is_published="on")
    save_change_page(client, article, quality="2")  # unpublishes
    log = reverse("admin:articles_editorialchange_changelist")
    response = client.get(log, {"field__exact": "quality"})
    assert [c.field for c in response.context["cl"].result_list] == ["quality"]
    assert client.get(log, {"via__exact": "api"}).context["cl"].result_list.count() == 0
    change = EditorialChange.objects.first()
    assert client.get(reverse("admin:articles_editorialchange_add")).status_code == 403
    delete = reverse("admin:articles_editorialchange_delete", args=[change.pk])
    assert client.get(delete).status_code == 403
    view = client.get(reverse("admin:articles_editorialchange_change", args=[change.pk]))
    assert view.status_code == 200 and not view.context["has_change_permission"]
    assert response.context["action_form"] is None  # no bulk delete


# Providers and topics


def test_provider_and_topic_lists_count_articles_without_a_query_per_row(
    desk, django_assert_max_num_queries
):
    for _ in range(5):
        provider = ProviderFactory()
        ArticleFactory.create_batch(2, provider=provider)
        ArticleFactory(provider=provider, is_published=False)
    rows_with_topics(3)
    held = ArticleFactory(is_published=False)
    for position, topic in enumerate(Topic.objects.all()):
        ArticleTopic.objects.create(article=held, topic=topic, position=position)
    providers = desk.get(reverse("admin:articles_provider_changelist"))
    counted = {(p.article_count, p.published_count) for p in providers.context["cl"].result_list}
    assert (3, 2) in counted
    topics = desk.get(reverse("admin:articles_topic_changelist"))
    assert {(t.article_count, t.published_count) for t in topics.context["cl"].result_list} == {
        (4, 3)
    }
    with django_assert_max_num_queries(8):
        desk.get(reverse("admin:articles_provider_changelist"))


# Roles


def test_editors_group_may_change_content_but_not_delete_articles_or_manage_accounts():
    codenames = set(
        Group.objects.get(name="Editors").permissions.values_list("codename", flat=True)
    )
    assert {"view_article", "change_article", "change_provider", "change_topic"} <= codenames
    assert "view_editorialchange" in codenames
    assert "delete_article" not in codenames
    assert not codenames & set(
        Permission.objects.filter(content_type__app_label="auth").values_list("codename", flat=True)
    )


def test_an_editor_cannot_delete_articles(desk):
    article = ArticleFactory()
    actions = desk.get(CHANGELIST).context["action_form"].fields["action"].choices
    assert "delete_selected" not in dict(actions)
    assert {"publish", "unpublish", "set_quality", "merge_stories", "split_stories"} <= set(
        dict(actions)
    )
    delete = reverse("admin:articles_article_delete", args=[article.pk])
    assert desk.get(delete).status_code == 403
    assert desk.post(delete, {"post": "yes"}).status_code == 403
    assert Article.objects.filter(pk=article.pk).exists()


def test_an_editor_cannot_manage_users(desk):
    assert desk.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert desk.get(reverse("admin:auth_group_changelist")).status_code == 403


@pytest.mark.parametrize("who", ["anonymous", "non-staff"])
def test_the_desk_sends_anonymous_and_non_staff_users_to_the_login_page(client, who):
    if who == "non-staff":
        client.force_login(UserFactory())
    article = ArticleFactory()
    login = reverse("admin:login")
    for url in [reverse("admin:index"), CHANGELIST, change_url(article)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(login), url


def test_an_editor_logs_in_through_the_login_form(client, editor):
    response = client.post(
        reverse("admin:login"),
        {"username": "ada", "password": PASSWORD, "next": CHANGELIST},
    )
    assert response.status_code == 302 and response.url == CHANGELIST
    assert client.get(CHANGELIST).status_code == 200


# create_editor


def test_create_editor_makes_a_staff_member_of_editors(monkeypatch):
    monkeypatch.setenv("NEWSROOM_EDITOR_PASSWORD", "a long passphrase 42")
    call_command("create_editor", "grace", "--email", "g@example.com", "--no-input")
    user = Group.objects.get(name="Editors").user_set.get(username="grace")
    assert user.is_staff and not user.is_superuser and user.email == "g@example.com"
    assert user.check_password("a long passphrase 42")


@pytest.mark.parametrize(
    "setup, message",
    [
        ({"NEWSROOM_EDITOR_PASSWORD": ""}, "needs the password in NEWSROOM_EDITOR_PASSWORD"),
        ({"NEWSROOM_EDITOR_PASSWORD": "123"}, "Password refused"),
        ({"existing": True}, "already exists"),
        ({"username": "grace hopper!"}, "Cannot create 'grace hopper!': username: Enter a valid"),
        ({"email": "not-an-address"}, "email: Enter a valid email address."),
    ],
)
def test_create_editor_explains_what_is_wrong(monkeypatch, setup, message):
    monkeypatch.setenv("NEWSROOM_EDITOR_PASSWORD", setup.get("NEWSROOM_EDITOR_PASSWORD", "x" * 20))
    if setup.get("existing"):
        UserFactory(username="grace")
    username = setup.get("username", "grace")
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("create_editor", username, "--email", setup.get("email", ""), "--no-input")
    assert not Group.objects.get(name="Editors").user_set.filter(username=username).exists()


def test_create_editor_prompts_for_the_password(monkeypatch):
    answers = iter(["first try 1234", "different", "a long passphrase 42", "a long passphrase 42"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    call_command("create_editor", "grace")
    assert Group.objects.get(name="Editors").user_set.get().check_password("a long passphrase 42")


# Session, user, the capped count, the page with its articles, the user filter's choices,
# the date drill-down's first and last date: the same for 3 changes or 30.
EDITORIAL_LOG_QUERIES = 7


@pytest.mark.parametrize("changes", [3, 30])
def test_editorial_log_costs_the_same_queries_for_3_or_30_changes(
    admin_client, admin_user, changes
):
    for article in ArticleFactory.create_batch(changes, quality=1):
        decide(Article.objects.filter(pk=article.pk), {"quality": 2}, user=admin_user, via=Via.API)
    log = reverse("admin:articles_editorialchange_changelist")
    admin_client.get(log)
    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get(log)
    assert page.status_code == 200
    assert len(page.context["cl"].result_list) == changes
    assert len(queries) == EDITORIAL_LOG_QUERIES
    # The articles come with the page, without their bodies.
    assert not [q for q in queries if '"articles_article"."body"' in q["sql"]]

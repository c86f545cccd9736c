"""Stories: the same news from many providers, grouped (articles/stories.py)."""

import gc
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
import yaml
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from articles import matching, stories
from articles.editorial import decide
from articles.importing.pipeline import Importer
from articles.models import Article, ArticleTopic, EditorialChange, Story

from .factories import ArticleFactory, EditorFactory, TopicFactory

DATA = Path(__file__).parent / "data"
LABELLED = DATA / "stories" / "labelled.yaml"
SEEDS = Path(__file__).parent.parent / "seeds"

pytestmark = pytest.mark.django_db


# Measured quality, on hand-labelled pairs


def group_one_by_one(items: list[dict]) -> list[int]:
    """Each item's story, grouped as an import would: one article at a time, in order of
    publication, each compared with the articles already in the database."""
    order = sorted(range(len(items)), key=lambda n: items[n]["published_at"])
    found = {}
    for n in order:
        item = items[n]
        urls = [item.get("web_url", ""), item.get("original_url", ""), item.get("amp_url", "")]
        report = matching.report(
            title=item["title"],
            excerpt=item.get("excerpt") or "",
            published_at=item["published_at"],
            urls=urls,
            image_url=item.get("image") or "",
        )
        plan = stories.assign([stories.Incoming(f"item-{n}", report)])
        ArticleFactory(
            title=item["title"][:500],
            excerpt=item.get("excerpt") or "",
            published_at=item["published_at"],
            # One feed may list the same URL twice; the fragment keeps the rows apart.
            web_url=f"{item['web_url']}#{n}",
            source_key=f"item-{n}",
            story_id=plan.story_ids[f"item-{n}"],
            story_url=report.url,
            story_image=report.image,
        )
        plan.finish()
        found[n] = plan.story_ids[f"item-{n}"]
    return [found[n] for n in range(len(items))]


def pairs_scored(groups: list[dict]) -> dict[str, int]:
    counts = dict.fromkeys(["tp", "fp", "fn", "tn"], 0)
    for group in groups:
        items = [item for item in group["items"] if item["story"] != "?"]
        with transaction.atomic():
            grouped = group_one_by_one(items)
            transaction.set_rollback(True)  # each group on an empty table
        for a, b in combinations(range(len(items)), 2):
            same = items[a]["story"] == items[b]["story"]
            together = grouped[a] == grouped[b]
            counts[("t" if same == together else "f") + ("p" if together else "n")] += 1
    return counts


def precision_recall(counts: dict[str, int]) -> tuple[float, float]:
    found = counts["tp"] + counts["fp"]
    return counts["tp"] / found, counts["tp"] / (counts["tp"] + counts["fn"])


def test_grouping_meets_its_precision_and_recall_on_the_labelled_pairs(capsys):
    groups = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["groups"]
    counts = pairs_scored(groups)
    pairs = sum(counts.values())
    assert pairs >= 200
    precision, recall = precision_recall(counts)
    hard = pairs_scored([g for g in groups if g["source"] in ("constructed", "corpus", "seeds")])
    hard_precision, hard_recall = precision_recall(hard)
    with capsys.disabled():
        print(
            f"\nstories: {pairs} labelled pairs, precision {precision:.3f}, recall {recall:.3f}"
            f" ({counts}); hard cases alone: precision {hard_precision:.3f}, "
            f"recall {hard_recall:.3f} ({hard})"
        )
    assert precision >= 0.95
    assert recall >= 0.90


# What grouping compares


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.wired.com/story/ai-pennies/?utm_source=twitter&utm_medium=social",
        "http://wired.com/story/ai-pennies",
        "https://www.wired.com/story/ai-pennies/amp",
        "https://www-wired-com.cdn.ampproject.org/c/s/www.wired.com/story/ai-pennies/",
        "https://www.wired.co.uk/story/ai-pennies/",
        "https://m.wired.com/story/ai-pennies/#comments",
        "https://www.wired.com/story/ai-pennies/?fbclid=abc&amp=1",
    ],
)
def test_url_variants_of_one_article_have_one_key(variant):
    assert matching.url_key(variant) == matching.url_key("https://www.wired.com/story/ai-pennies/")


@pytest.mark.parametrize(
    "other",
    [
        "https://www.wired.com/story/ai-dollars/",
        "https://www.wired.com/story/ai-pennies/?page=2",
        "https://www.theverge.com/story/ai-pennies/",
        "https://news.wired.com/story/ai-pennies/",
    ],
)
def test_different_articles_have_different_url_keys(other):
    assert matching.url_key(other) != matching.url_key("https://www.wired.com/story/ai-pennies/")


@given(st.text(alphabet="ab1Z=&-._~%+; é", max_size=16))
@settings(max_examples=500, deadline=None)
def test_queries_are_normalised_as_parse_qsl_and_urlencode_would(query):
    """Plain queries take a short cut; stored keys (Article.story_url) must not change."""
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = sorted(pair for pair in pairs if not matching._tracking(pair[0].lower()))
    assert matching._query(query) == urlencode(kept)


def test_an_image_is_recognised_by_its_file_name_whatever_its_host_and_size():
    wired_com = "https://media.wired.com/photos/1/191:100/w_1280,c_limit/OSKARINA_Col_17_CCISO.jpg"
    wired_uk = "https://media.wired.co.uk/photos/2/16:9/w_1280/OSKARINA_Col_17_CCISO-1024x576.jpg"
    assert matching.image_key(wired_com) == matching.image_key(wired_uk) != ""


@pytest.mark.parametrize(
    "generic",
    [
        "https://x.example/logo-large-2021.png",
        "https://x.example/social",
        "https://x.example/14.jpg",
    ],
)
def test_generic_image_names_say_nothing(generic):
    assert matching.image_key(generic) == ""


def test_rare_words_weigh_more_than_common_ones():
    found = matching.weights("Google engineer says LaMDA is sentient")
    assert found["lamda"] > found["sentient"] > found["engineer"] > 0
    assert "says" not in found and "is" not in found


# Grouping at import


def import_paths(*paths, **options):
    return Importer(max_bytes=1_000_000, **options).run([str(p) for p in paths])


def story_of(title_start: str) -> int | None:
    return Article.objects.get(title__startswith=title_start).story_id


def test_seeds_group_the_same_wired_story_and_keep_a_shared_theme_apart():
    import_paths(SEEDS)
    wired = Article.objects.filter(title__startswith="Millions of Workers")
    assert wired.count() == 2 and len({a.story_id for a in wired}) == 1
    assert story_of("The human labor") != story_of("The Very Human Labor")
    assert Article.objects.filter(story__isnull=True).count() == 0
    # One lead per story: the Wired story's better-scored copy.
    leads = wired.filter(is_story_lead=True)
    assert [a.quality for a in leads] == [max(a.quality for a in wired)]


def write_document(folder: Path, name: str, title: str, url: str, when: datetime) -> Path:
    path = folder / name
    path.write_text(
        "---\n"
        f'title: "{title}"\n'
        f"publishedDateTime: {when:%Y-%m-%dT%H:%M:%SZ}\n"
        f'webUrl: "{url}"\n'
        "type: article\n"
        "published: true\n"
        "quality: 10\n"
        "provider:\n  name: Example\n  domain: example.com\n"
        "---\n",
        encoding="utf-8",
    )
    return path


def test_a_later_import_joins_the_story_it_reports_and_story_ids_stay(tmp_path):
    when = datetime(2024, 3, 1, 12, tzinfo=UTC)
    first = write_document(
        tmp_path, "a.md", "Nvidia unveils Blackwell B200 GPU at GTC", "https://a.example/1", when
    )
    import_paths(first)
    story = story_of("Nvidia unveils")
    assert story is not None
    later = write_document(
        tmp_path,
        "b.md",
        "Nvidia's Blackwell B200 GPU unveiled at GTC keynote",
        "https://b.example/2",
        when + timedelta(hours=5),
    )
    elsewhere = write_document(
        tmp_path,
        "c.md",
        "Nvidia unveils Blackwell B200 GPU at GTC",
        "https://c.example/3",
        when + timedelta(days=30),  # the same words a month later: other news
    )
    import_paths(later, elsewhere)
    assert story_of("Nvidia's Blackwell") == story
    assert Article.objects.get(web_url="https://c.example/3").story_id != story
    # The feed sends the first article again, changed: it stays in its story.
    first.write_text(first.read_text().replace("quality: 10", "quality: 20"), encoding="utf-8")
    assert import_paths(first).counts["updated"] == 1
    assert Article.objects.get(web_url="https://a.example/1").story_id == story


def test_grouping_reads_only_articles_near_the_batch_in_time(tmp_path):
    when = datetime(2024, 3, 1, 12, tzinfo=UTC)
    ArticleFactory.create_batch(
        5, published_at=when - timedelta(days=400), story=Story.objects.create(), title="Old news"
    )
    near = ArticleFactory(published_at=when - timedelta(days=1), story=Story.objects.create())
    found = matching.report(title="Anything", excerpt="", published_at=when, urls=[], image_url="")
    batch = [stories.Incoming("k", found)]
    assert [c.story_id for c in stories._candidates(batch)] == [near.story_id]


def test_import_without_grouping_then_group_stories(tmp_path):
    import_paths(SEEDS, grouping=False)
    assert not Article.objects.filter(story__isnull=False).exists()
    call_command("group_stories", verbosity=0)
    wired = Article.objects.filter(title__startswith="Millions of Workers")
    assert len({a.story_id for a in wired}) == 1 and wired[0].story_id is not None
    assert not Article.objects.filter(story__isnull=True).exists()


def test_a_rebuild_keeps_the_keys_the_import_stored():
    """Imported articles and regrouped ones are compared by story_url and story_image: both
    paths must make the same keys, or they stop finding each other."""
    import_paths(SEEDS)
    keys = lambda: set(Article.objects.values_list("pk", "story_url", "story_image"))  # noqa: E731
    imported = keys()
    assert any(url for _, url, _ in imported) and any(image for *_, image in imported)
    call_command("group_stories", verbosity=0)
    assert keys() == imported


# Leads


def test_the_lead_is_the_best_published_article_then_the_newest():
    story = Story.objects.create()
    now = timezone.now()
    best = ArticleFactory(story=story, quality=90, published_at=now - timedelta(hours=2))
    newer = ArticleFactory(story=story, quality=50, published_at=now)
    held = ArticleFactory(story=story, quality=500, is_published=False)
    stories.refresh_leads([story.pk])
    assert set(Article.objects.filter(is_story_lead=True, story=story)) == {best}
    editor = EditorFactory()
    decide(Article.objects.filter(pk=best.pk), {"is_published": False}, user=editor, via="api")
    assert set(Article.objects.filter(is_story_lead=True, story=story)) == {newer}
    decide(Article.objects.filter(pk=held.pk), {"is_published": True}, user=editor, via="api")
    assert set(Article.objects.filter(is_story_lead=True, story=story)) == {held}


# Editors decide

# A split's queries, whatever its size: new stories are one INSERT, not one per article.
SPLIT_QUERIES = 10


def test_merge_and_split_are_recorded_and_survive_reimport_and_rebuild(tmp_path):
    import_paths(SEEDS)
    editor = EditorFactory()
    theme = Article.objects.filter(title__icontains="human labor")
    stories.merge(theme, user=editor, via=EditorialChange.Via.ADMIN_ACTION, reason="one theme")
    assert len({a.story_id for a in theme}) == 1
    wired = Article.objects.filter(title__startswith="Millions of Workers").order_by("pk")
    uk = wired.last()
    stories.split(
        Article.objects.filter(pk=uk.pk), user=editor, via=EditorialChange.Via.ADMIN_ACTION
    )
    assert len({a.story_id for a in wired}) == 2
    moves = EditorialChange.objects.filter(field="story")
    assert moves.count() == 3 and {m.username for m in moves} == {editor.username}
    assert moves.get(article=uk).old_value == wired.first().story_id

    import_paths(SEEDS, force=True)  # the feed sends everything again
    call_command("group_stories", verbosity=0)  # and everything is regrouped
    assert len({a.story_id for a in theme}) == 1
    assert len({a.story_id for a in wired}) == 2


@pytest.mark.parametrize("count", [2, 10])
def test_a_split_costs_the_same_queries_for_few_articles_or_many(count, django_assert_num_queries):
    story = Story.objects.create()
    stays, *leaving = ArticleFactory.create_batch(count + 1, story=story)
    editor = EditorFactory()
    chosen = Article.objects.filter(pk__in=[a.pk for a in leaving])
    with django_assert_num_queries(SPLIT_QUERIES):
        made = stories.split(chosen, user=editor, via=EditorialChange.Via.ADMIN_ACTION)
    assert len(set(made)) == count and story.pk not in made
    assert {a.story_id for a in chosen} == set(made)
    stays.refresh_from_db()
    assert stays.story_id == story.pk


# Readers


def test_other_coverage_lists_the_other_published_articles_without_a_query_of_its_own(
    django_assert_num_queries,
):
    story = Story.objects.create()
    wired = ArticleFactory(story=story, provider_name="Wired")
    verge = ArticleFactory(story=story, provider_name="", provider__name="The Verge")
    ArticleFactory(story=story, is_published=False)
    alone = ArticleFactory(story=Story.objects.create())
    with django_assert_num_queries(1):
        rows = dict(
            Article.objects.annotate(others=stories.other_coverage_column()).values_list(
                "pk", "others"
            )
        )
    assert stories.coverage(rows[wired.pk]) == [stories.Coverage(verge.slug, "The Verge")]
    assert stories.coverage(rows[verge.pk]) == [stories.Coverage(wired.slug, "Wired")]
    assert stories.coverage(rows[alone.pk]) == []


def covered_story(title: str, *, others: int = 1, hours_ago: int = 0, topic=None) -> Article:
    """A story of `others` + 1 published articles from different providers; returns its lead."""
    story = Story.objects.create()
    when = timezone.now() - timedelta(hours=hours_ago)
    lead = ArticleFactory(story=story, title=title, quality=90, published_at=when)
    for n in range(others):
        ArticleFactory(
            story=story, title=f"{title}, again {n}", quality=10, published_at=when,
            provider__name=f"Outlet {n}",
        )  # fmt: skip
    stories.refresh_leads([story.pk])
    if topic is not None:
        for member in story.articles.all():
            ArticleTopic.objects.create(article=member, topic=topic, position=0)
    return lead


def test_home_and_topic_pages_show_each_story_once_with_its_other_coverage(client):
    topic = TopicFactory()
    lead = covered_story("Robots unionise", others=2, topic=topic)
    alone = ArticleFactory(title="Only here", story=Story.objects.create())
    for url in ("/", topic.get_absolute_url()):
        page = client.get(url).content.decode()
        assert page.count("Robots unionise") == 1, url  # the lead, not its copies
        assert "Also covered by" in page and "Outlet 0" in page and "Outlet 1" in page
        copy = Article.objects.get(title="Robots unionise, again 0")
        assert copy.get_absolute_url() in page
    assert "Only here" in client.get("/").content.decode()
    # A provider's page shows all its articles.
    provider_page = client.get(copy.provider.get_absolute_url()).content.decode()
    assert "Robots unionise, again 0" in provider_page
    # The article page lists the others too.
    page = client.get(lead.get_absolute_url()).content.decode()
    assert 'aria-label="Other coverage"' in page and "Outlet 1" in page
    assert (
        'aria-label="Other coverage"' not in client.get(alone.get_absolute_url()).content.decode()
    )


def test_unpublished_coverage_is_never_shown(client, django_capture_on_commit_callbacks):
    lead = covered_story("Chips shortage", others=1)
    held = Article.objects.get(title="Chips shortage, again 0")
    # Published, the copy shows everywhere its lead does ...
    for url in ("/", lead.get_absolute_url(), f"/api/v1/articles/{lead.slug}/"):
        assert held.slug in client.get(url).content.decode(), url
    # ... held back by an editor, nowhere (and no cached page remembers it).
    with django_capture_on_commit_callbacks(execute=True):
        decide(
            Article.objects.filter(pk=held.pk),
            {"is_published": False},
            user=EditorFactory(),
            via="api",
        )
    for url in ("/", lead.get_absolute_url(), f"/api/v1/articles/{lead.slug}/"):
        body = client.get(url).content.decode()
        assert "Also covered by" not in body and held.slug not in body, url


@pytest.mark.parametrize("count", [1, 20])
def test_lists_with_coverage_cost_the_same_queries(client, count, django_assert_num_queries):
    topic = TopicFactory()
    leads = [covered_story(f"Story {n}", hours_ago=n, topic=topic) for n in range(count)]
    with django_assert_num_queries(3):  # page, topics, images
        assert client.get("/").status_code == 200
    with django_assert_num_queries(4):  # the topic, page, topics, images
        assert client.get(topic.get_absolute_url()).status_code == 200
    with django_assert_num_queries(4):  # article, topics, images, related items
        assert client.get(leads[0].get_absolute_url()).status_code == 200
    with django_assert_num_queries(4):  # page, topics, images, related items
        response = client.get("/api/v1/articles/", {"page_size": count * 2})
    assert len(response.json()["results"]) == count * 2


def test_api_gives_each_article_its_story_and_collapses_stories(client):
    lead = covered_story("Model released", others=1)
    copy = Article.objects.get(title="Model released, again 0")
    body = client.get(f"/api/v1/articles/{lead.slug}/").json()
    assert body["story"] == lead.story_id and body["other_coverage"] == [copy.slug]
    listed = client.get("/api/v1/articles/").json()["results"]
    assert {item["slug"] for item in listed} == {lead.slug, copy.slug}
    collapsed = client.get("/api/v1/articles/", {"collapse": "story"}).json()["results"]
    assert [item["slug"] for item in collapsed] == [lead.slug]
    assert client.get("/api/v1/articles/", {"collapse": "nonsense"}).status_code == 400


def test_grouping_leaves_the_garbage_collector_as_it_found_it(monkeypatch):
    """The pair loop pauses it (stories._collector_paused), even when a comparison fails."""
    reports = [
        matching.report(
            title=f"LaMDA sentient claims, take {n}",
            excerpt="",
            published_at=datetime(2022, 6, 12, tzinfo=UTC),
            urls=[f"https://x.example/{n}"],
            image_url="",
        )
        for n in range(2)
    ]
    batch = [stories.Incoming(str(n), report) for n, report in enumerate(reports)]
    assert gc.isenabled()
    assert len(set(stories.assign(batch).story_ids.values())) == 1
    assert gc.isenabled()

    def fails(a, b):
        raise RuntimeError("comparison failed")

    monkeypatch.setattr(stories, "same_news", fails)
    with pytest.raises(RuntimeError):
        stories.assign(batch)
    assert gc.isenabled()


def test_new_stories_are_made_in_one_statement(django_assert_num_queries):
    with django_assert_num_queries(1):
        made = stories.new_stories(3)
    assert len(set(made)) == 3
    assert set(Story.objects.filter(pk__in=made).values_list("pinned", flat=True)) == {False}

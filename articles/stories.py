"""Stories: the articles that report the same piece of news, from one provider or many.

A story is what the links of articles/matching.py (same URL, same photo, telling words in
common, close in time) connect.

Grouping is incremental: a batch of incoming articles is compared with itself and with the
grouped articles that could match it (the same normalised URL, or published within `WINDOW`
of one of the batch), so its cost grows with the batch and the news around it, not with the
table. `python manage.py group_stories` regroups everything.

Editors decide too: `merge` puts articles into one story and `split` takes articles out into
stories of their own. Both record the change in the editorial history and pin the articles
(grouping never moves them again) and the stories (grouping never merges two pinned stories).

Each story has a lead, the article lists show for it: its best published article by quality,
then the newest (`Article.is_story_lead`, kept by `refresh_leads`).
"""

from __future__ import annotations

import contextlib
import gc
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import (
    Aggregate,
    CharField,
    Count,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Concat, NullIf
from django.utils import timezone

from . import editorial  # a module import: editorial uses refresh_leads() too
from .bulk import insert_rows
from .cache import content_changed
from .matching import URL_FIELDS, WINDOW, Report, blocking_keys, report, same_news
from .models import Article, EditorialChange, Image, Story

STORY = Article.EditorialField.STORY.value

# ---------------------------------------------------------------------------------------
# Incremental grouping.


@dataclass(slots=True)
class Incoming:
    """An article on its way in (new, or updated by its feed), as grouping sees it."""

    key: str  # the article's source key
    report: Report
    story_id: int | None = None  # its story now, if it has one
    article_id: int | None = None


@dataclass
class Plan:
    """Each incoming article's story, and what to tidy once the articles are written."""

    story_ids: dict[str, int]
    touched: set[int] = field(default_factory=set)  # stories whose members changed

    def finish(self) -> None:
        """After the incoming articles are written: leads of the stories they changed, and
        no story left without articles."""
        refresh_leads(self.touched)
        Story.objects.filter(pk__in=self.touched, articles__isnull=True).delete()


class _Groups:
    """Union-find over incoming articles (by key) and existing stories (by id), where a
    group holds at most one pinned story: two stories an editor pinned never merge."""

    def __init__(self):
        self.parent: dict = {}
        self.anchor: dict = {}  # root: the pinned story it holds

    def add(self, node, anchor: int | None = None) -> None:
        if node not in self.parent:
            self.parent[node] = node
            self.anchor[node] = anchor
        elif anchor is not None:
            root = self.find(node)
            self.anchor[root] = self.anchor[root] or anchor

    def find(self, node):
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def union(self, a, b) -> None:
        a, b = self.find(a), self.find(b)
        if a == b or (self.anchor[a] and self.anchor[b] and self.anchor[a] != self.anchor[b]):
            return
        self.parent[b] = a
        self.anchor[a] = self.anchor[a] or self.anchor[b]


def assign(batch: list[Incoming]) -> Plan:
    """Give each incoming article a story: an existing one it reports the same news as, or
    a new one. Where the batch joins two existing stories, the members of the unpinned one
    move to the other. Call `finish()` on the result once the articles are written."""
    if not batch:
        return Plan({})
    candidates = _candidates(batch)
    updated_stories = {item.story_id for item in batch if item.story_id}
    pinned_stories = {c.story_id for c in candidates if c.pinned}
    if updated_stories:
        pinned_stories |= set(
            Story.objects.filter(pk__in=updated_stories, pinned=True).values_list("pk", flat=True)
        )
    groups = _Groups()
    for item in batch:
        groups.add(("new", item.key))
        if item.story_id:
            # An updated article stays in its story (and brings it along): story ids are
            # stable. Only a rebuild reconsiders where an article belongs.
            anchor = item.story_id if item.story_id in pinned_stories else None
            groups.add(("story", item.story_id), anchor)
            groups.union(("story", item.story_id), ("new", item.key))
    for candidate in candidates:
        story = candidate.story_id
        groups.add(("story", story), story if story in pinned_stories else None)
    with _collector_paused():
        for a, b in _pairs(batch, candidates):
            groups.union(
                ("new", a.key), ("new", b.key) if isinstance(b, Incoming) else ("story", b.story_id)
            )

    members = defaultdict(list)  # root: incoming articles
    stories = defaultdict(set)  # root: existing stories
    for node in groups.parent:
        kind, value = node
        if kind == "new":
            members[groups.find(node)].append(value)
        else:
            stories[groups.find(node)].add(value)
    plan = Plan({})
    new_roots = []
    for root, keys in members.items():
        anchor = groups.anchor[root]
        existing = stories.get(root, set())
        if anchor is None and not existing:
            new_roots.append(root)
            continue
        target = anchor or min(existing)
        moved = existing - {target}
        if moved:  # unpinned stories that this batch shows are the same news
            Article.objects.filter(story_id__in=moved).update(story_id=target)
            plan.touched |= moved
        plan.touched.add(target)
        plan.story_ids.update(dict.fromkeys(keys, target))
    for root, story in zip(new_roots, new_stories(len(new_roots)), strict=True):
        plan.story_ids.update(dict.fromkeys(members[root], story))
        if len(members[root]) > 1:
            plan.touched.add(story)
    return plan


@contextlib.contextmanager
def _collector_paused():
    """The garbage collector paused. The pair loop makes tens of thousands of short-lived
    keys and lists, none in a cycle, and the collections they set off walked the importer's
    whole heap for nothing: two fifths of the loop's time (measured on 20,000 documents)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def new_stories(count: int) -> list[int]:
    """The ids of `count` new stories: most articles of a batch start one, and bulk_create's
    model instances cost a fifth of grouping's time (profiled)."""
    row = {"created_at": timezone.now(), "pinned": False}
    return insert_rows(Story, [row] * count, returning=True)


@dataclass(slots=True)
class _Candidate:
    story_id: int
    pinned: bool  # its story's
    report: Report


def _candidates(batch: list[Incoming]) -> list[_Candidate]:
    """Grouped articles that may report the same news as one of the batch: those with one of
    its URLs, and those published within WINDOW of one of it."""
    ids = {item.article_id for item in batch if item.article_id}
    urls = set().union(*(item.report.urls for item in batch))
    spans = _spans([item.report.published_at for item in batch if item.report.published_at])
    near = [Q(story_url__in=urls)] if urls else []
    near += [Q(published_at__range=span) for span in spans]
    if not near:
        return []
    rows = Article.objects.filter(reduce(or_, near), story__isnull=False).values_list(
        "pk", "story_id", "story__pinned", "title", "excerpt", "published_at", "story_url",
        "story_image",
    )  # fmt: skip
    return [
        _Candidate(story, pinned, Report.of(title, excerpt, published_at, [url], image))
        for pk, story, pinned, title, excerpt, published_at, url, image in rows
        if pk not in ids  # the batch's own (updated) articles
    ]


def _spans(times: list[datetime]) -> list[tuple[datetime, datetime]]:
    """The time ranges within WINDOW of `times`, overlapping ones merged."""
    spans: list[list[datetime]] = []
    for moment in sorted(times):
        if spans and moment - WINDOW <= spans[-1][1]:
            spans[-1][1] = moment + WINDOW
        else:
            spans.append([moment - WINDOW, moment + WINDOW])
    return [(start, end) for start, end in spans]


def _pairs(batch: list[Incoming], candidates: list[_Candidate]):
    """(incoming, incoming or candidate) pairs that report the same news. Only pairs that
    could are compared: those that share a URL, or, in the same or neighbouring periods, a
    photo, a rare-indeed title word or two telling title words (matching.blocking_keys)."""
    others: list[Incoming | _Candidate] = [*batch, *candidates]
    keys = [blocking_keys(other.report) for other in others]
    index = defaultdict(list)  # key: positions in `others`
    for position, (urls, timed, period) in enumerate(keys):
        for key in urls:
            index[key].append(position)
        if period is not None:
            # Filed under its neighbours' periods too, so one look-up in its own finds it.
            for near in (period - 1, period, period + 1):
                for key in timed:
                    index[near, key].append(position)
    for position, item in enumerate(batch):
        urls, timed, period = keys[position]
        compare = {other for key in urls for other in index[key]}
        compare.update(other for key in timed for other in index[period, key])
        # Grouping is symmetric: two incoming articles are compared once, by the first.
        for other in compare:
            if other > position and same_news(item.report, others[other].report):
                yield item, others[other]


# ---------------------------------------------------------------------------------------
# Leads.


_EARLIEST = datetime.min.replace(tzinfo=UTC)  # an undated article ranks below dated ones


def refresh_leads(story_ids: Iterable[int]) -> None:
    """Mark each story's lead: its best published article by quality, then the newest (or,
    with none published, its best article, for the desk)."""
    story_ids = [pk for pk in set(story_ids) if pk]
    for start in range(0, len(story_ids), 10_000):
        rows = Article.objects.filter(story_id__in=story_ids[start : start + 10_000]).values_list(
            "pk", "story_id", "is_published", "quality", "published_at", "is_story_lead"
        )
        best, leading = {}, set()
        for pk, story, published, quality, published_at, lead in rows:
            rank = (published, quality is not None, quality or 0, published_at or _EARLIEST, pk)
            if story not in best or rank > best[story][0]:
                best[story] = (rank, pk)
            if lead:
                leading.add(pk)
        leads = {pk for _, pk in best.values()}
        all_ids = {row[0] for row in rows}
        Article.objects.filter(pk__in=leads - leading).update(is_story_lead=True)
        Article.objects.filter(pk__in=(all_ids - leads) & leading).update(is_story_lead=False)


# ---------------------------------------------------------------------------------------
# Readers: the other coverage of a story.


@dataclass(frozen=True, slots=True)
class Coverage:
    """Another published article of a story: its slug and who published it."""

    slug: str
    provider: str


# Separators of the `other_coverage` column: ASCII's unit and record separators, which no
# slug has and the importer keeps out of text (control characters).
_UNIT, _RECORD = "\x1f", "\x1e"


class _Joined(Aggregate):
    """Strings joined by _RECORD: GROUP_CONCAT on SQLite, STRING_AGG on PostgreSQL."""

    function = "GROUP_CONCAT"
    template = f"%(function)s(%(expressions)s, '{_RECORD}')"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="STRING_AGG", **extra_context)


def other_coverage_column() -> Subquery:
    """A column for `annotate()`: the other published articles of each row's story (slug and
    provider), read back with `coverage()`. A correlated subquery on the story's index, so
    a list or a page gets them without a query of its own."""
    provider = Coalesce(NullIf("provider_name", Value("")), "provider__name", Value(""))
    others = (
        Article.objects.published()
        .filter(story=OuterRef("story"))
        .exclude(pk=OuterRef("pk"))
        .order_by()
        .values("story")
        .annotate(coverage=_Joined(Concat("slug", Value(_UNIT), provider)))
        .values("coverage")
    )
    return Subquery(others)


def coverage(column: str | None) -> list[Coverage]:
    """The `other_coverage_column()` of a row, by provider."""
    if not column:
        return []
    found = [Coverage(*record.split(_UNIT, 1)) for record in column.split(_RECORD)]
    return sorted(found, key=lambda item: (item.provider.casefold(), item.slug))


# ---------------------------------------------------------------------------------------
# Editors' decisions.


@transaction.atomic
def merge(articles: QuerySet[Article], *, user, via, reason: str = "") -> int:
    """Put `articles` into one story: the one most of them are in already (else a new one),
    pinned. Returns the story's id."""
    rows = _locked(articles)
    counts = defaultdict(int)
    for article in rows:
        if article.story_id:
            counts[article.story_id] += 1
    if counts:
        story = min(counts, key=lambda pk: (-counts[pk], pk))
    else:
        [story] = new_stories(1)
    _move(rows, dict.fromkeys((article.pk for article in rows), story), user, via, reason)
    return story


@transaction.atomic
def split(articles: QuerySet[Article], *, user, via, reason: str = "") -> list[int]:
    """Take each of `articles` out of its story into a story of its own, pinned (and pin
    the story it left, so grouping does not put them back together). Returns the stories'
    ids."""
    rows = _locked(articles)
    sizes = _sizes(rows)
    targets, leaving = {}, []
    for article in rows:
        if article.story_id and sizes.get(article.story_id) == 1:
            targets[article.pk] = article.story_id  # alone in it already: it stays
        else:
            leaving.append(article.pk)
            if article.story_id:
                sizes[article.story_id] -= 1
    # New stories in one statement: a split of a whole list page is one INSERT, not 100.
    targets.update(zip(leaving, new_stories(len(leaving)), strict=True))
    _move(rows, targets, user, via, reason)
    return list(targets.values())


def _sizes(rows: list[Article]) -> dict[int, int]:
    """How many articles each of these articles' stories has."""
    return dict(
        Article.objects.filter(story_id__in={a.story_id for a in rows if a.story_id})
        .values("story_id")
        .annotate(size=Count("pk"))
        .values_list("story_id", "size")
    )


def _locked(articles: QuerySet[Article]) -> list[Article]:
    return list(editorial.locked(articles).only("pk", "editor_fields", "story_id"))


def _move(rows: list[Article], targets: dict[int, int], user, via, reason: str) -> None:
    """Move each article to its target story (article id: story id) and pin both; record
    each move (and each first confirmation of where an article is, as `editorial.decide`
    does)."""
    now = timezone.now()
    changes, moved, touched = [], [], set()
    Story.objects.filter(
        pk__in={*targets.values()} | {a.story_id for a in rows if a.story_id}
    ).update(pinned=True)
    for article in rows:
        story = targets[article.pk]
        if article.story_id == story and STORY in article.editor_fields:
            continue
        changes.append(
            editorial.record(article.pk, STORY, article.story_id, story, user, via, reason, now)
        )
        touched |= {article.story_id, story}
        article.story_id = story
        article.editor_fields = sorted({*article.editor_fields, STORY})
        article.updated_at = now
        moved.append(article)
    if moved:
        Article.objects.bulk_update(moved, ["story", "editor_fields", "updated_at"], batch_size=500)
        EditorialChange.objects.bulk_create(changes, batch_size=500)
        refresh_leads(touched)
        Story.objects.filter(pk__in=touched, articles__isnull=True).delete()
        content_changed()


# ---------------------------------------------------------------------------------------
# Rebuilding.


def rebuild(*, batch_size: int = 2000, progress=None) -> dict[str, int]:
    """Group every article afresh, oldest first, a batch per transaction, as imports would
    have. Articles editors placed stay where they are (and others may join them). Returns
    counts: articles, stories, and stories with more than one article."""
    pinned = {
        pk
        for pk, fields in Article.objects.exclude(editor_fields=[]).values_list(
            "pk", "editor_fields"
        )
        if STORY in fields
    }
    with transaction.atomic():
        Article.objects.exclude(pk__in=pinned).update(story=None, is_story_lead=True)
    lead_image = Subquery(
        Image.objects.filter(article=OuterRef("pk"), role=Image.Role.LEAD)
        .order_by("position", "pk")
        .values("url")[:1]
    )
    order = list(Article.objects.order_by("published_at", "pk").values_list("pk", flat=True))
    for start in range(0, len(order), batch_size):
        with transaction.atomic():
            rows = (
                Article.objects.filter(pk__in=order[start : start + batch_size])
                .annotate(lead_image=lead_image)
                .values_list(
                    "pk", "source_key", "title", "excerpt", "published_at", "story_id",
                    "lead_image", *URL_FIELDS,
                )
            )  # fmt: skip
            batch, articles = [], []
            for pk, key, title, excerpt, published_at, story, image, *urls in rows:
                found = report(
                    title=title,
                    excerpt=excerpt,
                    published_at=published_at,
                    urls=urls,
                    image_url=image or "",
                )
                batch.append(Incoming(key, found, story_id=story, article_id=pk))
                articles.append(Article(pk=pk, story_url=found.url, story_image=found.image))
            plan = assign(batch)
            for article, item in zip(articles, batch, strict=True):
                article.story_id = plan.story_ids[item.key]
            Article.objects.bulk_update(articles, ["story", "story_url", "story_image"])
            plan.finish()
        if progress:
            progress(min(start + batch_size, len(order)), len(order))
    Story.objects.filter(articles__isnull=True).delete()
    content_changed()
    sizes = Article.objects.values("story_id").annotate(size=Count("pk"))
    return {
        "articles": len(order),
        "stories": Story.objects.count(),
        "shared": sizes.filter(size__gt=1).count(),
    }

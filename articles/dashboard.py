"""The desk's dashboard on the admin index: what the figures are, and the charts' geometry.

Five queries whatever the size of the table. The charts are drawn on the server as inline SVG
by templates/admin/articles/dashboard.html from the shapes computed here (no scripts, no
external fonts: nothing a strict Content-Security-Policy would block), and every figure is
also written out as text for screen readers and for copying.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from .models import EDITOR_MAX_QUALITY, Article, EditorialChange, Provider, Topic, published_rule

WEEKS = 12
TOP = 8
LATEST_CHANGES = 10


@dataclass(frozen=True)
class QualityBand:
    key: str
    label: str
    low: int | None  # None: not scored
    high: int | None  # inclusive; None: no upper bound

    @property
    def condition(self) -> Q:
        if self.low is None:
            return Q(quality__isnull=True)
        bounds = Q(quality__gte=self.low)
        return bounds & Q(quality__lte=self.high) if self.high is not None else bounds


def band(low: int, high: int) -> QualityBand:
    return QualityBand(f"{low}-{high}", f"{low}\N{EN DASH}{high}", low, high)


# Shared by the dashboard's distribution and the changelist's quality filter.
QUALITY_BANDS = [
    QualityBand("none", "Not scored", None, None),
    band(0, 249),
    band(250, 499),
    band(500, 749),
    band(750, EDITOR_MAX_QUALITY),
    # Feeds may score beyond the editors' range; such scores are kept as sent.
    QualityBand("feed-high", f"Above {EDITOR_MAX_QUALITY} (feed)", EDITOR_MAX_QUALITY + 1, None),
]


# Chart geometry, in SVG user units; the SVG scales to its container's width.
BAR_CHART_WIDTH = 420
ROW_HEIGHT = 22
LABEL_WIDTH = 150
VALUE_WIDTH = 60
WEEK_CHART_WIDTH = 640
WEEK_CHART_HEIGHT = 200
WEEK_AXIS = 30  # room under the bars for the week labels


@dataclass
class Row:
    """One horizontal bar: a label, its value and the bar's geometry."""

    label: str
    value: int
    y: float = 0
    width: float = 0
    value_x: float = 0


@dataclass
class BarChart:
    title: str
    description: str
    rows: list[Row]
    width: int = BAR_CHART_WIDTH
    label_width: int = LABEL_WIDTH
    bar_x: int = LABEL_WIDTH + 6
    row_height: int = ROW_HEIGHT
    height: int = 0

    def __post_init__(self):
        longest = max((row.value for row in self.rows), default=0) or 1
        room = self.width - self.bar_x - VALUE_WIDTH
        for n, row in enumerate(self.rows):
            row.y = n * self.row_height
            row.width = round(room * row.value / longest, 1)
            row.value_x = round(self.bar_x + row.width + 4, 1)
        self.height = max(len(self.rows), 1) * self.row_height


@dataclass
class Week:
    start: datetime.date
    published: int
    unpublished: int
    x: float = 0
    label_x: float = 0
    published_y: float = 0
    published_height: float = 0
    unpublished_y: float = 0
    unpublished_height: float = 0


@dataclass
class WeekChart:
    title: str
    description: str
    weeks: list[Week]
    width: int = WEEK_CHART_WIDTH
    height: int = WEEK_CHART_HEIGHT
    axis: int = WEEK_AXIS
    bar_width: float = 0
    plot_height: int = 0
    highest: int = 0
    label_y: int = 0
    ticks: list[tuple[float, int]] = field(default_factory=list)

    def __post_init__(self):
        self.plot_height = self.height - self.axis
        self.label_y = self.plot_height + 16
        slot = self.width / max(len(self.weeks), 1)
        self.bar_width = round(slot * 0.7, 1)
        self.highest = max((w.published + w.unpublished for w in self.weeks), default=0)
        scale = self.plot_height / (self.highest or 1)
        for n, week in enumerate(self.weeks):
            week.x = round(n * slot + (slot - self.bar_width) / 2, 1)
            week.label_x = round(n * slot + slot / 2, 1)
            week.published_height = round(week.published * scale, 1)
            week.published_y = round(self.plot_height - week.published_height, 1)
            week.unpublished_height = round(week.unpublished * scale, 1)
            week.unpublished_y = round(week.published_y - week.unpublished_height, 1)


def week_start(moment: datetime.datetime) -> datetime.date:
    day = timezone.localtime(moment).date()
    return day - datetime.timedelta(days=day.weekday())  # Monday, as TruncWeek


def weekly(newest: datetime.datetime | None) -> WeekChart:
    """Articles per week of publication, published and held back, for the WEEKS weeks up
    to the newest article (or up to now, if the feed dates articles in the future)."""
    anchor = min(filter(None, [newest, timezone.now()]))
    first = week_start(anchor) - datetime.timedelta(weeks=WEEKS - 1)
    since = timezone.make_aware(datetime.datetime.combine(first, datetime.time()))
    counts = {
        week_start(row["week"]): row
        for row in Article.objects.filter(published_at__gte=since)
        .annotate(week=TruncWeek("published_at"))
        .values("week")
        .annotate(
            published=Count("pk", filter=published_rule()),
            unpublished=Count("pk", filter=~published_rule()),
        )
        .order_by("week")
    }
    weeks = []
    for n in range(WEEKS):
        start = first + datetime.timedelta(weeks=n)
        row = counts.get(start, {})
        weeks.append(Week(start, row.get("published", 0), row.get("unpublished", 0)))
    return WeekChart(
        "Articles per week",
        f"Published and unpublished articles by week of publication, the {WEEKS} weeks "
        f"from {first:%d %b %Y}.",
        weeks,
    )


def dashboard() -> dict:
    """Everything the admin index shows, in five queries."""
    totals = Article.objects.aggregate(
        newest=Max("published_at"),
        total=Count("pk"),
        published=Count("pk", filter=published_rule()),
        **{f"band_{n}": Count("pk", filter=band.condition) for n, band in enumerate(QUALITY_BANDS)},
    )
    quality = BarChart(
        "Quality distribution",
        "How many articles have a quality score in each band.",
        [Row(band.label, totals[f"band_{n}"]) for n, band in enumerate(QUALITY_BANDS)],
    )
    providers = BarChart(
        "Top providers",
        f"The {TOP} providers with the most articles.",
        [
            Row(p.name or p.domain, p.count)
            for p in Provider.objects.annotate(count=Count("articles"))
            .filter(count__gt=0)
            .order_by("-count", "name")[:TOP]
        ],
    )
    topics = BarChart(
        "Top topics",
        f"The {TOP} topics with the most articles.",
        [
            Row(t.name, t.count)
            for t in Topic.objects.annotate(count=Count("article_topics"))
            .filter(count__gt=0)
            .order_by("-count", "name")[:TOP]
        ],
    )
    changes = EditorialChange.objects.select_related("article").only(
        "field",
        "old_value",
        "new_value",
        "username",
        "via",
        "reason",
        "changed_at",
        "article__id",
        "article__title",
    )[:LATEST_CHANGES]
    return {
        "total": totals["total"],
        "published": totals["published"],
        "unpublished": totals["total"] - totals["published"],
        "weekly": weekly(totals["newest"]),
        "charts": [quality, providers, topics],
        "changes": list(changes),
    }

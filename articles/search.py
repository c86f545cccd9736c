"""Full-text search over articles: the one function the public pages and the API call.

``search(query, queryset)`` narrows a queryset of articles (published ones by default) to
those matching every word of the query, best match first, and annotates each with ``rank``
(a float, higher is better) and ``headline`` (the matching passage as safe HTML, the
matched words in ``<mark>``: from the excerpt or body where they match, else the title,
which a result shows anyway). The result is an ordinary lazy QuerySet: filter it, count
it, slice it, paginate it.

The index is the database's own, kept in step by the database (migration 0002), because
the importer writes with raw INSERTs and bulk_update that no signal would see:

- PostgreSQL: a stored generated ``tsvector`` column, ``search_vector``, with a GIN index;
  ranked with ``ts_rank``, highlighted with ``ts_headline``.
- SQLite: an FTS5 table kept in step by triggers; ranked with ``bm25()`` and highlighted
  with ``snippet()``.

The query is what a reader typed, so it is never handed to the database's query language:
it is cut into plain words, which are quoted, ANDed together, and the last one also matched
as a prefix (so "robot" finds "robotics"), and no input can make the database raise.

Feed text is untrusted. The database marks the matched words with a random token that no
feed can contain; the passage is then HTML-escaped and only then are the tokens turned into
``<mark>`` tags.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

# Plain expressions: they need neither psycopg nor django.contrib.postgres installed.
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorField,
)
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Expression,
    F,
    FloatField,
    Func,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, NullIf, Replace, StrIndex
from django.db.models.lookups import GreaterThan
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .models import Article

# Defined by migration 0002.
FTS_TABLE = "articles_article_search"  # SQLite: FTS5 over title, excerpt, body, provider_name
VECTOR_COLUMN = "search_vector"  # PostgreSQL: weighted A title, B excerpt, C body, D provider
CONFIG = "english_unaccent"  # PostgreSQL: English stemming, accents ignored

# Column weights for SQLite's bm25, in the FTS table's column order. PostgreSQL's ts_rank
# weighs its A-D labels 1.0, 0.4, 0.2 and 0.1 by default.
BM25_WEIGHTS = (10.0, 4.0, 1.0, 2.0)

# Bounds on what a query may cost: past these, more words only slow the search down.
MAX_QUERY_CHARS = 500
MAX_TERMS = 12
MAX_TERM_CHARS = 60
# Shorter last words are not also matched as prefixes: "a*" would match half the index.
MIN_PREFIX_CHARS = 3

# Letters and digits in any script; everything else (operators, quotes, punctuation,
# underscores, which both databases' tokenizers split on) separates words.
_WORD = re.compile(r"[^\W_]+")

# Markers the database puts around matched words; random, so that no feed text contains
# them, and made of letters and digits, so that HTML escaping leaves them alone.
_TOKEN = secrets.token_hex(8)
_START, _STOP = f"hlstart{_TOKEN}", f"hlstop{_TOKEN}"
# Stands in for "<" in the text PostgreSQL highlights (see _postgresql): a private-use
# character, which its parser takes for a blank, as it should.
_LT = "\U000f0000"


def search(query: str, queryset: QuerySet[Article] | None = None) -> QuerySet[Article]:
    """Articles of `queryset` (default: published ones) that match every word of `query`,
    best first (ties: newest first), with `rank` and `headline` annotations."""
    if queryset is None:
        queryset = Article.objects.published()
    words = terms(query)
    if not words:
        return queryset.none()
    if connections[queryset.db].vendor == "postgresql":
        queryset = _postgresql(queryset, words)
    else:
        queryset = _sqlite(queryset, words)
    return queryset.order_by("-rank", F("published_at").desc(nulls_last=True), "-pk")


def terms(query: str) -> list[str]:
    """The words of a query, in order and without repeats; no syntax survives."""
    text = unicodedata.normalize("NFKC", query[:MAX_QUERY_CHARS]).lower()
    words = dict.fromkeys(word[:MAX_TERM_CHARS] for word in _WORD.findall(text))
    return list(words)[:MAX_TERMS]


def _match_all(words: list[str], *, exact: str, prefix: str, any_of: str, all_of: str) -> str:
    """A query in the database's syntax that matches every word (`exact`, a format with
    `{}` for the word) and the last word also as a prefix (`prefix`): either may match, and
    a row matching both ranks higher, so "robot" still ranks "robot" above "robotics"."""
    rendered = [exact.format(word) for word in words]
    last = words[-1]
    if len(last) >= MIN_PREFIX_CHARS:
        rendered[-1] = f"({exact.format(last)}{any_of}{prefix.format(last)})"
    return all_of.join(rendered)


class HeadlineField(TextField):
    """A passage the database highlighted with the markers, returned as safe HTML."""

    # Characters the database was given in place of others, restored after escaping.
    masked: dict[str, str] = {}

    def from_db_value(self, value, expression, connection):
        if value is None:
            return ""
        html = escape(value)
        for mask, entity in self.masked.items():
            html = html.replace(mask, entity)
        html = html.replace(_START, "<mark>").replace(_STOP, "</mark>")
        return mark_safe(html)  # escaped above: the only tags are our own


# --- PostgreSQL ---------------------------------------------------------------------------


class _BaseTableColumn(Expression):
    """A column of the queryset's own table that the model does not declare (the generated
    search vector), qualified by the table's alias so it stays right inside subqueries."""

    def __init__(self, column: str, output_field):
        super().__init__(output_field=output_field)
        self.column = column
        self.alias = None

    def resolve_expression(self, query=None, *args, **kwargs):
        resolved = self.copy()
        resolved.alias = query.get_initial_alias()
        return resolved

    def relabeled_clone(self, change_map):
        clone = self.copy()
        clone.alias = change_map.get(self.alias, self.alias)
        return clone

    def get_group_by_cols(self):
        return [self]

    def as_sql(self, compiler, connection):
        quote = compiler.quote_name_unless_alias
        return f"{quote(self.alias)}.{quote(self.column)}", []


class _PostgreSQLHeadlineField(HeadlineField):
    masked = {_LT: "&lt;"}


class _PostgreSQLHeadline(SearchHeadline):
    output_field = _PostgreSQLHeadlineField()


def _postgresql(queryset: QuerySet[Article], words: list[str]) -> QuerySet[Article]:
    # to_tsquery syntax, built from words that hold only letters and digits.
    tsquery = _match_all(words, exact="'{}'", prefix="'{}':*", any_of=" | ", all_of=" & ")
    query = SearchQuery(tsquery, config=CONFIG, search_type="raw")

    def highlighted(*fields):
        text = Func(
            Value(" "),
            *(NullIf(field, Value("")) for field in fields),  # concat_ws skips NULLs
            function="concat_ws",
            output_field=TextField(),
        )
        # ts_headline drops whatever its parser takes for an HTML tag ("<script>",
        # "a<b c>d"): hide "<" from it, so that feed text comes out as it is, escaped.
        text = Replace(text, Value("<"), Value(_LT))
        return _PostgreSQLHeadline(
            text, query, config=CONFIG, start_sel=_START, stop_sel=_STOP, max_words=35, min_words=15
        )

    passage = highlighted("excerpt", "body")
    return (
        queryset.alias(search_vector=_BaseTableColumn(VECTOR_COLUMN, SearchVectorField()))
        .filter(search_vector=query)
        .annotate(
            # As double precision: ts_rank's real comes back as rounded text, which a
            # cursor (articles/api/pagination.py) could not compare with the real again.
            rank=Cast(SearchRank(F("search_vector"), query), FloatField()),
            # ts_headline is costly; PostgreSQL runs it only on the rows a page returns.
            headline=Case(
                When(GreaterThan(StrIndex(passage, Value(_START)), 0), then=passage),
                default=highlighted("title"),
            ),
        )
    )


# --- SQLite -------------------------------------------------------------------------------


class _FTSMatch(Expression):
    """Joins the FTS table to the article row and matches it: the condition that makes the
    FTS table (named in FROM by ``extra(tables=...)``) one row per matching article."""

    output_field = BooleanField()

    def __init__(self, match: str):
        super().__init__()
        self.pk = F("pk")
        self.match = match

    def get_source_expressions(self):
        return [self.pk]

    def set_source_expressions(self, exprs):
        (self.pk,) = exprs

    def as_sql(self, compiler, connection):
        pk, params = compiler.compile(self.pk)
        # The unary + keeps SQLite from looking FTS rows up by rowid from the article side,
        # which would recompute bm25's statistics once per article: the FTS search runs
        # once and each match finds its article by primary key.
        return f"({pk} = +{FTS_TABLE}.rowid AND {FTS_TABLE} MATCH %s)", [*params, self.match]


def _sqlite_headline() -> RawSQL:
    """Up to 32 words around the matches: of the excerpt or else the body where they match,
    else of the column that matches best (the title, or the provider's name)."""

    def snippet(column: int) -> tuple[str, list[str]]:
        return f"snippet({FTS_TABLE}, {column}, %s, %s, %s, 32)", [_START, _STOP, "…"]

    (excerpt, excerpt_params), (body, body_params), (best, best_params) = map(snippet, [1, 2, -1])
    sql = (
        f"CASE WHEN instr({excerpt}, %s) THEN {excerpt} "
        f"WHEN instr({body}, %s) THEN {body} ELSE {best} END"
    )
    params = [
        *excerpt_params, _START, *excerpt_params,
        *body_params, _START, *body_params,
        *best_params,
    ]  # fmt: skip
    return RawSQL(sql, params, output_field=HeadlineField())


def _sqlite(queryset: QuerySet[Article], words: list[str]) -> QuerySet[Article]:
    # FTS5 syntax, built from words that hold only letters and digits, each quoted so that
    # none is read as an operator (AND, NEAR...).
    match = _match_all(words, exact='"{}"', prefix='"{}"*', any_of=" OR ", all_of=" AND ")
    weights = ", ".join(map(str, BM25_WEIGHTS))
    # The ORM has no relation to the FTS table, so it is joined with extra(tables=...); a
    # correlated subquery per article would be many times slower (see _FTSMatch).
    return (
        queryset.extra(tables=[FTS_TABLE])
        .filter(_FTSMatch(match))
        .annotate(
            rank=RawSQL(f"-bm25({FTS_TABLE}, {weights})", [], output_field=FloatField()),
            # Computed only for rows that make the page: SQLite sorts on rank first.
            headline=_sqlite_headline(),
        )
    )

"""Keyset ("cursor") pagination of articles, in any of the orderings the API offers.

DRF's CursorPagination cannot page over columns that may be empty (an article without a
date or a score), so this paginator keeps its own cursor: the last row's value in the
ordering column and its primary key. A page is then "the next N rows after (value, pk)",
which the database answers from an index however deep the page, and which stays put while
new articles arrive at the top. Empty values count as the lowest (see `Ordering`).

Every parameter it reads (`ordering`, `cursor`, `page_size`) is checked: a bad value is a
400 naming it, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import BooleanField, Expression, F, Q, QuerySet
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from ..prepared import PreparedQuery

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
RELEVANCE = "relevance"  # the search rank; only with `q`, and then the default


class _RowsBeyond(Expression):
    """`(column, pk) < (value, pk_value)` (or `>`): a row-value comparison, which SQLite
    and PostgreSQL answer as one range of a (column, id) index, where the equivalent
    `column < v OR (column = v AND pk < p)` makes SQLite read the index from its start."""

    output_field = BooleanField()

    def __init__(self, column: str, value, pk_value: int, operator: str):
        super().__init__()
        self.column, self.pk = F(column), F("pk")
        self.value, self.pk_value, self.operator = value, pk_value, operator

    def get_source_expressions(self):
        return [self.column, self.pk]

    def set_source_expressions(self, expressions):
        self.column, self.pk = expressions

    def as_sql(self, compiler, connection):
        column, column_params = compiler.compile(self.column)
        pk, pk_params = compiler.compile(self.pk)
        value = self.column.output_field.get_db_prep_value(self.value, connection)
        sql = f"({column}, {pk}) {self.operator} (%s, %s)"
        return sql, [*column_params, *pk_params, value, self.pk_value]


@dataclass(frozen=True)
class Ordering:
    """An ordering column, with the primary key to break ties.

    Empty values count as the lowest: last when descending, first when ascending. That is
    SQLite's own order, and PostgreSQL has indexes made for it (migration 0007), so every
    ordering is read from a (column, id) index, forwards or backwards, however deep."""

    field: str
    descending: bool
    kind: type  # the type of the column's values, to check a cursor's value against
    indexed: bool = True  # False: a computed value (the search rank), compared plainly

    def expressions(self, reverse: bool = False):
        """ORDER BY for reading forwards, or backwards from a cursor."""
        column, pk = F(self.field), F("pk")
        if self.descending != reverse:
            return [column.desc(nulls_last=True), pk.desc()]
        return [column.asc(nulls_first=True), pk.asc()]

    def ranges(self, value, pk, reverse: bool = False) -> list[Q]:
        """The rows after (value, pk) in this order (before it, reading backwards), as
        conditions to read one after the other: each is one range of the index. Rows with
        a value and rows without one are two ranges, read in the order they come."""
        descending = self.descending != reverse
        beyond = "lt" if descending else "gt"
        empty = Q(**{f"{self.field}__isnull": True})
        if value is None:
            within_empty = empty & Q(**{f"pk__{beyond}": pk})
            # Descending, nothing comes after the empty values; ascending, all the rest does.
            return [within_empty] if descending else [within_empty, ~empty]
        if self.indexed:
            valued = Q(_RowsBeyond(self.field, value, pk, "<" if descending else ">"))
        else:
            valued = Q(**{f"{self.field}__{beyond}": value}) | Q(
                **{self.field: value, f"pk__{beyond}": pk}
            )
        return [valued, empty] if descending else [valued]


ORDERINGS = {
    "-published_at": Ordering("published_at", True, datetime),
    "published_at": Ordering("published_at", False, datetime),
    "-quality": Ordering("quality", True, int),
    "quality": Ordering("quality", False, int),
    "-heat": Ordering("heat", True, int),
    "heat": Ordering("heat", False, int),
    "title": Ordering("title", False, str),
    "-title": Ordering("title", True, str),
    RELEVANCE: Ordering("rank", True, float, indexed=False),
}
# Whole numbers a database column can hold: larger ones in a cursor are forged.
_INT_RANGE = range(-(2**63), 2**63)


def strict_page_size(request, param: str, default: int) -> int:
    text = request.query_params.get(param)
    if text is None:
        return default
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise ValidationError({param: [f"Use a whole number from 1 to {MAX_PAGE_SIZE}."]})
    return int(text)


class FirstPages:
    """The first page of `rows` (a `values()` queryset) in any of the orderings, from a
    query prepared once per process for each (see articles/prepared.py): an unfiltered
    list's first page is what clients ask for most, and building its query cost the ORM
    more than the database took to answer it."""

    def __init__(self, rows: QuerySet):
        self.queries = {
            name: PreparedQuery(
                lambda values, ordering=ordering: rows.order_by(*ordering.expressions())
            )
            for name, ordering in ORDERINGS.items()
            if ordering.indexed  # the others need a search to order by
        }

    def rows(self, ordering_name: str, limit: int, using: str) -> list[dict]:
        return self.queries[ordering_name].rows(using=using, limit=limit)


class KeysetPagination(BasePagination):
    ordering_param = "ordering"
    cursor_param = "cursor"
    page_size_param = "page_size"

    def paginate_queryset(
        self, queryset: QuerySet, request, view=None, first_pages: FirstPages | None = None
    ):
        """The page of `queryset` (a `values()` queryset: rows are dicts) the request asks
        for; `first_pages` serves a page without a cursor when given (see FirstPages)."""
        self.request = request
        # Searching (the `q` filter) ranks the rows; only then is there a relevance.
        self.ordering_name = self.get_ordering_name(request, "rank" in queryset.query.annotations)
        self.ordering = ORDERINGS[self.ordering_name]
        page_size = self.get_page_size(request)
        position = self.decode_cursor(request)
        self.reverse = bool(position and position["reverse"])
        if position is None and first_pages is not None:
            rows = first_pages.rows(self.ordering_name, page_size + 1, queryset.db)
        elif position is None:
            rows = list(queryset.order_by(*self.ordering.expressions())[: page_size + 1])
        else:
            # One query for a page, two for the page where the empty values begin.
            ordered = queryset.order_by(*self.ordering.expressions(self.reverse))
            rows = []
            for condition in self.ordering.ranges(position["value"], position["pk"], self.reverse):
                rows += ordered.filter(condition)[: page_size + 1 - len(rows)]
                if len(rows) > page_size:
                    break
        more = len(rows) > page_size
        rows = rows[:page_size]
        if self.reverse:
            rows.reverse()
        # Going forward, the rows before these exist if we came from a cursor; going back,
        # the rows after them exist (we came from there).
        self.has_next = more if not self.reverse else True
        self.has_previous = (position is not None) if not self.reverse else more
        self.first, self.last = (rows[0], rows[-1]) if rows else (None, None)
        if not rows and position:
            # An empty page past the end: its neighbours are where the cursor points.
            self.has_next = self.has_previous = False
        return rows

    def get_ordering_name(self, request, searching: bool) -> str:
        name = request.query_params.get(self.ordering_param)
        if name is None or (name == RELEVANCE and not searching):
            # With nothing searched for, every article is as relevant as the next.
            return RELEVANCE if searching else "-published_at"
        if name not in ORDERINGS:
            choices = ", ".join(ORDERINGS)
            raise ValidationError(
                {self.ordering_param: [f"Unknown ordering {name[:50]!r}: use one of {choices}."]}
            )
        return name

    def get_page_size(self, request) -> int:
        return strict_page_size(request, self.page_size_param, DEFAULT_PAGE_SIZE)

    # --- cursors ------------------------------------------------------------------------

    def decode_cursor(self, request) -> dict | None:
        token = request.query_params.get(self.cursor_param)
        if not token:
            return None
        try:
            raw = json.loads(base64.urlsafe_b64decode(token.encode("ascii") + b"==="))
            ordering, value, pk, reverse = raw["o"], raw["v"], raw["pk"], raw["r"]
        except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error):
            raise self._bad_cursor("it is not one this API made") from None
        if ordering != self.ordering_name:
            raise self._bad_cursor("it belongs to another ordering; start again without a cursor")
        if not (type(pk) is int and pk in _INT_RANGE and type(reverse) is bool):
            raise self._bad_cursor("it is not one this API made")
        if value is not None:
            value = self._cursor_value(value)
        return {"value": value, "pk": pk, "reverse": reverse}

    def _cursor_value(self, value):
        kind = self.ordering.kind
        if kind is datetime and isinstance(value, str):
            try:
                parsed = parse_datetime(value)
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is not None:
                try:
                    return parsed.astimezone(UTC)
                except OverflowError:
                    pass
        elif kind is int and type(value) is int and value in _INT_RANGE:
            return value
        elif kind is float and type(value) in (int, float):
            return float(value)
        elif kind is str and isinstance(value, str) and len(value) <= 1000:
            return value
        raise self._bad_cursor("it is not one this API made")

    def _bad_cursor(self, why: str) -> ValidationError:
        return ValidationError({self.cursor_param: [f"Invalid cursor: {why}."]})

    def encode_cursor(self, row: dict, reverse: bool) -> str:
        value = row[self.ordering.field]
        if isinstance(value, datetime):
            value = value.isoformat()
        data = {"o": self.ordering_name, "v": value, "pk": row["id"], "r": reverse}
        token = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
        return token.decode("ascii").rstrip("=")

    def _link(self, row, reverse: bool) -> str:
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_param, self.encode_cursor(row, reverse))

    def get_next_link(self) -> str | None:
        return self._link(self.last, reverse=False) if self.has_next and self.last else None

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        if self.first is None:
            return None
        return self._link(self.first, reverse=True)

    def get_paginated_response(self, data) -> Response:
        return Response(
            {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )

    # --- OpenAPI ------------------------------------------------------------------------

    def get_paginated_response_schema(self, schema: dict) -> dict:
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The next page; null on the last."},
                "previous": {**link, "description": "The previous page; null on the first."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        orderings = [name for name in ORDERINGS if name != RELEVANCE]
        return [
            {
                "name": self.ordering_param,
                "in": "query",
                "required": False,
                "description": "Sort order; a leading '-' means descending; relevance is the "
                "search rank with q (without q, newest first). Default: -published_at, or "
                "relevance when searching with q. Empty values count as the lowest.",
                "schema": {"type": "string", "enum": [*orderings, RELEVANCE]},
            },
            {
                "name": self.cursor_param,
                "in": "query",
                "required": False,
                "description": "Opaque position from a previous page's next/previous link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_param,
                "in": "query",
                "required": False,
                "description": f"Articles per page (default {DEFAULT_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]


class ByNamePagination(CursorPagination):
    """Topics and providers, by slug: DRF's cursor, with our checks of its parameters."""

    ordering = "slug"
    page_size = MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        return strict_page_size(request, self.page_size_query_param, self.page_size)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError(
                {self.cursor_query_param: ["Invalid cursor: it is not one this API made."]}
            ) from None

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=MAX_PAGE_SIZE)
        return parameters

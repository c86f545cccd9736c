"""Queries the ORM builds and compiles once per process, then only runs.

The public pages and the API run the same few queries on every request (a page of
articles, their topics, related items and images), with only some values changing: ids, a
slug, which page. Building and compiling such a `values()` queryset cost the ORM about ten
times what SQLite then took to answer it from its indexes (profiled on a page of one
article: 7 ms of ORM for well under 1 ms of database). A `PreparedQuery` builds its
queryset once for each number of values, keeps the SQL, where the values go, and the ORM's
own converters for the results (dates and so on), and from then on only runs it.

The SQL is kept with named placeholders (`%(p0)s`) and run with a dict of values: Django's
SQLite backend rewrites positional `%s` placeholders with a regular expression on every
execute, which cost 20 µs on a 1 kB query (profiled: a tenth of an article page), where
named ones take a plain % format. Both are Django's documented `cursor.execute()` styles.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet


@dataclass(frozen=True)
class _Compiled:
    sql: str  # with named placeholders, p0, p1...
    params: dict  # the compiled parameters; those in value_slots are replaced by the values
    value_slots: list[tuple[str, int]]  # (parameter name, index into the values)
    names: list[str]
    converters: list[tuple[int, list, object]]  # (column, converters, expression)


# What the ORM compiles a query that can match nothing to (an IN of no ids): no SQL at all.
_NOTHING = _Compiled("", {}, [], [], [])


# A positional placeholder, as Django's SQLite backend finds them (its FORMAT_QMARK_REGEX):
# "%s" not after a "%", since a literal percent sign is written "%%".
_POSITIONAL = re.compile(r"(?<!%)%s")


def _named(sql: str) -> str:
    """`sql` with its positional placeholders (`%s`, as the ORM compiles them) named p0,
    p1... in order; literal percent signs stay doubled, as both styles want them."""
    parts = _POSITIONAL.split(sql)
    named = [parts[0]]
    for index, part in enumerate(parts[1:]):
        named += [f"%(p{index})s", part]
    return "".join(named)


class PreparedQuery:
    """`build(values)` returns an unsliced `values()` queryset that uses each of those
    values (ids, slugs) as a parameter at least once; `rows(values)` runs it.

    A query may take no values (the newest articles), and a page of its rows is asked for
    with `limit` and `offset`, which the database's own LIMIT/OFFSET syntax adds to the
    compiled SQL: one compiled query serves every page.
    """

    def __init__(self, build: Callable[[list], QuerySet]):
        self.build = build
        self._compiled: dict[tuple, _Compiled] = {}

    def rows(
        self,
        values: Sequence = (),
        using: str = "default",
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict]:
        key = (using, tuple(type(value) for value in values))
        compiled = self._compiled.get(key) or self._compile(key)
        if compiled is _NOTHING:
            return []
        params = dict(compiled.params)
        for name, index in compiled.value_slots:
            params[name] = values[index]
        connection = connections[using]
        sql = compiled.sql
        if limit is not None:
            sql = f"{sql} {connection.ops.limit_offset_sql(offset, offset + limit)}"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        names, converters = compiled.names, compiled.converters
        if not converters:
            return [dict(zip(names, row, strict=True)) for row in fetched]
        rows = []
        for row in fetched:
            row = list(row)
            for column, column_converters, expression in converters:
                value = row[column]
                for convert in column_converters:
                    value = convert(value, expression, connection)
                row[column] = value
            rows.append(dict(zip(names, row, strict=True)))
        return rows

    def _compile(self, key: tuple) -> _Compiled:
        using, types = key
        # Values no row has, each different, to find where the real ones go: negative ids,
        # strings no slug can be.
        placeholders = [
            -(index + 1) if kind is int else f"\x00prepared {index}\x00"
            for index, kind in enumerate(types)
        ]
        where = {(type(value), value): index for index, value in enumerate(placeholders)}
        queryset = self.build(placeholders).using(using)
        query = queryset.query
        if query.is_sliced:
            raise ValueError("Give a prepared query's page as limit and offset, not a slice.")
        compiler = query.get_compiler(using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # e.g. the children of no articles
            self._compiled[key] = _NOTHING
            return _NOTHING
        value_slots = [
            (f"p{slot}", where[type(value), value])
            for slot, value in enumerate(params)
            if (type(value), value) in where
        ]
        if {index for _, index in value_slots} != set(range(len(types))):
            raise ValueError("A prepared query must use every one of its values.")
        # Named as the SELECT names them: the order of values() and annotate() calls may put
        # an annotation before a field.
        names = [alias for _, _, alias in compiler.select[: compiler.col_count]]
        select = [column for column, _, _ in compiler.select[: compiler.col_count]]
        converters = [
            (column, converters, expression)
            for column, (converters, expression) in compiler.get_converters(select).items()
        ]
        params = {f"p{slot}": value for slot, value in enumerate(params)}
        compiled = _Compiled(_named(sql), params, value_slots, names, converters)
        self._compiled[key] = compiled
        return compiled

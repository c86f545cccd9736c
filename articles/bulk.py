"""Rows written many per statement, without model instances, for imports' hot paths."""

import functools

from django.db import connection

# Values in one INSERT statement: under SQLite's limit of 32,766 and PostgreSQL's of 65,535.
MAX_PARAMETERS = 30_000


def insert_rows(model, rows: list[dict], *, returning: bool = False) -> list:
    """INSERT plain rows, many per statement: bulk_create without model instances. With
    `returning`, the new rows' primary keys (in no promised order).

    This is the import's hot path (and grouping's, for new stories): building a model
    instance and preparing every value through its field costs more than parsing the
    document. Only JSON and datetime values
    need the backend's adaptation (the same the fields would ask for); the rest goes to the
    driver as it is. Multi-row statements rather than executemany, because SQLite's
    full-text index (whose triggers fire on these inserts) flushes once per statement.
    """
    if not rows:
        return []
    names = list(rows[0])
    fields = [model._meta.get_field(name) for name in names]
    ops = connection.ops  # looked up once: `connection` is a proxy with a cost per access
    empty_json = {"{}": ops.adapt_json_value({}, None), "[]": ops.adapt_json_value([], None)}
    adapters = {
        # A column often holds one time in every row (a batch's `now`): adapt it once.
        "DateTimeField": lambda: functools.lru_cache(maxsize=1)(ops.adapt_datetimefield_value),
        # Most extras are empty; adapt those once.
        "JSONField": lambda: (
            lambda value: ops.adapt_json_value(value, None) if value else empty_json[repr(value)]
        ),
    }
    adapt = [
        adapters[kind]() if (kind := field.get_internal_type()) in adapters else None
        for field in fields
    ]
    quote = ops.quote_name
    head = "INSERT INTO {} ({}) VALUES ".format(
        quote(model._meta.db_table), ", ".join(quote(field.column) for field in fields)
    )
    one_row = "({})".format(", ".join(["%s"] * len(fields)))
    # SQLite 3.35 and PostgreSQL say RETURNING; where the backend cannot, bulk_create can.
    if returning and not connection.features.can_return_rows_from_bulk_insert:
        created = model.objects.bulk_create([model(**row) for row in rows])
        return [instance.pk for instance in created]
    tail = f" RETURNING {quote(model._meta.pk.column)}" if returning else ""
    keys = []
    per_statement = max(1, MAX_PARAMETERS // len(fields))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [
                value if adapter is None else adapter(value)
                for row in chunk
                for adapter, value in zip(adapt, row.values(), strict=True)
            ]
            cursor.execute(head + ", ".join([one_row] * len(chunk)) + tail, params)
            if returning:
                keys += [key for (key,) in cursor.fetchall()]
    return keys

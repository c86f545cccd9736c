"""Indexes for the API's orderings, each read from an index however deep the page.

The API orders by a column with empty values counted as the lowest, then by id (see
articles/api/pagination.py). SQLite sorts NULL lowest of its own accord, so a plain
(column, id) index serves both directions; PostgreSQL sorts NULL highest by default, so its
indexes say NULLS FIRST. Django cannot declare both in Meta.indexes (SQLite refuses NULLS
FIRST in CREATE INDEX), so they are made here, per database.
"""

from django.db import migrations


def columns(vendor: str) -> list[str]:
    # On SQLite, article_latest (published_at DESC, id DESC) already serves published_at.
    return ["quality", "heat", "title"] + (["published_at"] if vendor == "postgresql" else [])


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    nulls = " NULLS FIRST" if vendor == "postgresql" else ""
    for column in columns(vendor):
        schema_editor.execute(
            f"CREATE INDEX article_order_{column} ON articles_article ({column}{nulls}, id)"
        )


def drop(apps, schema_editor):
    for column in columns(schema_editor.connection.vendor):
        schema_editor.execute(f"DROP INDEX article_order_{column}")


class Migration(migrations.Migration):
    dependencies = [("articles", "0006_editors_group")]

    operations = [migrations.RunPython(create, drop)]

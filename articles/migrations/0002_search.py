"""The full-text index behind articles/search.py, built by the database itself.

The importer writes articles with raw INSERTs and bulk_update, so no Django signal could keep
an index in step: the database does it.

- PostgreSQL: a stored generated tsvector column, ``search_vector`` (title weighted A,
  excerpt B, body C, provider name D; English stemming, accents ignored), with a GIN index. The model does not declare it;
  Django never reads or writes it, PostgreSQL recomputes it on every INSERT and UPDATE.
  A later migration that changes the type of one of those four columns must drop the
  column first and add it back afterwards (PostgreSQL refuses to alter a column that a
  generated column uses): call ``drop_index`` and ``create_index`` below around it.
- SQLite: an FTS5 table over articles_article (external content: it stores only the index,
  the text stays in articles_article), kept in step by AFTER INSERT/UPDATE/DELETE triggers.
  Django's SQLite schema editor rebuilds a table (new table, copy, drop, rename) for most
  ALTERs, and dropping the old table drops its triggers: a later migration that alters
  articles_article on SQLite must run ``drop_index`` before and ``create_index`` after it
  (tests/test_search.py fails if the triggers are gone).

Each operation is a no-op on the other database.
"""

from django.db import migrations

# Keep in step with articles/search.py.
FTS_TABLE = "articles_article_search"
CONFIG = "english_unaccent"
INDEXED = ["title", "excerpt", "body", "provider_name"]

SQLITE_CREATE = [
    f"""
    CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(
        {", ".join(INDEXED)},
        content='articles_article',
        content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2',
        prefix='3'
    )
    """,
    # External content: the index is told the old values to remove them, so every write
    # to articles_article must pass through these triggers.
    f"""
    CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON articles_article BEGIN
        INSERT INTO {FTS_TABLE} (rowid, {", ".join(INDEXED)})
        VALUES (new.id, {", ".join(f"new.{c}" for c in INDEXED)});
    END
    """,
    f"""
    CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON articles_article BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, {", ".join(INDEXED)})
        VALUES ('delete', old.id, {", ".join(f"old.{c}" for c in INDEXED)});
    END
    """,
    # Only when an indexed column is written: publishing or re-scoring costs no reindex.
    f"""
    CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF id, {", ".join(INDEXED)}
    ON articles_article BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, {", ".join(INDEXED)})
        VALUES ('delete', old.id, {", ".join(f"old.{c}" for c in INDEXED)});
        INSERT INTO {FTS_TABLE} (rowid, {", ".join(INDEXED)})
        VALUES (new.id, {", ".join(f"new.{c}" for c in INDEXED)});
    END
    """,
    # Index the rows that are already there.
    f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('rebuild')",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_insert",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_delete",
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_update",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]

POSTGRESQL_CREATE = [
    # English stemming that also ignores accents ("cafe" finds "café"), as SQLite's
    # remove_diacritics does. unaccent ships with PostgreSQL (contrib) and is a trusted
    # extension: the database's owner may create it.
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    f"CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = english)",
    f"""
    ALTER TEXT SEARCH CONFIGURATION {CONFIG}
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem
    """,
    # to_tsvector with an explicit configuration is immutable, as a generated column needs.
    f"""
    ALTER TABLE articles_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('{CONFIG}'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('{CONFIG}'::regconfig, coalesce(excerpt, '')), 'B')
        || setweight(to_tsvector('{CONFIG}'::regconfig, coalesce(body, '')), 'C')
        || setweight(to_tsvector('{CONFIG}'::regconfig, coalesce(provider_name, '')), 'D')
    ) STORED,
    -- Kept in the row, not in TOAST: matching and ranking read it on every candidate row,
    -- and a TOAST fetch each made a search scanning the table at 100,000 articles 2.5x slower.
    ALTER COLUMN search_vector SET STORAGE MAIN
    """,
    "CREATE INDEX article_search_vector ON articles_article USING gin (search_vector)",
]
POSTGRESQL_DROP = [
    "DROP INDEX IF EXISTS article_search_vector",
    "ALTER TABLE articles_article DROP COLUMN IF EXISTS search_vector",
    f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}",
    # The unaccent extension stays: something else may use it.
]

STATEMENTS = {
    "sqlite": (SQLITE_CREATE, SQLITE_DROP),
    "postgresql": (POSTGRESQL_CREATE, POSTGRESQL_DROP),
}


def create_index(apps, schema_editor):
    create, _ = STATEMENTS.get(schema_editor.connection.vendor, ([], []))
    for sql in create:
        schema_editor.execute(sql)


def drop_index(apps, schema_editor):
    _, drop = STATEMENTS.get(schema_editor.connection.vendor, ([], []))
    for sql in drop:
        schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index),
    ]

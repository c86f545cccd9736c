"""The database table of the "shared" cache (the content version, when there is no Redis).

Created by migrate, so that no deployment can miss `createcachetable`: without the table,
the first write that invalidates cached pages would fail.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("articles", "0003_article_feed_quality")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]

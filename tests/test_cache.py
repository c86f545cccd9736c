"""Whole-page caching: fast for readers, never stale after an editor or an import writes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.cache import content_changed
from articles.models import Article

from .conftest import run_import
from .factories import ArticleFactory

pytestmark = pytest.mark.django_db


def queries_for(client, url) -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content


def test_second_anonymous_request_is_served_from_the_cache(client):
    ArticleFactory(title="Cached story")
    first, _ = queries_for(client, "/")
    again, body = queries_for(client, "/")
    assert first > 0
    assert again == 0
    assert b"Cached story" in body


def test_unpublishing_through_save_is_seen_at_once(client, django_capture_on_commit_callbacks):
    article = ArticleFactory(title="Soon held")
    assert b"Soon held" in client.get("/").content
    assert client.get(article.get_absolute_url()).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        article.is_published = False
        article.save()

    assert b"Soon held" not in client.get("/").content
    assert client.get(article.get_absolute_url()).status_code == 404


def test_rescoring_through_update_is_seen_after_content_changed(
    client, django_capture_on_commit_callbacks
):
    article = ArticleFactory(title="Scored")
    client.get(article.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        Article.objects.filter(pk=article.pk).update(title="Rescored and retitled")
        content_changed()
    assert b"Rescored and retitled" in client.get(article.get_absolute_url()).content


def test_an_import_invalidates_cached_pages(client, write_doc, django_capture_on_commit_callbacks):
    assert b"Fresh from the feed" not in client.get("/").content
    with django_capture_on_commit_callbacks(execute=True):
        document = '---\ntitle: "Fresh from the feed"\nwebUrl: https://x.example/a\n'
        run_import(write_doc("a.md", document + "published: true\n---\n"))
    assert b"Fresh from the feed" in client.get("/").content


def test_signed_in_editors_are_never_served_cached_pages(admin_client, client):
    held = ArticleFactory(is_published=False, title="Preview me")
    client.get("/")  # an anonymous copy in the cache
    assert admin_client.get(held.get_absolute_url()).status_code == 200
    assert client.get(held.get_absolute_url()).status_code == 404


def test_without_redis_the_version_lives_in_the_database(settings, client):
    """Every process must see a bump: the importer's command and each app server."""
    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "newsroom_cache",
        },
    }
    from django.core.management import call_command

    from articles.cache import _bump, content_version

    call_command("createcachetable")  # what migration 0004 does where Redis is not set
    before = content_version()
    _bump()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM newsroom_cache")
        assert cursor.fetchone()[0] == 1
    assert content_version() != before

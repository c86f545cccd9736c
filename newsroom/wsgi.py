"""WSGI entry point for gunicorn: `gunicorn newsroom.wsgi`.

Cached pages are answered before Django builds a request (articles/cache.py).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
application = get_wsgi_application()

from articles.cache import serve_cached_pages  # noqa: E402  (needs Django set up)

application = serve_cached_pages(application)

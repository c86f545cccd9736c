"""Newsroom's benchmarks: `make bench`. Every figure is printed beside a baseline measured in
the same run on the same machine, because only ratios compare across noisy machines."""


def setup_django(database) -> None:
    """Django with production settings (DEBUG off) on the benchmark's own SQLite file."""
    import os

    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "x" * 40)
    os.environ.pop("REDIS_URL", None)
    # Plain HTTP on loopback, with no proxy in front: production's redirect to HTTPS is off.
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    django.setup()

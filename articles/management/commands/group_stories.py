"""`manage.py group_stories`: group every article into stories afresh."""

from django.core.management.base import BaseCommand

from articles.stories import rebuild


class Command(BaseCommand):
    help = (
        "Regroup all articles into stories (the same news from one provider or many), as "
        "imports do for new articles. Where editors merged or split stories, their decisions "
        "stay. Run it after importing with --no-grouping, or after upgrading."
    )

    def handle(self, *args, **options):
        show_progress = options["verbosity"] > 0 and self.stderr.isatty()
        counts = rebuild(progress=self.show_progress if show_progress else None)
        if show_progress:
            self.stderr.write("\r\033[K", ending="")
        self.stdout.write(
            self.style.SUCCESS(
                f"Grouped {counts['articles']} articles into {counts['stories']} stories; "
                f"{counts['shared']} of them have more than one article."
            )
        )

    def show_progress(self, done: int, total: int) -> None:
        self.stderr.write(f"\r{done}/{total} articles", ending="")
        self.stderr.flush()

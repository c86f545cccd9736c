"""`manage.py export_articles [--out DIR]`: write every article back as a document."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.importing.export import articles_for_export, file_name, render_document


class Command(BaseCommand):
    help = (
        "Write every article to DIR as a front-matter document in the import format, as its "
        "source gave it (editors' decisions stay in the database). Importing the result "
        "changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--out",
            default="export",
            metavar="DIR",
            help="folder to write to; created if missing (default: export/)",
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=500,
            metavar="N",
            help="articles read from the database at a time (default: 500)",
        )

    def handle(self, *args, out, chunk_size, **options):
        folder = Path(out)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"cannot create {folder}: {error.strerror}") from error
        count = 0
        for article in articles_for_export().iterator(chunk_size=chunk_size):
            path = folder / file_name(article)
            try:
                path.write_text(render_document(article), encoding="utf-8")
            except OSError as error:
                raise CommandError(f"cannot write {path}: {error.strerror}") from error
            count += 1
        self.stdout.write(self.style.SUCCESS(f"Exported {count} articles to {folder}/"))

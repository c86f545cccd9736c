"""`manage.py import_seeds [PATH ...]`: import front-matter documents (default: seeds/)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from articles.importing.pipeline import BATCH_SIZE, ImportAborted, Importer
from newsroom.outage import explain


class Command(BaseCommand):
    help = (
        "Import article documents from files and folders (recursively; in folders, files "
        "ending .md, .markdown or .txt). Re-running is safe: unchanged files are skipped and "
        "editors' decisions are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths",
            nargs="*",
            metavar="PATH",
            help=f"files or folders to import (default: {settings.NEWSROOM_SEEDS_DIR})",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="report what would be created, updated or skipped, and write nothing",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="parse every file again, even those whose bytes have not changed",
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=None,
            metavar="N",
            help="parser processes (default: one per CPU core for 1,000 files or more, else 1)",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            metavar="N",
            help=f"documents written per transaction (default: {BATCH_SIZE})",
        )
        parser.add_argument(
            "--no-grouping",
            action="store_false",
            dest="grouping",
            help="do not put articles into stories now (run `group_stories` afterwards)",
        )

    def handle(self, *args, paths, dry_run, force, jobs, batch_size, grouping, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be 1 or more.")
        if jobs is not None and jobs < 1:
            raise CommandError("--jobs must be 1 or more.")
        show_progress = options["verbosity"] > 0 and self.stderr.isatty()
        importer = Importer(
            max_bytes=settings.NEWSROOM_IMPORT_MAX_BYTES,
            batch_size=batch_size,
            force=force,
            jobs=jobs,
            grouping=grouping,
            progress=self.show_progress if show_progress else None,
        )
        try:
            report = importer.run(paths or [settings.NEWSROOM_SEEDS_DIR], dry_run=dry_run)
        except (DatabaseError, ImportAborted) as error:
            self.end_progress(importer.report, show_progress)  # the batches before it
            # One line, no traceback: what stopped it, where, the fix, and what is in.
            what = explain(error) if isinstance(error, DatabaseError) else f"{error}."
            if dry_run:
                raise CommandError(f"The dry run stopped: {what} Nothing was written.") from error
            done = importer.report
            kept = (
                f"the batches written before it stopped are kept whole ({done.summary()})"
                if done.counts["created"] or done.counts["updated"]
                else "nothing was written"
            )
            raise CommandError(
                f"The import stopped: {what} Then run the import again to complete it: {kept}."
            ) from error
        self.end_progress(report, show_progress)
        summary = ("Dry run, nothing written: " if dry_run else "Imported: ") + report.summary()
        if report.failed:
            raise CommandError(
                f"{summary}. {report.failed} file(s) failed; see the lines above, fix the files "
                "and run the import again (the others are in)."
            )
        self.stdout.write(self.style.SUCCESS(summary))

    def end_progress(self, report, show_progress: bool) -> None:
        """Clear the progress line, then say what the files needed (repairs, skips)."""
        if show_progress:
            self.stderr.write("\r\033[K", ending="")
        for message in report.messages:
            self.stderr.write(message)

    def show_progress(self, done: int, total: int) -> None:
        self.stderr.write(f"\rimporting: {done}/{total} files", ending="")
        self.stderr.flush()

"""Run an import over files and folders: read, skip the unchanged, parse, load in batches.

A file whose bytes are exactly those of an earlier import is skipped before it is parsed
(one query a chunk), which is what makes re-importing a large, mostly unchanged corpus
cheap. Everything else is parsed; a bad file becomes one message and the run goes on.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import stat
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from ..matching import URL_FIELDS, report
from ..models import Article
from .load import CREATED, FAILED, SKIPPED, UNCHANGED, UPDATED, Document, Loader, Outcome
from .parse import parse_document, too_large
from .records import DocumentError, ParsedDocument, Skipped

# Documents per transaction. Larger batches share index pages, so commits (and SQLite's WAL
# checkpoints) stay cheap as the tables grow: measured at 100,000 articles, the last 20,000
# imported at 0.88 of the rate of the first with 2,000, against 0.75 with 500. A batch holds
# SQLite's write lock for about a second, well inside the busy timeout.
BATCH_SIZE = 2000
# Below this many files, starting parser processes costs more than it saves.
PARALLEL_FROM = 1000
# Folders are searched for these; a file named on the command line is read whatever its name.
DOCUMENT_SUFFIXES = frozenset({".md", ".markdown", ".txt"})


@dataclass
class Report:
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys([CREATED, UPDATED, UNCHANGED, SKIPPED, FAILED], 0)
    )
    messages: list[str] = field(default_factory=list)  # "path:line: problem", chunk by chunk
    ignored: int = 0  # files in folders with other suffixes

    def add(self, outcome: Outcome) -> None:
        self.counts[outcome.status] += 1
        if outcome.message:
            self.messages.append(str(outcome))

    @property
    def failed(self) -> int:
        return self.counts[FAILED]

    def summary(self) -> str:
        text = ", ".join(f"{count} {status}" for status, count in self.counts.items())
        if self.ignored:
            text += f" ({self.ignored} files with other suffixes ignored)"
        return text


class Importer:
    def __init__(
        self,
        *,
        max_bytes: int,
        batch_size: int = BATCH_SIZE,
        force: bool = False,
        jobs: int | None = None,
        grouping: bool = True,
        progress: Callable[[int, int], None] | None = None,
    ):
        self.max_bytes = max_bytes
        self.batch_size = batch_size
        self.force = force  # parse even files whose bytes are unchanged
        self.jobs = jobs  # parser processes; None: one per core for large runs
        self.grouping = grouping  # put articles into stories as they arrive
        self.progress = progress or (lambda done, total: None)

    def run(self, paths: Iterable[str | Path], *, dry_run: bool = False) -> Report:
        # Kept on the importer too, so that a run the database stops can still say what it
        # had written (whole batches) before it stopped.
        report = self.report = Report()
        files = find_documents(paths, report)
        jobs = self.jobs or ((os.cpu_count() or 1) if len(files) >= PARALLEL_FROM else 1)
        # The first file of the run to name an article is its file for the run; a later one
        # is skipped, so that running the import again gives the same result.
        self.first_file: dict[str, str] = {}
        with parsers(jobs) as parse:
            if not dry_run:
                # Each batch commits on its own: an import that stops half-way keeps whole
                # articles only, and editors' writes are not held up for the whole run.
                self._import(files, report, parse)
                return report
            # A dry run does all the work, so its report is exact, and keeps none of it.
            with transaction.atomic():
                self._import(files, report, parse)
                transaction.set_rollback(True)
        return report

    def _import(self, files: list[Path], report: Report, parse) -> None:
        """Read and parse one chunk while the chunk before it is written."""
        loader = Loader()
        pending, done = None, 0
        for start in range(0, len(files), self.batch_size):
            chunk = files[start : start + self.batch_size]
            parsing = parse(self._changed_files(chunk, report))
            if pending is not None:
                self._load(loader, pending.get(), report)
                self.progress(done, len(files))
            pending = parsing
            done += len(chunk)
        if pending is not None:
            self._load(loader, pending.get(), report)
            self.progress(done, len(files))

    def _changed_files(self, chunk: list[Path], report: Report) -> list[tuple]:
        """The chunk's files to parse: readable, and not byte for byte as last imported."""
        read = [item for item in (self._read(path, report) for path in chunk) if item]
        known = {}
        if not self.force:
            known = dict(
                Article.objects.filter(source_hash__in=[h for _, h, _ in read]).values_list(
                    "source_hash", "source_key"
                )
            )
        jobs = []
        for path, digest, data in read:
            if digest in known:
                self.first_file.setdefault(known[digest], path)
                report.add(Outcome(path, UNCHANGED))
            else:
                jobs.append((path, digest, data, self.max_bytes, self.grouping))
        return jobs

    def _read(self, path: Path, report: Report) -> tuple[str, str, bytes] | None:
        name = str(path)
        try:
            status = path.stat()
            size = status.st_size
            if not stat.S_ISREG(status.st_mode):
                raise DocumentError("is not a regular file; name documents or folders of them")
            if size > self.max_bytes:
                raise too_large(size, self.max_bytes)
            data = path.read_bytes()
        except OSError as error:
            report.add(Outcome(name, FAILED, f"cannot be read: {error.strerror or error}"))
            return None
        except DocumentError as error:
            report.add(Outcome(name, FAILED, error.message))
            return None
        return name, hashlib.sha256(data).hexdigest(), data

    def _load(self, loader: Loader, parsed: list[tuple], report: Report) -> None:
        batch: list[Document] = []
        for path, digest, result, compared in parsed:
            if isinstance(result, DocumentError):
                report.add(Outcome(path, FAILED, result.message, result.line))
                continue
            if isinstance(result, Skipped):
                report.add(Outcome(path, SKIPPED, f"skipped: {result.reason}"))
                continue
            if result.repairs:
                report.messages.append(f"{path}: repaired mojibake in {', '.join(result.repairs)}")
            if result.cleaned:
                fields = ", ".join(result.cleaned)
                report.messages.append(f"{path}: removed control characters from {fields}")
            first = self.first_file.setdefault(result.record.key, path)
            if first != path:
                message = f"skipped: {first} is the same article ({result.record.key})"
                report.add(Outcome(path, SKIPPED, message))
                continue
            batch.append(Document(path, digest, result, compared))
        self._write(loader, batch, report)

    def _write(self, loader: Loader, batch: list[Document], report: Report) -> None:
        if batch:
            for outcome in loader.load(batch):
                report.add(outcome)


def parse_job(job: tuple[str, str, bytes, int, bool]) -> tuple[str, str, object, object]:
    """Parse one file's bytes, and with `grouping` make what story grouping compares of it
    (articles/matching.py) here too, in parallel. Runs in a parser process, so errors come
    back as values."""
    path, digest, data, max_bytes, grouping = job
    try:
        parsed = parse_document(data, max_bytes=max_bytes)
    except DocumentError as error:
        return path, digest, error, None
    if not grouping or not isinstance(parsed, ParsedDocument):
        return path, digest, parsed, None
    record = parsed.record
    found = report(
        title=record.title,
        excerpt=record.excerpt,
        published_at=record.published_at,
        urls=[getattr(record, name) for name in URL_FIELDS],
        image_url=record.images[0].url if record.images else "",
    )
    return path, digest, parsed, found


class ImportAborted(Exception):
    """The run cannot go on (a parser process died); what was written so far is whole."""


class _Parsed:
    """Jobs parsed in this process, with the interface of _Pending."""

    def __init__(self, jobs: list[tuple]):
        self.results = [parse_job(job) for job in jobs]

    def get(self) -> list[tuple]:
        return self.results


class _Pending:
    """Jobs being parsed in the pool, a slice per task."""

    def __init__(self, executor: ProcessPoolExecutor, jobs: list[tuple]):
        self.futures = [
            executor.submit(parse_jobs, jobs[i : i + 64]) for i in range(0, len(jobs), 64)
        ]

    def get(self) -> list[tuple]:
        try:
            return [result for future in self.futures for result in future.result()]
        except BrokenProcessPool as error:
            raise ImportAborted(
                "a parser process died (out of memory?); run again with --jobs 1"
            ) from error


def parse_jobs(jobs: list[tuple]) -> list[tuple]:
    return [parse_job(job) for job in jobs]


@contextmanager
def parsers(jobs: int):
    """A function that starts parsing a list of jobs and returns something to .get() from.

    With more than one job, parsing runs in forked processes (parsing is pure Python, so
    threads would wait on each other) while this process writes the previous chunk. A
    process pool from concurrent.futures, because it reports a worker that died instead
    of waiting for it forever.
    """
    if jobs <= 1:
        yield _Parsed
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(jobs, mp_context=context) as executor:
        yield lambda batch: _Pending(executor, batch)


def find_documents(paths: Iterable[str | Path], report: Report) -> list[Path]:
    """The files named, and the documents in the folders named (recursively), in order."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    candidate = Path(root, name)
                    if name.startswith("."):
                        continue
                    if candidate.suffix.lower() in DOCUMENT_SUFFIXES:
                        files.append(candidate)
                    else:
                        report.ignored += 1
        else:
            files.append(path)  # a missing file is reported when it is read
    return files

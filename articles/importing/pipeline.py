"""Run an import over files and folders: read, skip the unchanged, parse, load in batches.

A file whose bytes are exactly those of an earlier import is skipped before it is parsed
(one query a chunk), which is what makes re-importing a large, mostly unchanged corpus
cheap. Everything else is parsed; a bad file becomes one message and the run goes on.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from ..models import Article
from .load import CREATED, FAILED, UNCHANGED, UPDATED, Document, Loader, Outcome
from .parse import parse_document
from .records import DocumentError, Skipped

# Folders are searched for these; a file named on the command line is read whatever its name.
DOCUMENT_SUFFIXES = frozenset({".md", ".markdown", ".txt"})
SKIPPED = "skipped"


@dataclass
class Report:
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys([CREATED, UPDATED, UNCHANGED, SKIPPED, FAILED], 0)
    )
    messages: list[str] = field(default_factory=list)  # "path:line: problem", in file order
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
        batch_size: int = 500,
        force: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ):
        self.max_bytes = max_bytes
        self.batch_size = batch_size
        self.force = force  # parse even files whose bytes are unchanged
        self.progress = progress or (lambda done, total: None)

    def run(self, paths: Iterable[str | Path], *, dry_run: bool = False) -> Report:
        report = Report()
        files = find_documents(paths, report)
        with transaction.atomic():
            self._import(files, report)
            # A dry run does all the work, so its report is exact, and keeps none of it.
            transaction.set_rollback(dry_run)
        return report

    def _import(self, files: list[Path], report: Report) -> None:
        loader = Loader()
        done = 0
        for start in range(0, len(files), self.batch_size):
            chunk = files[start : start + self.batch_size]
            read = [self._read(path, report) for path in chunk]
            read = [item for item in read if item is not None]
            known = (
                set()
                if self.force
                else set(
                    Article.objects.filter(source_hash__in=[h for _, h, _ in read]).values_list(
                        "source_hash", flat=True
                    )
                )
            )
            batch: list[Document] = []
            keys: set[str] = set()
            for path, digest, data in read:
                if digest in known:
                    report.add(Outcome(path, UNCHANGED))
                    continue
                document = self._parse(path, digest, data, report)
                if document is None:
                    continue
                if document.parsed.record.key in keys:
                    # Two files for one article: load the first, so the second updates it.
                    self._load(loader, batch, report)
                    batch, keys = [], set()
                batch.append(document)
                keys.add(document.parsed.record.key)
            self._load(loader, batch, report)
            done += len(chunk)
            self.progress(done, len(files))

    def _read(self, path: Path, report: Report) -> tuple[str, str, bytes] | None:
        name = str(path)
        try:
            size = path.stat().st_size
            if size > self.max_bytes:
                raise DocumentError(
                    f"the file is {size:,} bytes; the limit is {self.max_bytes:,} "
                    "(NEWSROOM_IMPORT_MAX_BYTES): split it or raise the limit"
                )
            data = path.read_bytes()
        except OSError as error:
            report.add(Outcome(name, FAILED, f"cannot be read: {error.strerror or error}"))
            return None
        except DocumentError as error:
            report.add(Outcome(name, FAILED, error.message))
            return None
        return name, hashlib.sha256(data).hexdigest(), data

    def _parse(self, path: str, digest: str, data: bytes, report: Report) -> Document | None:
        try:
            parsed = parse_document(data, max_bytes=self.max_bytes)
        except DocumentError as error:
            report.add(Outcome(path, FAILED, error.message, error.line))
            return None
        if isinstance(parsed, Skipped):
            report.add(Outcome(path, SKIPPED, f"skipped: {parsed.reason}"))
            return None
        if parsed.repairs:
            report.messages.append(f"{path}: repaired mojibake in {', '.join(parsed.repairs)}")
        return Document(path, digest, parsed)

    def _load(self, loader: Loader, batch: list[Document], report: Report) -> None:
        if batch:
            for outcome in loader.load(batch):
                report.add(outcome)


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

"""Bytes of one document in, a validated `ParsedDocument` (or `Skipped`) out.

Pure: no ORM and no file system, so it can be tested and fuzzed on its own. Every way a
document can be wrong ends in a `DocumentError` naming the line and the fix; nothing else
escapes (a property test holds it to that).
"""

from __future__ import annotations

from .frontmatter import load_front_matter, split_front_matter
from .mapping import record_hash
from .records import DocumentError, ParsedDocument, Skipped
from .validate import build_article, build_plain_article, repair

BOM = "\ufeff"


def parse_document(data: bytes, *, max_bytes: int) -> ParsedDocument | Skipped:
    if len(data) > max_bytes:
        raise too_large(len(data), max_bytes)
    text = decode(data)
    if not text.strip():
        raise DocumentError("the file is empty: nothing to import")
    front, body = split_front_matter(text)
    repairs: list[str] = []
    if front is None:
        record = build_plain_article(text, repairs)
        if not record.title:
            raise DocumentError("the document has no title line; put the title first", 1)
    else:
        body = repair(body.strip(), "body", repairs)
        if "\x00" in body:
            raise DocumentError("the body holds a NUL character once repaired; remove it")
        record = build_article(load_front_matter(front), body, repairs)
        if isinstance(record, Skipped):
            return record
    return ParsedDocument(
        record=record,
        record_hash=record_hash(record),
        repairs=tuple(repairs),
    )


def too_large(size: int, max_bytes: int) -> DocumentError:
    return DocumentError(
        f"the file is {size:,} bytes; the limit is {max_bytes:,} "
        "(NEWSROOM_IMPORT_MAX_BYTES): split it or raise the limit"
    )


def decode(data: bytes) -> str:
    """UTF-8 text with Unix line endings; a BOM and CRLF or CR endings are accepted."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DocumentError(
            f"the file is not valid UTF-8 (byte 0x{data[error.start]:02x} at offset "
            f"{error.start}); save it as UTF-8",
            line,
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise DocumentError("the file contains a NUL byte; remove it (is it a text file?)", line)
    if text.startswith(BOM):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text

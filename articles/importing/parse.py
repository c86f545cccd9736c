"""Bytes of one document in, a validated `ParsedDocument` (or `Skipped`) out.

Pure: no ORM and no file system, so it can be tested and fuzzed on its own. Every way a
document can be wrong ends in a `DocumentError` naming the line and the fix; nothing else
escapes (a property test holds it to that).
"""

from __future__ import annotations

from .frontmatter import load_front_matter, split_front_matter
from .mapping import record_hash
from .records import DocumentError, ParsedDocument, Skipped
from .text import Notes, check_body, clean, leading_lines, repair
from .validate import build_article, build_plain_article

BOM = "\ufeff"


def parse_document(data: bytes, *, max_bytes: int) -> ParsedDocument | Skipped:
    if len(data) > max_bytes:
        raise too_large(len(data), max_bytes)
    text = decode(data)
    if not text.strip():
        raise DocumentError("the file is empty: nothing to import")
    front, body = split_front_matter(text)
    notes = Notes()
    if front is None:
        record = build_plain_article(text, notes)
        if not record.title:
            raise DocumentError("the document has no title line; put the title first", 1)
    else:
        # The closing fence is on the line after the front matter (the opening one is 1), and
        # the body's text on the first line after it that is not blank.
        first_line = front.count("\n") + 2 + leading_lines(body)
        body = repair(body.strip(), "body", notes)
        if "\x00" in body:
            raise DocumentError("the body holds a NUL character once repaired; remove it")
        body = clean(body, "body", notes)
        check_body(body, first_line=first_line)
        record = build_article(load_front_matter(front), body, notes)
        if isinstance(record, Skipped):
            return record
    try:
        digest = record_hash(record)
    except UnicodeEncodeError as error:
        # A lone UTF-16 surrogate cannot be encoded, and no database column would take it
        # (PostgreSQL refuses it). Strict UTF-8 decoding and libyaml let none in today; this
        # keeps one that some later path lets through a message rather than a crash.
        raise DocumentError(
            f"the document holds U+{ord(error.object[error.start]):04X}, half of a UTF-16 "
            "surrogate pair, which is not a character; write the character it stands for"
        ) from None
    return ParsedDocument(
        record=record,
        record_hash=digest,
        repairs=tuple(notes.repaired),
        cleaned=tuple(notes.cleaned),
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
        what = ""
        if (
            data[error.start] == 0xED
            and b"\xa0" <= data[error.start + 1 : error.start + 2] <= b"\xbf"
        ):
            # ED A0..BF: a UTF-16 surrogate encoded on its own (CESU-8, or a lone half).
            what = ", the encoding of half of a UTF-16 surrogate pair, which is not a character"
        raise DocumentError(
            f"the file is not valid UTF-8 (byte 0x{data[error.start]:02x} at offset "
            f"{error.start}{what}); save it as UTF-8",
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

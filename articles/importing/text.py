"""Text as the importer keeps it: mojibake repaired, invisible characters removed, and
Markdown bodies that the pages can render.

Pure: no ORM. What it changes in a document is noted (`Notes`) for the run's report;
what it cannot keep is a `DocumentError` naming the line and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import ftfy

from .records import DocumentError

# Characters the importer removes from the text it keeps, and reports (like mojibake):
# - C0 and C1 control characters but tab and newline ("\a", "\x1b[31m", "\x9b" written as
#   YAML escapes): invisible or terminal commands, never text a reader should get, and
#   XML 1.0 cannot carry most of them, so one of them in a title made Django's feed
#   generator refuse the whole RSS/Atom feed (a 500 for every reader) and broke the news
#   sitemap. NUL is not removed: it stays an error, as it usually means a binary file.
# - noncharacters (U+FDD0-U+FDEF, U+xFFFE, U+xFFFF): "not for interchange"; XML excludes
#   U+FFFE and U+FFFF, so they too would make a feed unreadable.
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane + 0xFFFE)}{chr(plane + 0xFFFF)}" for plane in range(0, 0x110000, 0x10000)
)
_INVISIBLE = re.compile(f"[\x01-\x08\x0b-\x1f\x7f-\x9f{_NONCHARACTERS}]")
# - in one-line fields (titles, names, topics, category, type), also the bidirectional
#   embedding, override and isolate controls U+202A-U+202E and U+2066-U+2069. A name is
#   shown inline beside other text (a card's source and date, the page's <title> with the
#   site's name, the desk's columns, a feed reader's list), and an override reorders what
#   follows it up to the end of the paragraph: "Invoice \u202efdp.exe" reads "Invoice
#   exe.pdf". Isolating names instead (<bdi>, dir=auto) would have to be done by every page,
#   feed, admin column and API client; removing the controls here covers them all, and a
#   one-line name needs none of them: the bidi algorithm orders Arabic or Hebrew words by
#   itself, and the marks LRM/RLM/ALM (U+200E, U+200F, U+061C), which reorder nothing beyond
#   their neighbours, stay. Excerpts and bodies keep the controls: mixed-direction prose
#   uses isolates legitimately, and each is a paragraph of its own wherever it is shown (a
#   <p>, a feed's description), whose end closes any embedding or override left open.
_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
BIDI = re.compile(f"[{_BIDI_CONTROLS}]")
_INVISIBLE_IN_A_LINE = re.compile(f"[\x01-\x08\x0b-\x1f\x7f-\x9f{_NONCHARACTERS}{_BIDI_CONTROLS}]")
# Text mis-decoded from UTF-8 as Latin-1 or Windows-1252 always holds one of the characters
# that UTF-8 lead bytes become (Â to ô); text without one has nothing for ftfy to repair.
_MOJIBAKE_LEAD = re.compile("[\u00c2-\u00f4]")


@dataclass
class Notes:
    """What the importer changed in a document's text on its way in, for the run's report."""

    repaired: list[str] = field(default_factory=list)  # fields whose mojibake was repaired
    cleaned: list[str] = field(default_factory=list)  # fields that lost invisible characters


def repair(text: str, field: str, notes: Notes) -> str:
    """Text with mojibake ("Appenâ€™s") repaired by ftfy; the field is noted if it was."""
    if text.isascii() or not _MOJIBAKE_LEAD.search(text):
        return text
    repaired = ftfy.fix_encoding(text)
    if repaired != text and field not in notes.repaired:
        notes.repaired.append(field)
    return repaired


def clean(text: str, field: str, notes: Notes, *, line: bool = False) -> str:
    """Text without the invisible characters described at the top of this module (`line`:
    bidi controls too); the field is noted if it had any. A control that stands for
    white space (CR, form feed, NEL, the separators) becomes a space, so that the two words
    it stood between stay two."""
    if text.isprintable():
        # No control, format or separator character at all: most text, decided in C at a
        # few nanoseconds a character, where the search below costs a hundred.
        return text
    invisible = _INVISIBLE_IN_A_LINE if line else _INVISIBLE
    if not invisible.search(text):
        return text
    if field not in notes.cleaned:
        notes.cleaned.append(field)
    return invisible.sub(_blank_or_nothing, text)


def _blank_or_nothing(match: re.Match) -> str:
    return " " if match.group().isspace() else ""


# How deep an in-house article's Markdown may nest lists and quotes. Real documents nest a
# list three or four deep. Deeper, the renderer stops nesting (its own limit is the same
# twenty, see templatetags/newsroom.py) and the page would not show what the author wrote,
# so the document is refused with the line to fix instead. (Python-Markdown, used before,
# recursed into a RecursionError, a 500 on the article's page, from some 100 levels.)
MAX_BODY_NESTING = 20
# What opens a level at the start of a line: indentation (four columns a level, a tab
# counts four), a quote marker, a list marker followed by a blank.
_BODY_PREFIX = re.compile(r"(?:[ \t]|>|(?:[-*+]|\d{1,9}[.)])(?=[ \t]))*")
_LIST_MARKER = re.compile(r"(?:[-*+]|\d{1,9}[.)])[ \t]")
# "- - - -" or "* * * *" on its own is a rule, however many markers it has.
_RULE = re.compile(r"[ \t]*([-*_])(?:[ \t]*\1)*[ \t]*\Z")


def leading_lines(text: str) -> int:
    """How many line breaks the blank lines at the start of `text` hold."""
    return text[: len(text) - len(text.lstrip())].count("\n")


def check_body(body: str, *, first_line: int) -> None:
    """Refuse Markdown that nests lists and quotes deeper than MAX_BODY_NESTING.

    Counted on each line that opens a list: its markers, its quote markers and its
    indentation (a level for four columns). Indentation alone is a code block, which
    Markdown does not parse further, so lines without a list marker do not count.
    `first_line` is the body's first line in the file, for the message.
    """
    for number, text in enumerate(body.split("\n")):
        prefix = _BODY_PREFIX.match(text).group()
        if len(prefix) <= MAX_BODY_NESTING or _RULE.match(text):
            continue  # every level takes a character at least; a rule is not a list
        markers = len(_LIST_MARKER.findall(prefix + " "))
        if not markers:
            continue
        indent = prefix[: len(prefix) - len(prefix.lstrip(" \t"))]
        depth = markers + prefix.count(">") + len(indent.expandtabs(4)) // 4
        if depth > MAX_BODY_NESTING:
            raise DocumentError(
                f"the body nests lists and quotes {depth} levels deep; the limit is "
                f"{MAX_BODY_NESTING}: flatten the list",
                first_line + number,
            )

"""Property tests: `parse_document` returns a document or a skip, or raises DocumentError.

Whatever the bytes (random, random text, a real document mangled, YAML-ish front matter),
nothing else may escape: the import command turns a DocumentError into one line for the
file and goes on, while any other exception aborts the whole run. No database needed.
"""

from __future__ import annotations

import string
from datetime import datetime
from urllib.parse import urlsplit

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from articles.importing.parse import parse_document
from articles.importing.records import DocumentError, ParsedDocument, Skipped

from .conftest import CORPUS, SEEDS

MAX_BYTES = 64 * 1024
BOM = "\ufeff"

FAST = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# Real documents to mangle: the shipped seeds and a few of the corpus sample.
VALID_DOCUMENTS = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))] + [
    path.read_text(encoding="utf-8") for path in sorted(CORPUS.glob("*.md"))[:5]
]

KEYS = [
    "title",
    "excerpt",
    "quality",
    "heat",
    "published",
    "topics",
    "images",
    "related",
    "provider",
    "webUrl",
    "publishedDateTime",
]
NESTED_KEYS = ["url", "width", "height", "isCached", "name", "domain", "title", "webUrl"]
YAML_PUNCTUATION = [
    ":",
    ": ",
    "- ",
    "-",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "!!",
    "!",
    '"',
    "'",
    "\t",
    "\n",
    "\n---\n",
    "---",
    "? ",
    "|",
    ">",
    "#",
    "%",
    "@",
    "`",
    "\\",
    "\\0",
    "\0",
    "\r",
    "\ufeff",
    "é",
    "â€™",
    "<<: ",
    "~",
    "null",
    "yes",
    "-1",
    "1e9",
    "0x",
    ".nan",
]


def note(name: str, record_events: bool) -> None:
    if record_events:
        event(name)


def check(data: bytes, *, record_events: bool = True) -> ParsedDocument | Skipped | None:
    """Parse; the only allowed outcomes are a ParsedDocument, a Skipped or a DocumentError."""
    try:
        result = parse_document(data, max_bytes=MAX_BYTES)
    except DocumentError as error:
        assert isinstance(error.message, str) and error.message
        assert error.line is None or (isinstance(error.line, int) and error.line >= 1)
        note("DocumentError", record_events)
        return None
    assert isinstance(result, ParsedDocument | Skipped), type(result)
    if isinstance(result, Skipped):
        note("Skipped", record_events)
        assert result.reason
        return result
    note("ParsedDocument", record_events)
    record = result.record
    assert isinstance(record.title, str) and record.title.strip()
    assert "\0" not in record.title
    assert "\0" not in record.body
    for url in (record.web_url, record.original_url, record.amp_url, record.cdn_amp_url):
        if url:
            assert urlsplit(url).scheme.lower() in ("http", "https"), url
    for value in (record.quality, record.heat):
        assert value is None or (isinstance(value, int) and not isinstance(value, bool))
    assert record.published in (None, True, False)
    assert record.published_at is None or isinstance(record.published_at, datetime)
    assert len(result.record_hash) == 64
    return result


# (a) arbitrary bytes -------------------------------------------------------------------


@FAST
@given(st.binary(max_size=4096))
def test_arbitrary_bytes(data):
    check(data)


@FAST
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_after_a_fence(data):
    check(b"---\n" + data)


# (b) arbitrary text ------------------------------------------------------------------------


@FAST
@given(st.text(max_size=2048))
def test_arbitrary_text(text):
    check(text.encode("utf-8"))


# Text drawn mostly from YAML's punctuation, so that it forms mappings, lists and errors of
# every kind rather than one long scalar.
yaml_text = st.text(
    alphabet=st.sampled_from(list("ab1:-[]{},&*!|>?#'\"\\ \t\n\0é")) | st.characters(),
    max_size=300,
)


@FAST
@given(st.text(max_size=1024) | yaml_text, st.text(max_size=256))
def test_arbitrary_text_as_front_matter_and_body(front, body):
    check(f"---\n{front}\n---\n{body}".encode())


@FAST
@given(yaml_text)
def test_yaml_punctuation_under_a_title(front):
    check(f"---\ntitle: A title\n{front}\n---\n".encode())


# (c) almost valid documents ---------------------------------------------------------------


@st.composite
def mutated_documents(draw) -> str:
    text = draw(st.sampled_from(VALID_DOCUMENTS))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        kind = draw(
            st.sampled_from(
                ["delete", "insert", "insert-text", "duplicate-line", "delete-line", "digit"]
            )
        )
        if not text:
            break
        position = draw(st.integers(min_value=0, max_value=len(text)))
        if kind == "delete":
            end = draw(st.integers(min_value=position, max_value=min(len(text), position + 40)))
            text = text[:position] + text[end:]
        elif kind == "insert":
            text = text[:position] + draw(st.sampled_from(YAML_PUNCTUATION)) + text[position:]
        elif kind == "insert-text":
            text = text[:position] + draw(st.text(max_size=8)) + text[position:]
        elif kind == "digit":
            # Change a digit in place: dates, numbers, quality, heat.
            digits = [i for i, c in enumerate(text) if c.isdigit()]
            if digits:
                i = draw(st.sampled_from(digits))
                text = text[:i] + draw(st.sampled_from(string.digits)) + text[i + 1 :]
        else:
            lines = text.split("\n")
            i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            if kind == "duplicate-line":
                lines.insert(draw(st.integers(min_value=0, max_value=len(lines))), lines[i])
            else:
                del lines[i]
            text = "\n".join(lines)
    return text


def test_the_documents_to_mutate_are_valid():
    for text in VALID_DOCUMENTS:
        assert check(text.encode("utf-8"), record_events=False) is not None


@settings(FAST, max_examples=400)
@given(mutated_documents())
def test_almost_valid_documents(text):
    check(text.encode("utf-8"))


@FAST
@given(mutated_documents(), st.sampled_from(["\r\n", "\r"]), st.booleans())
def test_almost_valid_documents_with_other_line_endings_and_bom(text, newline, bom):
    check(((BOM if bom else "") + text.replace("\n", newline)).encode("utf-8"))


# (d) YAML-ish front matter -------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-2, max_value=200)
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(["", " ", "https://example.com/a", "javascript:alert(1)", "/logo.png"])
    | st.datetimes()
    | st.dates()
)
yamlish = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(NESTED_KEYS) | st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
front_matter = st.dictionaries(st.sampled_from(KEYS), yamlish, max_size=len(KEYS))


@st.composite
def yaml_documents(draw) -> str:
    mapping = draw(front_matter)
    if draw(st.booleans()):
        mapping.setdefault("title", draw(st.text(min_size=1, max_size=40)))
    dumped = yaml.safe_dump(
        mapping,
        allow_unicode=draw(st.booleans()),
        default_flow_style=draw(st.sampled_from([False, True, None])),
        sort_keys=False,
    )
    return f"---\n{dumped}---\n{draw(st.text(max_size=50))}"


@settings(FAST, max_examples=300)
@given(yaml_documents())
def test_yamlish_front_matter(text):
    check(text.encode("utf-8"))


# Front matter close to the real shape, so the nested checks run too.
image = st.fixed_dictionaries(
    {},
    optional={
        "url": yamlish,
        "width": yamlish,
        "height": yamlish,
        "isCached": yamlish,
        "title": yamlish,
    },
)
provider = st.fixed_dictionaries(
    {}, optional={"name": yamlish, "domain": yamlish, "images": st.lists(image, max_size=2)}
)
related = st.fixed_dictionaries(
    {},
    optional={
        "title": yamlish,
        "webUrl": yamlish,
        "publishedDateTime": yamlish,
        "quality": yamlish,
        "provider": provider,
        "images": st.lists(image, max_size=2),
    },
)
shaped_front_matter = st.fixed_dictionaries(
    {"title": st.text(min_size=1, max_size=40)},
    optional={
        "excerpt": yamlish,
        "quality": yamlish,
        "heat": yamlish,
        "published": yamlish,
        "topics": st.lists(yamlish, max_size=3),
        "images": st.lists(image, max_size=2),
        "related": st.lists(related, max_size=2),
        "provider": provider,
        "webUrl": yamlish,
        "publishedDateTime": yamlish,
    },
)


@settings(FAST, max_examples=300)
@given(shaped_front_matter)
def test_shaped_front_matter(mapping):
    check(f"---\n{yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False)}---\n".encode())


# --- Cases hypothesis found, pinned ----------------------------------------


@pytest.mark.parametrize(
    "front",
    [
        # found by test_almost_valid_documents:
        pytest.param("title: a\npublishedDateTime: 2021-15-04T11:36:00Z\n", id="month-15"),
        pytest.param("title: a\nseen: 2021-02-30\n", id="february-30"),
        pytest.param("title: a\nquality: !!int high\n", id="int-tag"),
        pytest.param("title: a\npublished: !!bool maybe\n", id="bool-tag"),
        pytest.param("title: a\nseen: !!timestamp soon\n", id="timestamp-tag"),
        pytest.param("title: a\nextra: !!map [a]\n", id="map-tag-on-a-list"),
        pytest.param("title: a\nextra: !!str [a]\n", id="str-tag-on-a-list"),
        pytest.param("title: a\nextra: !!seq {a: 1}\n", id="seq-tag-on-a-mapping"),
        pytest.param("title: a\nextra: " + "9" * 5000 + "\n", id="5000-digit-int"),
    ],
)
def test_yaml_values_that_cannot_be_built_are_document_errors(front):
    with pytest.raises(DocumentError):
        parse_document(f"---\n{front}---\n".encode(), max_bytes=MAX_BYTES)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x00", id="just-nul"),  # found by test_arbitrary_text
        pytest.param(b"Title\x00 x\n\nBody.\n", id="nul-in-first-line"),
    ],
)
def test_nul_in_a_plain_document_is_rejected(data):
    with pytest.raises(DocumentError, match="NUL"):
        parse_document(data, max_bytes=MAX_BYTES)

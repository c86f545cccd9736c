"""The pure parser's edges: fences, YAML typing, aliases, in isolation from the database."""

import pytest

from articles.importing.frontmatter import split_front_matter
from articles.importing.parse import parse_document
from articles.importing.records import DocumentError

MAX = 1 << 20


@pytest.mark.parametrize(
    ("text", "front", "body"),
    [
        ("---\na: 1\n---\nBody\n", "a: 1\n", "\nBody\n"),
        ("---\na: 1\n---   \nBody", "a: 1\n", "\nBody"),  # blanks after the fence
        ("---\na: 1\n---", "a: 1\n", ""),  # closing fence without a newline
        ("---\n---\n", "", "\n"),
        ("---\na: '---x'\n----\n---\n", "a: '---x'\n----\n", "\n"),  # not fences
        ("Plain title\n\nBody", None, "Plain title\n\nBody"),
    ],
)
def test_split_front_matter(text, front, body):
    assert split_front_matter(text) == (front, body)


def parse(front: str):
    return parse_document(f"---\n{front}---\n".encode(), max_bytes=MAX)


@pytest.mark.parametrize(
    "front",
    [
        "title: &t T\nexcerpt: *t\n",
        "title: T\ntopics: [&a x, *a]\n",
        'title: T\nx: {"a":&k 1, "b": *k}\n',
        "title: T\nx: !!str &k a\ny: *k\n",
        "title: T\nx:\n- &k\n  a: 1\n- *k\n",
    ],
)
def test_every_alias_is_refused(front):
    with pytest.raises(DocumentError, match="aliases"):
        parse(front)


def test_ampersands_in_text_and_urls_are_not_anchors():
    parsed = parse('title: Q&A & more\nwebUrl: "https://x.org/?a=1&b=2"\nexcerpt: AT&T &#038; co\n')
    assert parsed.record.title == "Q&A & more"
    assert parsed.record.excerpt == "AT&T &#038; co"


def test_text_keys_keep_what_was_written_other_keys_are_typed():
    parsed = parse("title: 0x1F\nexcerpt: on\nquality: 0x1F\npublished: on\n")
    assert (parsed.record.title, parsed.record.excerpt) == ("0x1F", "on")
    assert (parsed.record.quality, parsed.record.published) == (31, True)


def test_duplicate_key_names_both_lines_even_when_yaml_types_the_key():
    with pytest.raises(DocumentError) as error:
        parse("title: T\nyes: 1\ntrue: 2\n")
    assert (error.value.line, error.value.message) == (
        4,
        "duplicate key True (first on line 3); keep only one of them",
    )


def test_unknown_keys_are_kept_json_safe():
    parsed = parse("title: T\nwhen: 2021-01-02\nratio: .nan\nraw: !!binary aGk=\nn: {1: x}\n")
    assert parsed.record.extra == {
        "when": "2021-01-02",
        "ratio": "nan",
        "raw": "aGk=",
        "n": {"1": "x"},
    }


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("title: T\npublishedDateTime: 0001-01-01T00:00:00+01:00\n", "out of range in UTC"),
        ("title: T\npublishedDateTime: 9999-12-31T23:00:00-05:00\n", "out of range in UTC"),
        ("title: T\na: [" + "[]," * 2100 + "]\nb: x\x01y\n", "is not allowed"),
        ('title: "x \\xc3\\xa9 \\xc0\\x80 y"\n', "NUL"),
        ('title: T\n1: a\n"1": b\n', "same key"),
    ],
    ids=["year-1", "year-9999", "control-char-deep", "nul-after-repair", "key-collision"],
)
def test_edge_values_are_document_errors(front, message):
    with pytest.raises(DocumentError, match=message) as error:
        parse(front)
    assert error.value.line and "\n" not in error.value.message


def test_control_character_is_reported_on_its_line():
    with pytest.raises(DocumentError) as error:
        parse("title: T\nexcerpt: ok\nbad: x\x01y\n")
    assert error.value.line == 4


def test_mojibake_is_repaired_in_topics_and_plain_documents():
    front = parse("title: T\ntopics:\n  - Appenâ€™s\n")
    assert front.record.topics == ("Appen\u2019s",)
    plain = parse_document("Appenâ€™s story\n\nBody".encode(), max_bytes=MAX)
    assert plain.record.title == "Appen\u2019s story"
    assert plain.repairs == ("text",)


@pytest.mark.parametrize(
    ("front", "line"),
    [
        ('title: A\nwebUrl: https://x.example/a\nyes: "a\\0b"\n', 4),  # a key YAML types
        ("title: A\n2021: 1\nwebUrl: https://x.example/a\n2021: 2\n", 5),  # duplicated
    ],
)
def test_errors_name_the_line_of_keys_yaml_types(front, line):
    with pytest.raises(DocumentError) as error:
        parse(front)
    assert error.value.line == line

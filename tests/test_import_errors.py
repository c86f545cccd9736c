"""Malformed and hostile documents: each fails alone, with one clear line, and writes nothing.

Every case imports a folder holding the bad file and one good document, and checks that the
command fails, that stderr has exactly one line for the bad file (with the line number where
the problem has one), that the good document is in, and that no row of the bad one is.
"""

from dataclasses import dataclass

import pytest

from articles.models import Article, ArticleTopic, Image, Provider, RelatedItem, Topic

from .conftest import run_import

pytestmark = pytest.mark.django_db

GOOD = """---
title: "Good document"
webUrl: "https://good.example/article"
excerpt: "Imported whatever its neighbours are like."
publishedDateTime: 2024-01-02T03:04:05Z
type: article
quality: 12
heat: 5
published: true
provider:
  name: Good News
  domain: good.example
topics:
  - Good topic
images:
  - url: "https://good.example/picture.jpg"
    width: 640
    height: 480
related:
  - title: "Good related item"
    webUrl: "https://good.example/related"
---
Good body.
"""
# What GOOD writes, and nothing else may be in the database after a run with a bad file.
GOOD_ROWS = {
    Article: 1,
    Provider: 1,
    Topic: 1,
    ArticleTopic: 1,
    Image: 1,
    RelatedItem: 1,
}

# A complete document, one line per field so that every line number below is easy to check.
# Each case breaks one thing in it; everything it would write says "bad".
BAD = """---
title: "Bad document"
webUrl: "https://bad.example/article"
excerpt: "Should never be imported."
publishedDateTime: 2024-02-03T04:05:06Z
quality: 10
heat: 3
published: true
provider:
  name: Bad News
  domain: bad.example
topics:
  - Bad topic
images:
  - url: "https://bad.example/picture.jpg"
related:
  - title: "Bad related item"
    webUrl: "https://bad.example/related"
---
Bad body.
"""

ANY_LINE = -1  # the message has a line number, but which one is not pinned


def bad(old: str, new: str) -> str:
    """BAD with one piece of text replaced (which must be there)."""
    assert old in BAD, old
    return BAD.replace(old, new, 1)


@dataclass(frozen=True)
class Case:
    content: str | bytes
    message: str  # a substring of the reported message
    line: int | None  # None: the message has no line number
    max_bytes: int | None = None  # lowers NEWSROOM_IMPORT_MAX_BYTES for the case


CASES = {
    # --- the file as a whole ---
    "empty-file": Case(b"", "the file is empty: nothing to import", None),
    "whitespace-only": Case(" \n\t\n   \n\n", "the file is empty: nothing to import", None),
    "invalid-utf8": Case(
        BAD.encode().replace(b"Bad document", b"Bad \xff\xfe document"),
        "the file is not valid UTF-8 (byte 0xff at offset 16); save it as UTF-8",
        2,
    ),
    "over-size-limit": Case(
        bad("Should never be imported.", "x" * 3000),
        "bytes; the limit is 2,000 (NEWSROOM_IMPORT_MAX_BYTES): split it or raise the limit",
        None,
        max_bytes=2000,
    ),
    # --- YAML syntax and structure ---
    "front-matter-never-closed": Case(
        BAD.replace("---\nBad body.", "Bad body."),
        "the front matter opened with '---' on line 1 is never closed; "
        "add a line with only '---' after it",
        1,
    ),
    "yaml-unclosed-quote": Case(
        # The quote runs on to the next line's first quote; libyaml notices on line 3.
        bad('title: "Bad document"', 'title: "Bad document'),
        "invalid YAML: did not find expected key",
        3,
    ),
    "yaml-tab-indentation": Case(
        bad("  domain: bad.example", "\tdomain: bad.example"),
        "invalid YAML: found a tab character that violates indentation",
        11,
    ),
    "yaml-list-not-mapping": Case(
        "---\n- title: Bad document\n- webUrl: https://bad.example/article\n---\nBad body.\n",
        "the front matter must be a mapping of keys to values, but it is a list",
        2,
    ),
    "yaml-empty-front-matter": Case(
        "---\n---\nBad body.\n",
        "the front matter must be a mapping of keys to values, but it is nothing",
        2,
    ),
    "yaml-duplicate-key": Case(
        bad("published: true\n", "published: true\nquality: 20\n"),
        "duplicate key 'quality' (first on line 6); keep only one of them",
        9,
    ),
    "yaml-alias": Case(
        bad('excerpt: "Should never be imported."', 'excerpt: [&a "Bad", *a]'),
        "YAML aliases (*name) are not allowed; write the value out in full",
        4,
    ),
    "yaml-billion-laughs": Case(
        bad(
            "heat: 3\n",
            'heat: 3\nlol0: &a ["lol", "lol"]\nlol1: &b [*a, *a, *a]\nlol2: [*b, *b, *b]\n',
        ),
        "YAML aliases (*name) are not allowed",
        9,  # the first alias's line, where it is written
    ),
    "yaml-merge-key": Case(
        bad("  name: Bad News\n", "  <<: {name: Bad News}\n"),
        "YAML merge keys (<<) are not allowed; write the keys out in full",
        10,
    ),
    "yaml-python-tag": Case(
        bad("heat: 3\n", 'heat: 3\nextra: !!python/object/apply:os.system ["echo pwned"]\n'),
        # The message names the tag; its wording is "invalid YAML: could not determine a
        # constructor for the tag ..." at the time of writing, being reworded.
        "'tag:yaml.org,2002:python/object/apply:os.system'",
        8,
    ),
    "yaml-deep-flow-nesting": Case(
        bad("heat: 3\n", "heat: 3\nextra: " + "[" * 5000 + "]" * 5000 + "\n"),
        "the YAML nests more than 50 levels deep",
        8,
    ),
    "yaml-deep-mapping-nesting": Case(
        bad("heat: 3\n", "heat: 3\nextra: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n"),
        "the YAML nests more than 50 levels deep",
        8,
    ),
    "yaml-complex-key": Case(
        bad("heat: 3\n", "heat: 3\n? [a, b]\n: 1\n"),
        "a mapping key must be plain text",
        8,
    ),
    # --- the title ---
    "title-missing": Case(
        bad('title: "Bad document"\n', ""),
        "title is missing: every article needs a title",
        2,
    ),
    "title-blank": Case(
        bad('title: "Bad document"', 'title: "   "'),
        "title is blank: every article needs a title",
        2,
    ),
    "title-mapping": Case(
        bad('title: "Bad document"', "title:\n  text: Bad document"),
        "title must be text, got a mapping",
        2,
    ),
    "title-too-long": Case(
        bad('title: "Bad document"', f'title: "Bad document {"x" * 500}"'),
        "title is 513 characters long; the limit is 500",
        2,
    ),
    "title-nul-character": Case(
        bad('title: "Bad document"', 'title: "Bad\\0document"'),
        "title contains a NUL character (\\0); remove it",
        2,
    ),
    # --- numbers, booleans, dates ---
    "quality-text": Case(
        bad("quality: 10", "quality: high"),
        "quality must be a whole number of 0 or more, got the text 'high'",
        6,
    ),
    "quality-negative": Case(
        bad("quality: 10", "quality: -5"),
        "quality must be a whole number of 0 or more, got -5 (int)",
        6,
    ),
    "quality-boolean": Case(
        bad("quality: 10", "quality: true"),
        "quality must be a whole number of 0 or more, got true (a boolean)",
        6,
    ),
    "quality-too-large": Case(
        bad("quality: 10", "quality: 99999999999999999999"),
        "quality is 99999999999999999999, too large; the limit is 2147483647",
        6,
    ),
    "heat-minus-two": Case(
        bad("heat: 3", "heat: -2"),
        "heat must be a whole number of -1 or more (-1: not measured), got -2 (int)",
        7,
    ),
    "published-maybe": Case(
        bad("published: true", "published: maybe"),
        "published must be true or false, got the text 'maybe'",
        8,
    ),
    "published-datetime-not-a-date": Case(
        bad("publishedDateTime: 2024-02-03T04:05:06Z", "publishedDateTime: last Tuesday"),
        "publishedDateTime 'last Tuesday' is not a date and time; write it as 2021-05-04T11:36:00Z",
        5,
    ),
    "published-datetime-number": Case(
        bad("publishedDateTime: 2024-02-03T04:05:06Z", "publishedDateTime: 1706933106"),
        "publishedDateTime must be a date and time such as 2021-05-04T11:36:00Z, "
        "got 1706933106 (int)",
        5,
    ),
    # --- URLs ---
    "web-url-javascript": Case(
        bad('webUrl: "https://bad.example/article"', 'webUrl: "javascript:alert(1)"'),
        "webUrl 'javascript:alert(1)' is not an http(s) URL; "
        "only http:// and https:// links are accepted",
        3,
    ),
    "web-url-control-character": Case(
        bad('webUrl: "https://bad.example/article"', 'webUrl: "https://bad.example/\\x07"'),
        "webUrl contains control characters; remove them",
        3,
    ),
    "image-url-data": Case(
        bad('url: "https://bad.example/picture.jpg"', 'url: "data:image/png;base64,iVBORw0KGgo="'),
        "images[0].url 'data:image/png;base64,iVBORw0KGgo=' is not an http(s) URL",
        15,
    ),
    "image-url-protocol-relative": Case(
        bad('url: "https://bad.example/picture.jpg"', 'url: "//bad.example/picture.jpg"'),
        "images[0].url '//bad.example/picture.jpg' is not an http(s) URL",
        15,
    ),
    # --- lists and nested mappings ---
    "topics-not-a-list": Case(
        bad("topics:\n  - Bad topic", "topics: Bad topic"),
        "topics must be a list of names, got the text 'Bad topic'",
        12,
    ),
    "images-not-a-list": Case(
        bad('images:\n  - url: "https://bad.example/picture.jpg"', "images: bad.example"),
        "images must be a list, got the text 'bad.example'",
        14,
    ),
    "related-item-missing-title": Case(
        bad('  - title: "Bad related item"\n    webUrl', "  - webUrl"),
        "related[0].title is missing or empty",
        17,
    ),
    "related-item-not-a-mapping": Case(
        bad(
            '  - title: "Bad related item"\n    webUrl: "https://bad.example/related"',
            "  - Bad related item",
        ),
        "related item 1 must be a mapping of keys to values, got the text 'Bad related item'",
        16,
    ),
    "provider-missing-domain": Case(
        bad("  domain: bad.example\n", ""),
        "provider.domain is missing or empty",
        10,
    ),
    "provider-domain-is-a-url": Case(
        bad("  domain: bad.example", '  domain: "https://bad.example/"'),
        "provider.domain 'https://bad.example/' is not a domain name such as example.com",
        11,
    ),
    "provider-not-a-mapping": Case(
        bad("provider:\n  name: Bad News\n  domain: bad.example", "provider: bad.example"),
        "provider must be a mapping with name and domain, got the text 'bad.example'",
        9,
    ),
    # --- NUL characters elsewhere ---
    "nul-in-body": Case(
        BAD.replace("Bad body.", "Bad\0body."),
        "the file contains a NUL byte; remove it",
        20,
    ),
    "nul-in-unknown-key": Case(
        bad("heat: 3\n", 'heat: 3\nnote: "Bad\\0note"\n'),
        "note holds a NUL character (\\0); remove it",
        8,
    ),
}


def counts() -> dict:
    return {model: model.objects.count() for model in GOOD_ROWS}


def assert_good_imported_and_nothing_bad() -> None:
    assert Article.objects.get().title == "Good document"
    assert Article.objects.get().source_key == "https://good.example/article"
    assert counts() == GOOD_ROWS
    assert not Article.objects.filter(title__icontains="bad").exists()
    assert not Article.objects.filter(source_key__contains="bad.example").exists()
    assert not Provider.objects.filter(domain__contains="bad").exists()
    assert not Topic.objects.filter(name__icontains="bad").exists()
    assert not Image.objects.filter(url__contains="bad").exists()
    assert not RelatedItem.objects.filter(title__icontains="bad").exists()


def expected_prefix(path, line: int | None) -> str:
    return f"{path}:{line}: " if line else f"{path}: "


def stderr_lines(run) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_document_fails_alone(case, write_doc, tmp_path, settings):
    if case.max_bytes:
        settings.NEWSROOM_IMPORT_MAX_BYTES = case.max_bytes
    write_doc("good.md", GOOD)
    path = write_doc("bad.md", case.content)

    run = run_import(tmp_path)

    assert run.failed
    assert "1 created, 0 updated, 0 unchanged, 0 skipped, 1 failed" in run.error
    assert "1 file(s) failed" in run.error
    [message] = stderr_lines(run)  # exactly one line, and it is about the bad file
    assert message.startswith(f"{path}:")
    assert case.message in message
    if case.line == ANY_LINE:
        assert message.split(":")[1].isdigit(), message
    else:
        assert message.startswith(expected_prefix(path, case.line)), message
    assert_good_imported_and_nothing_bad()


def test_bad_document_named_on_the_command_line_is_reported_the_same_way(write_doc):
    good = write_doc("good.md", GOOD)
    path = write_doc("bad.txt", bad("quality: 10", "quality: high"))

    run = run_import(good, path)

    assert run.failed
    assert stderr_lines(run) == [
        f"{path}:6: quality must be a whole number of 0 or more, got the text 'high'"
    ]
    assert_good_imported_and_nothing_bad()


def test_missing_file_is_reported_and_the_others_are_imported(write_doc, tmp_path):
    good = write_doc("good.md", GOOD)
    missing = tmp_path / "nowhere.md"

    run = run_import(good, missing)

    assert run.failed
    assert stderr_lines(run) == [f"{missing}: cannot be read: No such file or directory"]
    assert_good_imported_and_nothing_bad()


def good_doc(n: int) -> str:
    return (
        GOOD.replace("Good document", f"Good document {n}")
        .replace("good.example/article", f"good.example/article-{n}")
        .replace("Good related item", f"Good related item {n}")
    )


def test_folder_mixing_good_and_bad_documents(write_doc, tmp_path):
    goods = [write_doc(f"good-{n}.md", good_doc(n)) for n in range(3)]
    goods.append(write_doc("sub/dir/good-3.txt", good_doc(3)))
    bads = {
        write_doc("a-bad-yaml.md", CASES["yaml-unclosed-quote"].content): 3,
        write_doc("sub/b-bad-quality.md", CASES["quality-text"].content): 6,
        write_doc("sub/dir/c-bad-url.markdown", CASES["web-url-javascript"].content): 3,
        write_doc("d-empty.txt", b""): None,
        write_doc("e-bad-utf8.md", CASES["invalid-utf8"].content): 2,
    }
    write_doc("notes.json", "{}")  # not a document suffix: ignored, not a failure

    run = run_import(tmp_path)

    assert run.failed
    assert "4 created, 0 updated, 0 unchanged, 0 skipped, 5 failed" in run.error
    assert "(1 files with other suffixes ignored)" in run.error
    assert "5 file(s) failed" in run.error
    lines = stderr_lines(run)
    assert len(lines) == len(bads)
    for path, line in bads.items():
        [message] = [m for m in lines if m.startswith(f"{path}:")]
        assert message.startswith(expected_prefix(path, line)), message
    for path in goods:
        assert str(path) not in run.stderr
    assert sorted(Article.objects.values_list("title", flat=True)) == [
        f"Good document {n}" for n in range(4)
    ]
    assert Provider.objects.get().domain == "good.example"
    assert list(Topic.objects.values_list("name", flat=True)) == ["Good topic"]
    assert RelatedItem.objects.count() == 4
    assert Image.objects.count() == 4
    assert not Article.objects.filter(title__icontains="bad").exists()


def test_other_document_types_are_skipped_not_failed(write_doc, tmp_path):
    write_doc("good-0.md", good_doc(0))
    write_doc("good-1.md", good_doc(1))
    conference = write_doc(
        "conference.md",
        "---\ntype: conference\nname: AI Summit\nwebUrl: https://bad.example/summit\n---\n",
    )
    profile = write_doc("profile.md", "---\nname: Ada Lovelace\ndomain: bad.example\n---\n")

    run = run_import(tmp_path)

    assert not run.failed, run.error
    assert "2 created, 0 updated, 0 unchanged, 2 skipped, 0 failed" in run.stdout
    assert stderr_lines(run) == [
        f"{conference}: skipped: type 'conference' is not an article",
        f"{profile}: skipped: it has a name but no title, so it is not an article",
    ]
    assert sorted(Article.objects.values_list("title", flat=True)) == [
        "Good document 0",
        "Good document 1",
    ]
    assert not Provider.objects.filter(domain="bad.example").exists()


def test_skipped_and_failed_documents_are_counted_apart(write_doc, tmp_path):
    write_doc("good.md", GOOD)
    write_doc("conference.md", "---\ntype: conference\nname: AI Summit\n---\n")
    write_doc("bad.md", CASES["heat-minus-two"].content)

    run = run_import(tmp_path)

    assert run.failed
    assert "1 created, 0 updated, 0 unchanged, 1 skipped, 1 failed" in run.error
    assert "1 file(s) failed" in run.error
    assert_good_imported_and_nothing_bad()


def test_a_bad_file_does_not_undo_an_earlier_import_of_it(write_doc, tmp_path):
    """A document that was fine and is now broken keeps its imported article."""
    path = write_doc("doc.md", good_doc(9))
    assert not run_import(tmp_path).failed

    write_doc("doc.md", good_doc(9).replace("quality: 12", "quality: high"))
    run = run_import(tmp_path)

    assert run.failed
    assert stderr_lines(run) == [
        f"{path}:7: quality must be a whole number of 0 or more, got the text 'high'"
    ]
    assert Article.objects.get().quality == 12


# --- Values YAML cannot build -----------------------------------------------------------------
# Values YAML cannot build (impossible dates, explicit tags on the wrong kind of value,
# integers too long to convert) are errors of that document alone, never a crash of the run.
ESCAPING = {
    "impossible-date": bad(
        "publishedDateTime: 2024-02-03T04:05:06Z", "publishedDateTime: 2021-02-30"
    ),
    "impossible-hour-in-unknown-key": bad("heat: 3\n", "heat: 3\nseen: 2021-05-04T25:00:00Z\n"),
    "explicit-int-tag": bad("quality: 10", "quality: !!int high"),
    "integer-over-4300-digits": bad("heat: 3\n", "heat: 3\nextra: " + "9" * 5000 + "\n"),
    "explicit-bool-tag": bad("published: true", "published: !!bool maybe"),
    "explicit-timestamp-tag": bad("heat: 3\n", "heat: 3\nseen: !!timestamp soon\n"),
    "map-tag-on-a-list": bad("heat: 3\n", "heat: 3\nextra: !!map [a]\n"),
    "str-tag-on-a-list": bad("heat: 3\n", "heat: 3\nextra: !!str [a]\n"),
    "seq-tag-on-a-mapping": bad("heat: 3\n", "heat: 3\nextra: !!seq {a: 1}\n"),
}


# NUL characters, which PostgreSQL refuses in text, wherever a document can hide them.
NUL = {
    "nul-in-topic": bad("  - Bad topic", '  - "Bad\\0topic"'),
    "nul-in-unknown-key-name": bad("heat: 3\n", 'heat: 3\n"bad\\0key": 1\n'),
    "nul-in-plain-document-title": "Bad\0document\n\nBad body.\n",
}


@pytest.mark.parametrize(
    ("content", "fragment"),
    [pytest.param(c, "", id=name) for name, c in ESCAPING.items()]
    + [pytest.param(c, "NUL", id=name) for name, c in NUL.items()],
)
def test_values_that_cannot_be_stored_fail_alone_with_their_line(
    content, fragment, write_doc, tmp_path
):
    write_doc("good.md", GOOD)
    path = write_doc("bad.md", content)

    run = run_import(tmp_path)

    assert run.failed
    [message] = stderr_lines(run)
    assert message.startswith(f"{path}:")
    assert message.split(":")[1].isdigit(), message
    assert fragment in message
    assert_good_imported_and_nothing_bad()

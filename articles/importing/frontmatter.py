"""Split a document into its YAML front matter and body, and read the YAML strictly.

Pure: no ORM, no files. A document is either a YAML front-matter block (`---` … `---`)
optionally followed by a Markdown body, or a plain text document with no front matter. The
YAML is composed by libyaml's C parser and built by our own code, stricter than `safe_load`:
duplicate keys and aliases are errors, and keys that hold text keep the text as written
(`title: yes` is the title "yes", not True). Every problem is a `DocumentError` with the
line of the file it concerns.
"""

from __future__ import annotations

import re

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .records import DocumentError

FENCE = "---"
STR_TAG = "tag:yaml.org,2002:str"
MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"
MERGE_TAG = "tag:yaml.org,2002:merge"

# Keys whose values are text wherever they appear (top level, provider, images, related).
TEXT_KEYS = frozenset(
    {
        "category",
        "title",
        "excerpt",
        "type",
        "secured",
        "name",
        "domain",
        "originalUrl",
        "webUrl",
        "ampWebUrl",
        "cdnAmpWebUrl",
        "url",
    }
)
# Keys whose values are lists of text.
TEXT_LIST_KEYS = frozenset({"topics"})

# libyaml composes nested nodes recursively in C and crashes the process somewhere past
# ten thousand levels. Real documents nest five deep; anything with this many nesting
# indicators gets a cheap event-by-event depth check before it is composed.
NESTING_SUSPECT = 2000
MAX_DEPTH = 50

# An anchor (`&name`) follows the start of a line, a blank or a flow indicator; an `&` in a
# URL's query or in "Q&A" does not. Only documents with one can hold aliases.
_ANCHOR = re.compile(r"(?:^|[\s\[{,:])&[^\s,\[\]{}]", re.MULTILINE)


class _Composer(yaml.CSafeLoader):
    """libyaml's parser and composer, with a leaner tag resolver.

    PyYAML calls `resolve` from C for every scalar; its own version concatenates lists and
    checks path resolvers each time, which costs a fifth of the parse. This one applies
    the same implicit resolvers (YAML 1.1 core types), and remembers the answer for short
    plain scalars, which are mostly the same few keys over and over.
    """

    _resolvers = {
        first: tuple(resolvers)
        for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
    }
    _known: dict[str, str] = {}

    def resolve(self, kind, value, implicit):
        if kind is not ScalarNode:
            return SEQ_TAG if kind is SequenceNode else MAP_TAG
        if not implicit[0]:
            return STR_TAG  # quoted
        tag = self._known.get(value)
        if tag is None:
            tag = STR_TAG
            for candidate, pattern in self._resolvers.get(value[:1], ()):
                if pattern.match(value):
                    tag = candidate
                    break
            if len(value) <= 24 and len(self._known) < 10_000:
                self._known[value] = tag
        return tag

    def descend_resolver(self, current_node, current_index):
        pass  # path resolvers are not used

    def ascend_resolver(self):
        pass


class LinedDict(dict):
    """A mapping that can tell the file line of each of its keys, for error messages."""

    __slots__ = ("line_offset", "node")

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1 + self.line_offset

    def line_of(self, key) -> int:
        return _key_line(self.node, key, self.line_offset) or self.line


class _Builder:
    """Turns the node graph libyaml composed into Python values, strictly.

    Leaner than PyYAML's SafeConstructor (no generators, no state machine), and stricter:
    duplicate keys, aliases and tags other than YAML's core types are errors.

    Aliases never reach it: load_front_matter refuses them, event by event, in any
    document with an anchor (`&name`), the only kind that can hold one.
    """

    def __init__(self, line_offset: int):
        self.line_offset = line_offset

    def line_of(self, node) -> int:
        return node.start_mark.line + 1 + self.line_offset

    def build(self, node, depth: int = 0):
        kind = node.__class__
        if kind is ScalarNode:
            return node.value if node.tag == STR_TAG else self.scalar(node)
        if depth >= MAX_DEPTH:
            raise DocumentError(
                f"the YAML nests more than {MAX_DEPTH} levels deep; flatten it",
                self.line_of(node),
            )
        if kind is MappingNode and node.tag == MAP_TAG:
            return self.build_mapping(node, depth)
        if kind is SequenceNode and node.tag == SEQ_TAG:
            return [self.build(item, depth + 1) for item in node.value]
        raise self.unsupported(node)

    def scalar(self, node: ScalarNode):
        build = _SCALARS.get(node.tag)
        if build is None:
            raise self.unsupported(node)
        try:
            return build(node)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, yaml.YAMLError):
            raise DocumentError(
                f"{node.value[:60]!r} is not a valid {node.tag.rpartition(':')[2]}",
                self.line_of(node),
            ) from None

    def unsupported(self, node) -> DocumentError:
        return DocumentError(
            f"the YAML tag {node.tag!r} is not supported here; use plain text, numbers, "
            "true/false, dates, lists and mappings",
            self.line_of(node),
        )

    def first_line_of(self, node: MappingNode, key) -> int:
        return _key_line(node, key, self.line_offset) or self.line_of(node)

    def build_mapping(self, node: MappingNode, depth: int) -> LinedDict:
        mapping = LinedDict()
        mapping.node = node
        mapping.line_offset = self.line_offset
        for key_node, value_node in node.value:
            if key_node.tag == STR_TAG:
                key = key_node.value  # the usual case, without a call
            elif key_node.tag == MERGE_TAG:
                raise DocumentError(
                    "YAML merge keys (<<) are not allowed; write the keys out in full",
                    self.line_of(key_node),
                )
            else:
                key = self.build(key_node, depth + 1)
                if isinstance(key, list | dict):
                    raise DocumentError("a mapping key must be plain text", self.line_of(key_node))
            if key in mapping:
                raise DocumentError(
                    f"duplicate key {key!r} (first on line {self.first_line_of(node, key)}); "
                    "keep only one of them",
                    self.line_of(key_node),
                )
            if value_node.__class__ is ScalarNode:
                # A plain scalar that YAML would type (yes, 2021, null) keeps its text where
                # the key holds text.
                if value_node.tag == STR_TAG or key in TEXT_KEYS:
                    mapping[key] = value_node.value
                else:
                    mapping[key] = self.scalar(value_node)
            elif key in TEXT_LIST_KEYS and value_node.__class__ is SequenceNode:
                mapping[key] = [self.text_item(item, depth + 2) for item in value_node.value]
            else:
                mapping[key] = self.build(value_node, depth + 1)
        return mapping

    def text_item(self, node, depth: int):
        if node.__class__ is not ScalarNode:
            return self.build(node, depth)
        return node.value


def _key_line(node: MappingNode, key, line_offset: int) -> int | None:
    """The file line of `key` in a mapping, typed keys (yes, null, 2021) included; for error
    messages only, so it builds the keys again rather than keep their lines for every map."""
    builder = _Builder(line_offset)
    for key_node, _ in node.value:
        if isinstance(key_node, ScalarNode):
            value = key_node.value if key_node.tag == STR_TAG else builder.scalar(key_node)
            if value == key:
                return builder.line_of(key_node)
    return None


_core = yaml.constructor.SafeConstructor()
_SCALARS = {
    "tag:yaml.org,2002:null": lambda node: None,
    "tag:yaml.org,2002:bool": _core.construct_yaml_bool,
    "tag:yaml.org,2002:int": _core.construct_yaml_int,
    "tag:yaml.org,2002:float": _core.construct_yaml_float,
    "tag:yaml.org,2002:timestamp": _core.construct_yaml_timestamp,
    "tag:yaml.org,2002:binary": _core.construct_yaml_binary,
}


def split_front_matter(text: str) -> tuple[str | None, str]:
    """Split a document into (front matter or None, body)."""
    first_line, _, rest = text.partition("\n")
    if first_line.rstrip() != FENCE:
        return None, text
    fence = _closing_fence(rest)
    if fence is None:
        raise DocumentError(
            "the front matter opened with '---' on line 1 is never closed; "
            "add a line with only '---' after it",
            1,
        )
    start, end = fence
    return rest[:start], rest[end:]


def _closing_fence(rest: str) -> tuple[int, int] | None:
    """Where the first line of only '---' (trailing blanks allowed) starts and ends.

    A plain search rather than a multi-line regex: this runs once per document imported.
    """
    start = 0 if rest.startswith(FENCE) else _next_fence(rest, 0)
    while start is not None:
        end = rest.find("\n", start)
        if end < 0:
            end = len(rest)
        if not rest[start + len(FENCE) : end].strip(" \t"):
            return start, end
        start = _next_fence(rest, end)
    return None


def _next_fence(rest: str, position: int) -> int | None:
    found = rest.find("\n" + FENCE, position)
    return None if found < 0 else found + 1


def load_front_matter(front: str) -> LinedDict:
    """Parse the YAML of a front-matter block that starts on line 2 of its file."""
    # Only a document with an anchor can hold an alias; checking events costs a parse.
    if _ANCHOR.search(front) or _nesting_indicators(front) > NESTING_SUSPECT:
        _check_events(front)
    loader = _Composer(front)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        raise yaml_error(error, front) from None
    except yaml.reader.ReaderError as error:
        raise reader_error(error, front) from None
    except yaml.YAMLError as error:
        raise DocumentError(f"invalid YAML: {str(error).splitlines()[0]}", 1) from None
    finally:
        loader.dispose()
    builder = _Builder(line_offset=1)
    data = None if node is None else builder.build(node)
    if not isinstance(data, LinedDict):
        kind = "nothing" if data is None else f"a {_yaml_kind(data)}"
        raise DocumentError(
            f"the front matter must be a mapping of keys to values, but it is {kind}", 2
        )
    return data


def reader_error(error: yaml.reader.ReaderError, text: str) -> DocumentError:
    """A character YAML does not allow (a control character, U+FFFE), on its line."""
    line = text[: error.position].count("\n") + 2
    # libyaml gives the character's code, PyYAML's own reader the character.
    code = error.character if isinstance(error.character, int) else ord(error.character)
    return DocumentError(
        f"invalid YAML: the unprintable character U+{code:04X} is not allowed; remove it", line
    )


def yaml_error(error: yaml.MarkedYAMLError, text: str = "") -> DocumentError:
    """libyaml's message, with the context it gives ("while scanning a quoted scalar")."""
    mark = error.problem_mark or error.context_mark
    problem = error.problem or "syntax error"
    if problem == "found invalid Unicode character escape code" and mark:
        lines = text.split("\n")
        escape = _bad_escape(lines[mark.line] if mark.line < len(lines) else "")
        if escape:
            return DocumentError(_BAD_ESCAPE.format(escape=escape), mark.line + 2)
    if error.context and error.context_mark:
        problem += f" ({error.context} that starts on line {error.context_mark.line + 2})"
    return DocumentError(f"invalid YAML: {problem}", mark.line + 2 if mark else 1)


# libyaml refuses an escape of a UTF-16 surrogate ("\ud800"), alone or in a pair as JSON
# writes characters beyond U+FFFF ("\ud83d\ude00"): a surrogate is not a character, and no
# database column can hold one (PostgreSQL refuses them). Its own message does not say so.
_BAD_ESCAPE = (
    "invalid YAML: the escape {escape} is half of a UTF-16 surrogate pair or past U+10FFFF, "
    "not a character; write the character itself, or one escape such as \\U0001F600 for "
    "a character beyond U+FFFF"
)
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))")


def _bad_escape(line: str) -> str | None:
    for match in _ESCAPE.finditer(line):
        code = int(match.group(1) or match.group(2), 16)
        if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            return match.group()
    return None


def _nesting_indicators(text: str) -> int:
    return text.count("[") + text.count("{") + text.count("- ") + text.count("? ")


def _check_events(text: str) -> None:
    """Refuse, event by event and before anything is composed, YAML that nests too deep
    or holds an alias.

    An alias is refused where it is written, before libyaml composes the graph that
    "billion laughs" documents (aliases of lists of aliases) blow up into when walked.
    """
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise DocumentError(
                        f"the YAML nests more than {MAX_DEPTH} levels deep; flatten it",
                        event.start_mark.line + 2,
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                raise DocumentError(
                    f"YAML aliases (*name) are not allowed; write the value out in full "
                    f"instead of *{event.anchor[:40]}",
                    event.start_mark.line + 2,
                )
    except yaml.MarkedYAMLError as error:
        raise yaml_error(error, text) from None
    except yaml.reader.ReaderError as error:
        raise reader_error(error, text) from None
    except yaml.YAMLError as error:
        raise DocumentError(f"invalid YAML: {str(error).splitlines()[0]}", 1) from None


def _yaml_kind(value) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "text"
    return type(value).__name__

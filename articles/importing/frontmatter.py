"""Split a document into its YAML front matter and body, and read the YAML strictly.

Pure: no ORM, no files. A document is either a YAML front-matter block (`---` … `---`)
optionally followed by a Markdown body, or a plain text document with no front matter. The
YAML is read with libyaml's C parser and a constructor that is stricter than `safe_load`:
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

_CLOSING_FENCE = re.compile(r"^---[ \t]*$", re.MULTILINE)


class LinedDict(dict):
    """A mapping that remembers the file line of each key, for error messages."""

    __slots__ = ("line", "lines")


class _Loader(yaml.CSafeLoader):
    """libyaml's parser with a strict, text-preserving constructor."""

    line_offset = 0

    def construct_object(self, node, deep=False):
        # An alias is the same node constructed a second time. The format never uses them,
        # and they are how "billion laughs" documents blow up.
        if node in self.constructed_objects:
            raise DocumentError(
                "YAML aliases (*name) are not allowed; write the value out in full",
                self.line_of(node),
            )
        return super().construct_object(node, deep=deep)

    def line_of(self, node) -> int:
        return node.start_mark.line + 1 + self.line_offset

    def construct_lined_mapping(self, node: MappingNode) -> LinedDict:
        mapping = LinedDict()
        mapping.line = self.line_of(node)
        mapping.lines = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise DocumentError(
                    "YAML merge keys (<<) are not allowed; write the keys out in full",
                    self.line_of(key_node),
                )
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise DocumentError(
                    "a mapping key must be plain text", self.line_of(key_node)
                ) from None
            if key in mapping:
                raise DocumentError(
                    f"duplicate key {key!r} (first on line {mapping.lines[key]}); "
                    "keep only one of them",
                    self.line_of(key_node),
                )
            mapping[key] = self.construct_value(key, value_node)
            mapping.lines[key] = self.line_of(key_node)
        return mapping

    def construct_value(self, key, node):
        if key in TEXT_KEYS and isinstance(node, ScalarNode):
            return self.construct_text(node)
        if key in TEXT_LIST_KEYS and isinstance(node, SequenceNode):
            # Mark the list as constructed so an alias to it is still caught.
            items = [
                self.construct_text(item)
                if isinstance(item, ScalarNode)
                else self.construct_object(item, deep=True)
                for item in node.value
            ]
            self.constructed_objects[node] = items
            return items
        return self.construct_object(node, deep=True)

    def construct_text(self, node: ScalarNode) -> str:
        if node in self.constructed_objects:
            raise DocumentError(
                "YAML aliases (*name) are not allowed; write the value out in full",
                self.line_of(node),
            )
        # A plain scalar that YAML would type (yes, 2021, 2021-05-04, null) keeps its text.
        self.constructed_objects[node] = node.value
        return node.value


_Loader.add_constructor(MAP_TAG, _Loader.construct_lined_mapping)


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """Split a document into (front matter or None, body, line where the body starts)."""
    first_line, _, rest = text.partition("\n")
    if first_line.rstrip() != FENCE:
        return None, text, 1
    closing = _CLOSING_FENCE.search(rest)
    if closing is None:
        raise DocumentError(
            "the front matter opened with '---' on line 1 is never closed; "
            "add a line with only '---' after it",
            1,
        )
    front = rest[: closing.start()]
    body_line = 2 + front.count("\n") + 1
    return front, rest[closing.end() :], body_line


def load_front_matter(front: str) -> LinedDict:
    """Parse the YAML of a front-matter block that starts on line 2 of its file."""
    if _nesting_indicators(front) > NESTING_SUSPECT:
        _check_depth(front)
    loader = _Loader(front)
    loader.line_offset = 1
    try:
        data = loader.get_single_data()
    except DocumentError:
        raise
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 2 if mark else 1
        problem = error.problem or error.context or "invalid YAML"
        raise DocumentError(f"invalid YAML: {problem}", line) from None
    except yaml.YAMLError as error:
        raise DocumentError(f"invalid YAML: {error}", 1) from None
    except RecursionError:
        raise DocumentError(f"the YAML nests more than {MAX_DEPTH} levels deep", 1) from None
    finally:
        loader.dispose()
    if not isinstance(data, LinedDict):
        kind = "nothing" if data is None else f"a {_yaml_kind(data)}"
        raise DocumentError(
            f"the front matter must be a mapping of keys to values, but it is {kind}", 2
        )
    return data


def _nesting_indicators(text: str) -> int:
    return text.count("[") + text.count("{") + text.count("- ") + text.count("? ")


def _check_depth(text: str) -> None:
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise DocumentError(
                        f"the YAML nests more than {MAX_DEPTH} levels deep",
                        event.start_mark.line + 2,
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise DocumentError(
            f"invalid YAML: {error.problem or 'syntax error'}", mark.line + 2 if mark else 1
        ) from None


def _yaml_kind(value) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "text"
    return type(value).__name__

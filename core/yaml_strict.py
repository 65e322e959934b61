"""The YAML library's part of yamlio: a strict safe loader and the dumper. Imported only
when a file is actually parsed (yamlio, yaml_memo): the import costs a command ~25 ms."""

from __future__ import annotations

from typing import Any

from yt_pipeline.yaml_charset import seed_pattern_cache

seed_pattern_cache()  # before yaml's import, which compiles the pattern (see there)
import yaml  # noqa: E402

from yt_pipeline.errors import ConfigError  # noqa: E402

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

#: values a document may hold once its aliases are expanded: a few hundred bytes of nested
#: aliases ("billion laughs") would otherwise stand for billions of values, which whatever
#: walks the result (a merge, a copy, a dump) never finishes
MAX_VALUES = 100_000
#: levels of nesting: far beyond any configuration, short of Python's recursion limit
MAX_DEPTH = 100
_MERGE_TAG = "tag:yaml.org,2002:merge"


class StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader, refusing duplicate keys and documents whose aliases expand too far
    or refer to themselves."""

    def construct_document(self, node: yaml.Node) -> Any:
        _check_expansion(node)
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                continue  # an unhashable key: the constructor reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def _check_expansion(root: yaml.Node) -> None:
    """Count the values of the document with every alias expanded, without expanding it:
    an alias is the same node object as its anchor, so each node's count is kept."""
    counts: dict[int, int] = {}
    open_nodes: set[int] = set()
    #: whether a node was met again (through an alias): the refusal says what made it big
    aliased = [False]

    def count(node: yaml.Node, depth: int) -> int:
        known = counts.get(id(node))
        if known is not None:
            aliased[0] = True
            return known
        if id(node) in open_nodes:
            raise yaml.constructor.ConstructorError(
                None, None, "an alias refers to a value that contains it", node.start_mark)
        if depth > MAX_DEPTH:
            raise yaml.constructor.ConstructorError(
                None, None, f"nested deeper than {MAX_DEPTH} levels", node.start_mark)
        total = 1
        if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)):
            open_nodes.add(id(node))
            children = (node.value if isinstance(node, yaml.SequenceNode)
                        else [child for pair in node.value for child in pair])
            for child in children:
                total += count(child, depth + 1)
                if total > MAX_VALUES:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"aliases expand to more than {MAX_VALUES:,} values"
                        if aliased[0] else f"holds more than {MAX_VALUES:,} values, more "
                        "than any configuration needs", node.start_mark)
            open_nodes.discard(id(node))
        counts[id(node)] = total
        return total

    count(root, 0)


#: errors of text that is not YAML at all (it does not scan or parse), as opposed to YAML
#: that parses but cannot be built (an alias, a duplicate key, an odd tag)
NOT_YAML = (yaml.reader.ReaderError, yaml.scanner.ScannerError, yaml.parser.ParserError)
#: what building a document may raise besides YAMLError: odd tags in the C loader, an
#: integer of more digits than Python converts
BUILD_ERRORS = (ValueError, TypeError, RecursionError, OverflowError)


def load(text: str) -> Any:
    return yaml.load(text, Loader=StrictLoader)


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


def invalid(exc: BaseException, shown: str, key: str | None) -> ConfigError:
    if isinstance(exc, yaml.YAMLError):
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return ConfigError(f"invalid YAML{where}: {problem}", file=shown, key=key)
    message = " ".join(str(exc).split())[:200]
    return ConfigError(f"invalid YAML: {message}", file=shown, key=key)

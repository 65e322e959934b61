"""YAML reading with errors that name the file and the line, and atomic YAML writing."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from yt_pipeline.errors import ConfigError

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

#: values a document may hold once its aliases are expanded: a few hundred bytes of nested
#: aliases ("billion laughs") would otherwise stand for billions of values, which whatever
#: walks the result (a merge, a copy, a dump) never finishes
MAX_VALUES = 100_000
#: levels of nesting: far beyond any configuration, short of Python's recursion limit
MAX_DEPTH = 100
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
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

    def count(node: yaml.Node, depth: int) -> int:
        known = counts.get(id(node))
        if known is not None:
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
                        None, None, f"aliases expand to more than {MAX_VALUES:,} values",
                        node.start_mark)
            open_nodes.discard(id(node))
        counts[id(node)] = total
        return total

    count(root, 0)


#: errors of text that is not YAML at all (it does not scan or parse), as opposed to YAML
#: that parses but cannot be built (an alias, a duplicate key, an odd tag)
_NOT_YAML = (yaml.reader.ReaderError, yaml.scanner.ScannerError, yaml.parser.ParserError)
#: what building a document may raise besides YAMLError: odd tags in the C loader, an
#: integer of more digits than Python converts
_BUILD_ERRORS = (ValueError, TypeError, RecursionError, OverflowError)


def load_yaml_text(text: str, *, shown: str, key: str | None = None) -> Any:
    """Parse YAML text with the limits above; errors are one ConfigError line naming
    `shown` (a file, a variable, --set) and `key`."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except (yaml.YAMLError, *_BUILD_ERRORS) as exc:
        raise _invalid(exc, shown, key) from None


def parse_scalar(raw: str, shown: str) -> Any:
    """A value given as text (an environment variable, `--set key=value`), read as YAML:
    `8` a number, `[a, b]` a list. Text that is not YAML at all stays text; YAML that
    parses but cannot be built (a recursive alias, a duplicate key) is an error naming
    `shown`. One parse, with the loader and limits of the configuration files."""
    if not raw.strip():
        return ""
    try:
        return yaml.load(raw, Loader=_StrictLoader)
    except _NOT_YAML:
        return raw
    except (yaml.YAMLError, *_BUILD_ERRORS) as exc:
        raise _invalid(exc, shown, None) from None


def _invalid(exc: BaseException, shown: str, key: str | None) -> ConfigError:
    if isinstance(exc, yaml.YAMLError):
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return ConfigError(f"invalid YAML{where}: {problem}", file=shown, key=key)
    message = " ".join(str(exc).split())[:200]
    return ConfigError(f"invalid YAML: {message}", file=shown, key=key)


def scalar_text(value: Any) -> str:
    """A value written as `parse_scalar` reads it back (for a --set in a command line)."""
    return value if isinstance(value, str) else dump_yaml(value).strip().removesuffix(
        "...").strip()


def read_yaml_mapping(path: Path, *, display: str | None = None) -> dict[str, Any]:
    """Parse a YAML file whose top level must be a mapping (an empty file is `{}`)."""
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})", file=shown) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", file=shown) from None
    data = load_yaml_text(text, shown=shown)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"the top level must be a mapping of keys, not {type(data).__name__}", file=shown
        )
    bad = [k for k in data if not isinstance(k, str)]
    if bad:
        raise ConfigError(f"keys must be strings, found {bad[0]!r}", file=shown)
    return data


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


def durable_mode(mode: str) -> bool:
    """Whether a run's own files (state, commit journal, run record) are forced to disk as
    they are written. Not in dev: its tables are written to the page cache and renamed into
    place, never forced, so forcing the files that describe them would not make a dev run
    survive a machine crash, and it costs the run the writing out of every table written
    before (some 0.1 s a run of a million rows, bench/compare). Any process kill loses
    nothing either way: a renamed file is whole. Prod's tables live on the cluster, and its
    state is forced to disk."""
    return mode != "dev"


def write_file_atomic(path: Path, text: str, *, durable: bool = True) -> None:
    """Write a file so that a reader sees the old or the new content, never a mix; with
    `durable`, on disk before this returns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise

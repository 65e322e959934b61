"""The part of `yt-pipeline migrate` that reads stage configs: keys of yt-framework's
operation sections that yt-pipeline refuses are listed with file:line and what to write
instead. The files are not rewritten as a whole (YAML comments would not survive a
rewrite); only a line that says what yt-pipeline always does (`tar_command_bootstrap:
true`, one line of a block mapping) is deleted, the rest of the file kept byte for byte."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import yaml

from yt_pipeline.migrate import FileChange, Problem
from yt_pipeline.migrate_rules import DROPPED_KEYS, OPERATION_KEYS, RESOURCE_KEYS


def _mapping_items(node: yaml.Node) -> Iterator[tuple[yaml.ScalarNode, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                yield key, value


def _child(node: yaml.Node, name: str) -> yaml.Node | None:
    return next((v for k, v in _mapping_items(node) if k.value == name), None)


def _sections(text: str) -> Iterator[tuple[yaml.ScalarNode, yaml.Node]]:
    root = yaml.compose(text)
    client = _child(root, "client") if root is not None else None
    operations = _child(client, "operations") if client is not None else None
    yield from _mapping_items(operations) if operations is not None else ()


def drop_redundant_keys(text: str) -> str:
    """`text` without the lines of the operation keys that say what yt-pipeline always does
    (DROPPED_KEYS), when each is one line of a block mapping with other keys beside it;
    anything else is left for `config_problems` to report."""
    try:
        sections = list(_sections(text))
    except yaml.YAMLError:
        return text
    lines = text.splitlines(keepends=True)
    drop = set()
    for _, section in sections:
        items = list(_mapping_items(section))
        if getattr(section, "flow_style", False) or len(items) < 2:
            continue
        for key, value in items:
            line = key.start_mark.line
            if key.value in DROPPED_KEYS and isinstance(value, yaml.ScalarNode) \
                    and value.end_mark.line == line and line < len(lines) \
                    and lines[line].lstrip().startswith(key.value):
                drop.add(line)
    return "".join(text for number, text in enumerate(lines) if number not in drop)


def config_problems(path: Path, shown: Path, text: str | None = None) -> list[Problem]:
    try:
        sections = list(_sections(path.read_text(encoding="utf-8") if text is None else text))
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as error:
        return [Problem(shown, 1, f"cannot read it as YAML: {error}")]
    problems = []
    for name, section in sections:
        for key, value in _mapping_items(section):
            if key.value in OPERATION_KEYS:
                problems.append(Problem(shown, key.start_mark.line + 1,
                                        f"operations.{name.value}.{key.value}: "
                                        f"{OPERATION_KEYS[key.value]}"))
            if key.value == "resources":
                for resource, _ in _mapping_items(value):
                    if resource.value in RESOURCE_KEYS:
                        problems.append(Problem(
                            shown, resource.start_mark.line + 1,
                            f"operations.{name.value}.resources.{resource.value}: "
                            f"{RESOURCE_KEYS[resource.value]}"))
    return problems


def stage_config_changes(root: Path) -> list[FileChange]:
    """Each stage's config.yaml, with what `drop_redundant_keys` deletes and the problems
    left in it (nothing is written)."""
    changes = []
    for path in sorted(root.glob("stages/*/config.yaml")):
        try:
            before = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            changes.append(FileChange(path, "", "", [Problem(path, 1, f"cannot read it: {error}")]))
            continue
        after = drop_redundant_keys(before)
        changes.append(FileChange(path, before, after, config_problems(path, path, after)))
    return changes


def stage_config_problems(root: Path) -> list[Problem]:
    return [problem for change in stage_config_changes(root) for problem in change.problems]

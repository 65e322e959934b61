"""The part of `yt-pipeline migrate` that reads stage configs: keys of yt-framework's
operation sections that yt-pipeline refuses are listed with file:line and what to write
instead. The files are not rewritten (YAML comments would not survive a rewrite)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import yaml

from yt_pipeline.migrate import Problem
from yt_pipeline.migrate_rules import OPERATION_KEYS, RESOURCE_KEYS


def _mapping_items(node: yaml.Node) -> Iterator[tuple[yaml.ScalarNode, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                yield key, value


def _child(node: yaml.Node, name: str) -> yaml.Node | None:
    return next((v for k, v in _mapping_items(node) if k.value == name), None)


def config_problems(path: Path, shown: Path) -> list[Problem]:
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as error:
        return [Problem(shown, 1, f"cannot read it as YAML: {error}")]
    client = _child(root, "client") if root is not None else None
    operations = _child(client, "operations") if client is not None else None
    problems = []
    for name, section in _mapping_items(operations) if operations is not None else ():
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


def stage_config_problems(root: Path) -> list[Problem]:
    found = []
    for path in sorted(root.glob("stages/*/config.yaml")):
        found += config_problems(path, path)
    return found

"""Scripts a stage's `job:` section chose for yt-framework's command-mode reduce and
map-reduce. With `tar_command_bootstrap: true` yt-framework ran, for those legs, a wrapper
of its code archive whose script came from `job.map_reduce_command.mapper_script` /
`.reducer_script` or `job.reduce_command.reducer_script`, whatever command the stage
passed (yt_framework/operations/_internal/upload_wrappers.py,
_resolve_map_reduce_command_scripts and _resolve_reduce_command_script). yt-pipeline runs
the script the stage passes, so `migrate`, which deletes that key, names each such script
for the user to check."""

from __future__ import annotations

from pathlib import Path

import yaml

from yt_pipeline.migrate import Problem

#: job section -> (script key, the leg and the call it names the script of)
_NAMED_SCRIPTS = {
    "map_reduce_command": {"mapper_script": "mapper of run_map_reduce (mapper=)",
                           "reducer_script": "reducer of run_map_reduce (reducer=)"},
    "reduce_command": {"reducer_script": "reducer of run_reduce (reducer=)"},
}


def _items(node: yaml.Node | None) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        return []
    return [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)]


def _child(node: yaml.Node | None, name: str) -> yaml.Node | None:
    return next((v for k, v in _items(node) if k.value == name), None)


def _bootstrapped(root: yaml.Node | None) -> bool:
    """Whether an operation section sets tar_command_bootstrap to true."""
    operations = _child(_child(root, "client"), "operations")
    for _, section in _items(operations):
        value = _child(section, "tar_command_bootstrap")
        if isinstance(value, yaml.ScalarNode) and value.value.lower() in ("true", "yes", "on"):
            return True
    return False


def job_script_problems(text: str, shown: Path) -> list[Problem]:
    """A line to check for each script the `job:` section names for a bootstrapped leg."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return []
    if not _bootstrapped(root):
        return []
    problems = []
    job = _child(root, "job")
    for section_name, keys in _NAMED_SCRIPTS.items():
        for key, value in _items(_child(job, section_name)):
            leg = keys.get(key.value)
            if leg is None or not isinstance(value, yaml.ScalarNode) or not value.value:
                continue
            script = f"src/{value.value}"
            problems.append(Problem(shown, key.start_mark.line + 1, (
                f"job.{section_name}.{key.value}: yt-framework ran {script} as the {leg} "
                "whatever script the stage passed (tar_command_bootstrap: true); yt-pipeline "
                f"runs the script the stage passes: pass {script} there and name it in the "
                "operation section"), check=True))
    return problems

"""Stacks: a mode and its settings, chosen by name (`Pipeline(..., stack="prod")`).

A stack names where a function-step pipeline runs: `dev` (tables under `<folder>/.dev`),
`prod` (the cluster of YT_PROXY), or one of yours, registered with `register_stack`, which
adds a configuration file (a `configs/config.yaml` of its own: a pool, a build folder,
another cluster's settings) to the mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from yt_pipeline.errors import ConfigError


@dataclass(frozen=True)
class Stack:
    name: str
    mode: str
    #: the configuration file the stack runs with (None: the folder's, if any)
    config_file: Path | None = None


_STACKS: dict[str, Stack] = {"dev": Stack("dev", "dev"), "prod": Stack("prod", "prod")}


def register_stack(stack: Stack) -> Stack:
    _STACKS[stack.name] = stack
    return stack


def resolve_stack(stack: str | Stack | None) -> Stack | None:
    if stack is None or isinstance(stack, Stack):
        return stack
    found = _STACKS.get(stack)
    if found is None:
        raise ConfigError(f"unknown stack {stack!r} (known: {', '.join(sorted(_STACKS))}); "
                          "register it with register_stack(Stack(name, mode, config_file))")
    return found

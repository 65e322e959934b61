"""What the runner runs: `RunUnit` (one stage or function step) inside a `RunTarget`.

Folder pipelines (`stage_units.py`) and function-step pipelines (`steps.py`) both describe
themselves this way, so one runner, one cache and one state file serve both.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from yt_pipeline.conditions import Condition
from yt_pipeline.digests import blake2b
from yt_pipeline.errors import ConfigError
from yt_pipeline.graph import StageGraph
from yt_pipeline.retry_policy import NO_RETRY, RetryPolicy

if TYPE_CHECKING:
    import pluggy

    from yt_pipeline.client import TableClient
    from yt_pipeline.config import PipelineConfig

Debug = dict[str, Any]


class RunUnit(msgspec.Struct):
    """One node of the DAG and how to run it."""

    name: str
    #: (debug merged from upstream, run id, table client) -> this unit's debug; the client
    #: is the one of the attempt's transaction
    execute: Callable[[Debug, str, TableClient], Debug]
    inputs: list[str] = msgspec.field(default_factory=list)
    outputs: list[str] = msgspec.field(default_factory=list)
    #: the other tables it is known to write (its operations' output tables): like
    #: `outputs`, a cache hit needs each of them to exist
    writes: list[str] = msgspec.field(default_factory=list)
    #: the other tables it is known to read (its operations' input tables): like
    #: `inputs`, their content is part of its cache key
    reads: list[str] = msgspec.field(default_factory=list)
    #: None: follow the pipeline's `cache` setting
    cache: bool | None = None
    retry: RetryPolicy = NO_RETRY
    #: (the error of the last attempt, debug merged from upstream) -> this unit's debug,
    #: given instead of a failure (a step's `on_failure`); it runs in a transaction of its
    #: own, after the failed attempts' writes were dropped
    fallback: Callable[[BaseException, Debug], Debug] | None = None
    when: Condition | None = None
    #: names a `when:` condition may use, given the incoming debug
    condition_names: Callable[[Debug], Mapping[str, Any]] = lambda debug: {"debug": debug}
    #: hashes of the unit's code and of its own configuration, for the cache
    code_hash: Callable[[], str] = lambda: ""
    config_hash: Callable[[], str] = lambda: ""
    #: (the run's client) -> what else its code can read, by cache component (`imports`,
    #: `uploads`, `files`: name -> digest, see code_files.py; `secrets`: one digest, see
    #: job_secrets.py), empty components left out
    read_files: Callable[[Any], dict[str, Any]] = lambda client: {}
    #: where the unit is declared, for error messages
    source: str | None = None
    #: how messages name it and what it hands on: ("stage", "debug") or ("step", "output")
    kind: tuple[str, str] = ("stage", "debug")


class RunTarget(msgspec.Struct):
    """A pipeline as the runner sees it."""

    pipeline_dir: Path
    mode: str
    #: names the state file, records and lock: `dev`, or `<pipeline name>.dev` for steps
    state_name: str
    units: dict[str, RunUnit]
    graph: StageGraph
    #: the pipeline's table client (made on first use)
    client: Callable[[], TableClient]
    #: the lifecycle hooks are called through it (`hookcalls.LifecycleHooks`)
    hook: pluggy.HookRelay
    settings: PipelineConfig
    settings_hash: str
    workers: int
    cache_default: bool
    #: the command that resumes this pipeline after a failure
    resume_command: str
    #: the files the units' code can read (a folder pipeline's `CodeFiles`), or None
    code_files: Any = None
    #: a function-step pipeline's file and steps, kept with its state (definition.py)
    definition: dict[str, Any] | None = None


def digest(*parts: bytes | str) -> str:
    h = blake2b(digest_size=12)
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


def digest_value(value: Any) -> str:
    """A stable hash of JSON-like data; other objects hash by their repr."""
    try:
        text = json.dumps(value, sort_keys=True, default=repr, separators=(",", ":"))
    except (ValueError, TypeError):
        # an int too long for decimal text (sys.get_int_max_str_digits), keys of mixed or
        # non-JSON types (a context value {1: ..., "a": ...}): hashed in a plain form
        text = json.dumps(_plain(value), default=repr, separators=(",", ":"))
    return digest(text)


def _plain(value: Any) -> Any:
    """`value` with dicts as pairs sorted by their text and long ints as hex text, so that
    json.dumps takes it and gives the same text in every process."""
    if type(value) is int:
        return f"int 0x{value:x}" if value.bit_length() > 2000 else value
    if isinstance(value, dict):
        pairs = [[_plain(key), _plain(item)] for key, item in value.items()]
        return {"dict": sorted(pairs, key=_sort_text)}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return {"set": sorted((_plain(item) for item in value), key=_sort_text)}
    return value


def _sort_text(value: Any) -> str:
    return json.dumps(value, default=repr)


def table_list(value: Any, *, source: str | None, key: str) -> list[str]:
    """`inputs:`/`outputs:` of a stage: a list of YT paths (one path alone is accepted)."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"must be a list of table paths, got {value!r}", file=source, key=key)
    for path in value:
        if not path.startswith("//"):
            raise ConfigError(f"not a YT path (must start with //): {path!r}", file=source, key=key)
    return list(value)


def flag(value: Any, *, source: str | None, key: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ConfigError(f"must be true or false, got {value!r}", file=source, key=key)

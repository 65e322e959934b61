"""Type checks for the known configuration keys; each failure names the key and its source."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from yt_pipeline import yql_wait
from yt_pipeline.errors import ConfigError

if TYPE_CHECKING:
    from yt_pipeline.config import PipelineConfig


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def _is_upload_paths(value: Any) -> bool:
    if not isinstance(value, list):
        return False
    for item in value:
        if isinstance(item, str) and item:
            continue
        if isinstance(item, Mapping) and isinstance(item.get("source"), str) and item["source"]:
            if set(item) <= {"source", "target"} and isinstance(item.get("target", ""), str):
                continue
        return False
    return True


def _is_positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


# key -> (check, what the value must be)
KNOWN_KEYS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "pipeline.build_folder": (
        lambda v: isinstance(v, str) and v.startswith("//"),
        "a YT path starting with //",
    ),
    "pipeline.upload_modules": (_is_str_list, "a list of module names"),
    "pipeline.upload_paths": (
        _is_upload_paths,
        "a list of folders, each a string or {source, target}",
    ),
    "pipeline.workers": (_is_positive_int, "a whole number of 1 or more"),
    "pipeline.cache": (lambda v: isinstance(v, bool), "true or false"),
    "pipeline.dev_dir": (lambda v: isinstance(v, str) and v.strip() != "", "a folder name"),
    yql_wait.KEY: (yql_wait.valid, yql_wait.EXPECTED),
    "stages.enabled_stages": (_is_str_list, "a list of stage names"),
}


#: the keys yt-pipeline reads in its own sections (`pickling`: yt-framework's, no effect)
OWN_KEYS = {
    "pipeline": ("mode", "build_folder", "upload_modules", "upload_paths", "workers", "cache",
                 "dev_dir", "yql_timeout_s", "prod", "pickling"),
    "stages": ("enabled_stages", "graph"),
}


def validate(config: PipelineConfig, modes: Collection[str] | None = None) -> None:
    """Check the known keys; `pipeline.mode` must be one of `modes` (default: the modes the
    installed plugins register)."""
    data = config.data
    for section in ("pipeline", "stages"):
        if not isinstance(data.get(section), Mapping):
            raise ConfigError(
                "must be a mapping of keys", file=config.source_of(section), key=section
            )
    _check_spelling(config)
    _check_mode(config, modes)
    for dotted, (check, expected) in KNOWN_KEYS.items():
        value = config.get(dotted, _MISSING)
        if value is _MISSING:
            continue
        if not check(value):
            raise ConfigError(f"must be {expected}, got {_show(value, config)}",
                              file=config.source_of(dotted), key=dotted)
    enabled = config.get("stages.enabled_stages")
    if enabled:
        seen: set[str] = set()
        for name in enabled:
            if name in seen:
                raise ConfigError(
                    f"stage {name} is listed twice",
                    file=config.source_of("stages.enabled_stages"),
                    key="stages.enabled_stages",
                )
            seen.add(name)
    graph = config.get("stages.graph", _MISSING)
    if graph is not _MISSING and graph is not None:
        _validate_graph(config, graph)
        if enabled:
            _refuse_chain_and_graph(config)


def _refuse_chain_and_graph(config: PipelineConfig) -> None:
    """Both a chain and a graph: the error names the one a higher layer (--set, a variable)
    added over the other, the one the user just wrote, and where the other one is set."""
    chain, graph = "stages.enabled_stages", "stages.graph"
    named, other = (chain, graph) if config.source_of(graph) == config.display_file \
        and config.source_of(chain) != config.display_file else (graph, chain)
    message = f"use either {chain} (a chain) or {graph} (a DAG), not both"
    if config.source_of(other) != config.source_of(named):
        message += f" ({other} is set in {config.source_of(other)})"
    raise ConfigError(message, file=config.source_of(named), key=named)


def _check_mode(config: PipelineConfig, modes: Collection[str] | None) -> None:
    from yt_pipeline.modes import DISTRIBUTION_OF, missing_mode

    if modes is None:
        from yt_pipeline.modes import mode_names
        from yt_pipeline.plugins import get_plugin_manager

        modes = mode_names(get_plugin_manager())
    mode = config.get("pipeline.mode")
    if isinstance(mode, str) and mode in modes:
        return
    source = config.source_of("pipeline.mode")
    installed = sorted(modes)
    if isinstance(mode, str) and mode in DISTRIBUTION_OF:  # a mode of ours, not installed
        raise missing_mode(mode, installed, source)
    raise ConfigError(f"must be one of: {', '.join(installed)}, got {_show(mode, config)}",
                      file=source, key="pipeline.mode")


def _check_spelling(config: PipelineConfig) -> None:
    """A name close to one of ours is a misspelling, not a setting of its own: left alone it
    would be kept and ignored (`pipline: {mode: prod}` running in dev). Other unknown names
    are kept, for plugins and the user's own sections."""
    for section in config.data:
        if section not in OWN_KEYS:
            _refuse_if_close(config, section, section, OWN_KEYS)
    for section, keys in OWN_KEYS.items():
        for key in config.data[section]:
            if key not in keys:
                _refuse_if_close(config, f"{section}.{key}", key, keys, prefix=f"{section}.")


def _refuse_if_close(config: PipelineConfig, dotted: str, name: str, known: Iterable[str],
                     prefix: str = "") -> None:
    close = difflib.get_close_matches(str(name), list(known), n=1, cutoff=CLOSE)
    if close:
        raise ConfigError(f"unknown key: did you mean {prefix}{close[0]}?",
                          file=config.source_of(dotted), key=dotted)


#: how alike a name must be to one of ours to be taken for a misspelling of it
CLOSE = 0.75

#: the top-level keys of a stage's config.yaml the runner reads (stage_units.py), and the
#: keys of its `client` section (operation_config.py); yt-framework's `job` section is read
#: by the jobs alone
STAGE_KEYS = ("inputs", "outputs", "cache", "retry", "when", "checkpoints", "client")
STAGE_CLIENT_KEYS = ("operations",)
_WORD_BREAK = re.compile(r"[_\-.\s]+")


#: the sections of a stage's config.yaml read as mappings: `client` and its `operations` by
#: the operation helpers (operations.py, operation_config.py), `job` by the jobs. Given as
#: null or a list, each would be found wrong only when read, mid-run or in a job.
STAGE_MAPPINGS = ("client", "client.operations", "job")


def check_stage_sections(data: Mapping[str, Any], file: str | None) -> None:
    """A section the framework reads as a mapping, present with any other value (null
    included: `client:` with its keys commented out) is refused before anything runs."""
    for dotted in STAGE_MAPPINGS:
        node: Any = data
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                break
            node = node[part]
        else:
            if not isinstance(node, Mapping):
                shown = "null" if node is None else type(node).__name__
                raise ConfigError(f"must be a mapping of keys, got {shown}", file=file,
                                  key=dotted)


def check_stage_spelling(data: Mapping[str, Any], file: str | None) -> None:
    """A stage's config.yaml also holds the user's own keys, so only a key close to one the
    runner reads is refused: `input:` left alone would be kept and ignored, the stage's
    dependencies and cache key missing an input. A key that holds one of ours as a whole
    word (`raw_inputs`, `outputs_dir`, `client_id`) is the user's own."""
    for key in data:
        _refuse_stage_key(key, STAGE_KEYS, file, "")
    client = data.get("client")
    if isinstance(client, Mapping):
        for key in client:
            _refuse_stage_key(key, STAGE_CLIENT_KEYS, file, "client.")


def _refuse_stage_key(key: Any, known: tuple[str, ...], file: str | None, prefix: str) -> None:
    name = str(key)
    if name in known or name == "job":
        return
    lowered = name.lower()
    if set(_WORD_BREAK.split(lowered)) & set(known) and lowered not in known:
        return
    close = difflib.get_close_matches(lowered, known, n=1, cutoff=CLOSE)
    if close:
        raise ConfigError(f"unknown key: did you mean {prefix}{close[0]}?", file=file,
                          key=f"{prefix}{name}")


def _validate_graph(config: PipelineConfig, graph: Any) -> None:
    source = config.source_of("stages.graph")
    if not isinstance(graph, Mapping):
        raise ConfigError(
            f"must be a mapping of stage -> [dependencies], got {_show(graph, config)}",
            file=source,
            key="stages.graph",
        )
    for name, deps in graph.items():
        key = f"stages.graph.{name}"
        if deps is None:
            continue
        if not _is_str_list(deps):
            raise ConfigError(
                f"must be a list of stage names, got {_show(deps, config)}", file=source, key=key
            )


_MISSING = object()


def _show(value: Any, config: PipelineConfig) -> str:
    # masked before it is cut: the cut would leave the start of a secret no mask finds
    from yt_pipeline.secret_forms import all_forms, mask_text

    text = mask_text(repr(value), all_forms(config.secret_values()))
    return text if len(text) <= 60 else text[:57] + "..."

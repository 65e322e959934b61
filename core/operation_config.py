"""The keys of an operation section (`client.operations.<name>` in a stage's config) and
their checks, shared by `build_spec` and by the check of every stage's sections before a run
starts (and by --dry-run).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yt_pipeline import limits
from yt_pipeline.errors import ConfigError

KINDS = ("map", "reduce", "map_reduce", "sort", "vanilla")
DEFAULT_SCRIPTS = {
    "mapper": "src/mapper.py",
    "reducer": "src/reducer.py",
    "vanilla": "src/vanilla.py",
}
RESOURCE_KEYS = {
    "memory_limit_gb": (int, float),
    "cpu_limit": (int, float),
    "job_count": (int,),
    "gpu_limit": (int,),
    "pool": (str,),
    "pool_tree": (str,),
    "docker_image": (str,),
    "timeout_s": (int, float),
}
KNOWN_KEYS = {
    "input_table", "input_tables", "output_table", "output_tables", "append", "reduce_by",
    "sort_by", "resources", "env", "file_paths", "max_failed_job_count", "mapper", "reducer",
    "script", "name", "spec",
}


#: key -> (lowest, highest, whole numbers only, lowest excluded, unit): a timeout of 0 or
#: less would kill every job, .nan would switch the timeout off
RESOURCE_RANGES = {
    "memory_limit_gb": (0, limits.MAX_MEMORY_GB, False, True, " GB"),
    "cpu_limit": (0, limits.MAX_CPU, False, True, ""),
    "job_count": (1, limits.MAX_JOB_COUNT, True, False, ""),
    "gpu_limit": (0, limits.MAX_GPU, True, False, ""),
    "timeout_s": (0, limits.MAX_TIMEOUT_S, False, True, " s"),
}


@dataclass(frozen=True)
class Resources:
    memory_limit_gb: float | None = None
    cpu_limit: float | None = None
    job_count: int | None = None
    gpu_limit: int | None = None
    pool: str | None = None
    pool_tree: str | None = None
    docker_image: str | None = None
    timeout_s: float | None = None


def _as_dict(op_config: Any) -> dict[str, Any]:
    if hasattr(op_config, "to_dict"):
        return op_config.to_dict()
    if isinstance(op_config, Mapping):
        return dict(op_config)
    if op_config is None:
        return {}
    raise ConfigError(f"operation config must be a mapping, got {type(op_config).__name__}")


def _tables(cfg: dict[str, Any], single: str, plural: str, where: str) -> list[str]:
    value = cfg.get(plural, cfg.get(single))
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError("must be a table path or a list of table paths", key=f"{where}.{single}")
    return list(value)


def _columns(cfg: dict[str, Any], key: str, where: str) -> list[str]:
    value = cfg.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError("must be a column name or a list of column names", key=f"{where}.{key}")
    return list(value)




def key_order_problem(reduce_by: list[str], sort_by: list[str]) -> str | None:
    """Why reduce_by and sort_by cannot go together, or None. YT groups the rows a reduce
    sorted by sort_by, so reduce_by must be its prefix ("The reduce_by field sequence should
    be set as the prefix of the sort_by field sequence": YTsaurus docs, Reduce)."""
    if reduce_by and sort_by and sort_by[: len(reduce_by)] != reduce_by:
        return (f"reduce_by [{', '.join(reduce_by)}] must be a prefix of sort_by "
                f"[{', '.join(sort_by)}]")
    return None


def check_operation_sections(stage_name: str, stage_dir: Path, stage_config: Any) -> None:
    """Check a stage's `client.operations` sections before the run starts, so a mistake in
    the last stage's operation is found before the first stage has done anything: unknown
    keys, table and column lists, resources, and the script of a section named after its
    kind (`operations.map` runs src/mapper.py unless it says otherwise)."""
    client: Any = stage_config.get("client") if hasattr(stage_config, "get") else None
    sections: Any = client.get("operations") if hasattr(client, "get") else None
    if not hasattr(sections, "items"):
        return
    file = getattr(stage_config, "file", None)
    for name, section in sections.items():
        where = f"client.operations.{name}"

        def fail(message: str, key: str, where: str = where) -> ConfigError:
            return ConfigError(f"stage {stage_name}: {message}", file=file, key=f"{where}.{key}")

        if not hasattr(section, "items"):
            raise ConfigError(f"stage {stage_name}: must be a mapping of operation keys",
                              file=file, key=where)
        cfg = _as_dict(section)
        unknown = sorted(set(cfg) - KNOWN_KEYS)
        if unknown:
            raise fail(f"unknown operation key (known: {', '.join(sorted(KNOWN_KEYS))})",
                       unknown[0])
        try:
            for single, plural in (("input_table", "input_tables"),
                                   ("output_table", "output_tables")):
                _tables(cfg, single, plural, where)
            reduce_by, sort_by = (_columns(cfg, column, where)
                                  for column in ("reduce_by", "sort_by"))
        except ConfigError as exc:
            raise ConfigError(f"stage {stage_name}: {exc}", file=file) from None
        # a section named after a kind that has no reduce key is not checked for one
        problem = (key_order_problem(reduce_by, sort_by)
                   if name not in ("map", "sort", "vanilla") else None)
        if problem:
            operation = cfg.get("name") or name
            raise fail(f"operation {operation}: {problem}", "reduce_by")
        _resources(cfg.get("resources"), fail)
        _max_failed_jobs(cfg.get("max_failed_job_count"), fail)
        if name in KINDS:
            roles = {"map": ["mapper"], "reduce": ["reducer"], "map_reduce": ["mapper", "reducer"],
                     "vanilla": ["script"]}.get(str(name), [])
            for role, script in zip(roles, _scripts_of(str(name), cfg), strict=True):
                if not (Path(stage_dir) / script).is_file():
                    raise fail(f"script {script} not found in {stage_dir}", role)


def _scripts_of(kind: str, cfg: dict[str, Any]) -> list[str]:
    scripts = []
    if kind in ("map", "map_reduce"):
        scripts.append(str(cfg.get("mapper") or (cfg.get("script") if kind == "map" else None)
                           or DEFAULT_SCRIPTS["mapper"]))
    if kind in ("reduce", "map_reduce"):
        scripts.append(str(cfg.get("reducer") or (cfg.get("script") if kind == "reduce" else None)
                           or DEFAULT_SCRIPTS["reducer"]))
    if kind == "vanilla":
        scripts.append(str(cfg.get("script") or DEFAULT_SCRIPTS["vanilla"]))
    return scripts


def _resources(value: Any, fail: Any) -> Resources:
    if value is None:
        return Resources()
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    if not isinstance(value, Mapping):
        raise fail("must be a mapping", "resources")
    for key, item in value.items():
        types = RESOURCE_KEYS.get(key)
        if types is None:
            raise fail(f"unknown resource (known: {', '.join(RESOURCE_KEYS)})", f"resources.{key}")
        if item is not None and (isinstance(item, bool) or not isinstance(item, types)):
            raise fail(f"must be {' or '.join(t.__name__ for t in types)}", f"resources.{key}")
        bounds = RESOURCE_RANGES.get(key)
        if item is not None and bounds is not None:
            low, high, integer, low_open, unit = bounds
            if not limits.in_range(item, low, high, integer=integer, low_open=low_open):
                expected = limits.describe(low, high, integer=integer, low_open=low_open,
                                           unit=unit)
                raise fail(f"must be {expected}, got {item!r}", f"resources.{key}")
    return Resources(**value)


def _max_failed_jobs(value: Any, fail: Any) -> None:
    if value is not None and not limits.in_range(value, 0, limits.MAX_FAILED_JOBS, integer=True):
        expected = limits.describe(0, limits.MAX_FAILED_JOBS, integer=True)
        raise fail(f"must be {expected}, got {value!r}", "max_failed_job_count")



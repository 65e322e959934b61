"""The keys of an operation section (`client.operations.<name>` in a stage's config) and
their checks: one reader (`read_section`), used by `build_spec` and by the check of every
stage's sections before a run starts (and by --dry-run).
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from yt_pipeline import limits, table_paths
from yt_pipeline.config_schema import CLOSE
from yt_pipeline.errors import ConfigError
from yt_pipeline.join_keys import check_join
from yt_pipeline.operation_names import DEFAULT_SCRIPTS, KINDS, operation_sections
from yt_pipeline.pool_names import pool_problem, pool_tree_problem
from yt_pipeline.spec_keys import check_spec_section

log = logging.getLogger("yt_pipeline.config")

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
    "script", "name", "spec", "join_by",
}


#: key -> (lowest, highest, whole numbers only, lowest excluded, unit): .nan would switch
#: the timeout off; a timeout under 1 s is refused by a cluster's scheduler (job_time_limit
#: is 1 s at least: TUserJobSpec in yt/yt/ytlib/scheduler/config.cpp), so both modes refuse it
RESOURCE_RANGES = {
    "memory_limit_gb": (0, limits.MAX_MEMORY_GB, False, True, " GB"),
    "cpu_limit": (0, limits.MAX_CPU, False, True, ""),
    "job_count": (1, limits.MAX_JOB_COUNT, True, False, ""),
    "gpu_limit": (0, limits.MAX_GPU, True, False, ""),
    "timeout_s": (limits.MIN_TIMEOUT_S, limits.MAX_TIMEOUT_S, False, False, " s"),
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


#: builds the error for a key of the section being read: (message, key) -> ConfigError
Fail = Callable[[str, str], ConfigError]

#: the scripts each kind runs, by the OperationSpec field that holds them
ROLES: dict[str, tuple[str, ...]] = {
    "map": ("mapper",), "reduce": ("reducer",), "map_reduce": ("mapper", "reducer"),
    "vanilla": ("script",), "sort": (),
}
_DEFAULT_OF_ROLE = {"mapper": "mapper", "reducer": "reducer", "script": "vanilla"}
#: kinds whose sections have no reduce key to check against sort_by
_NO_REDUCE = ("map", "sort", "vanilla")


class Section(msgspec.Struct, frozen=True):
    """One operation section (`client.operations.<name>`), every key checked."""

    #: the operation's name: its `name:` key, else the section's
    name: str
    inputs: list[str]
    outputs: list[str]
    reduce_by: list[str]
    sort_by: list[str]
    resources: Resources
    #: a reduce's key joining its foreign tables (join_keys.py); empty without them
    join_by: list[str]
    #: role (mapper, reducer, script) -> script path in the stage folder; known only when
    #: the kind is
    scripts: dict[str, str]


def failing(stage_name: str, file: str | None, where: str) -> Fail:
    def fail(message: str, key: str) -> ConfigError:
        return ConfigError(f"stage {stage_name}: {message}", file=file, key=f"{where}.{key}")

    return fail


def _unknown(what: str, name: Any, known: Iterable[str]) -> str:
    """`unknown operation key`, with the key it most likely misspells (`reduceby`), and
    the known ones."""
    close = difflib.get_close_matches(str(name), list(known), n=1, cutoff=CLOSE)
    hint = f": did you mean {close[0]}?" if close else ""
    return f"unknown {what}{hint} (known: {', '.join(known)})"


def read_section(cfg: dict[str, Any], kind: str | None, name: str, stage_dir: Path,
                 fail: Fail) -> Section:
    """Check a section's keys, for an operation of `kind` (None: not known yet, as before a
    run for a section not named after a kind: its scripts are not checked then)."""
    unknown = sorted(set(cfg) - KNOWN_KEYS)
    if unknown:
        raise fail(_unknown("operation key", unknown[0], sorted(KNOWN_KEYS)), unknown[0])
    inputs = _tables(cfg, "input_table", "input_tables", fail)
    outputs = _tables(cfg, "output_table", "output_tables", fail)
    output_key = "output_tables" if cfg.get("output_tables") is not None else "output_table"
    check_sort_output(kind, outputs, fail, output_key)
    check_repeated_outputs(outputs, fail, output_key)
    check_spec_section(cfg.get("spec"), fail)  # refuses a spec that is not a mapping too
    check_spec_tables(cfg.get("spec"), fail)
    check_spec_pools(cfg.get("spec"), fail)
    reduce_by, sort_by = _columns(cfg, "reduce_by", fail), _columns(cfg, "sort_by", fail)
    label = str(cfg.get("name") or name)
    problem = key_order_problem(reduce_by, sort_by) if kind not in _NO_REDUCE else None
    if problem:
        raise fail(f"operation {label}: {problem}", "reduce_by")
    join_by = _columns(cfg, "join_by", fail)
    check_join(kind, inputs, "input_tables" if cfg.get("input_tables") is not None
               else "input_table", reduce_by, join_by, fail)
    resources = _resources(cfg.get("resources"), fail)
    _max_failed_jobs(cfg.get("max_failed_job_count"), fail)
    check_append(kind, cfg.get("append", False), fail)
    scripts = _scripts(kind, cfg, stage_dir, fail) if kind is not None else {}
    return Section(label, inputs, outputs, reduce_by, sort_by, resources, join_by, scripts)


def require_keys(kind: str, section: Section, fail: Fail,
                 supplied: frozenset[str] = frozenset()) -> None:
    """The keys an operation of `kind` cannot go without (a sort without an output table
    sorts in place; a reduce's sort_by defaults to its reduce_by). Keys in `supplied` are
    not required: the stage's code may add them to the section before it launches it."""
    missing = []
    if kind != "vanilla" and not section.inputs:
        missing.append(("an input table is required", "input_table"))
    if kind in ("map", "reduce", "map_reduce") and not section.outputs:
        missing.append(("an output table is required", "output_table"))
    if kind in ("reduce", "map_reduce") and not section.reduce_by:
        missing.append(("reduce_by is required", "reduce_by"))
    if kind == "sort" and not section.sort_by:
        missing.append(("sort_by is required", "sort_by"))
    for message, key in missing:
        if key not in supplied:
            raise fail(message, key)


#: a required key the stage's code names, as a string or a keyword (`{"input_table": t}`,
#: `input_table=t`)
_NAMED_KEY = re.compile(r"""["'](input_tables?|output_tables?|reduce_by|sort_by)["']"""
                        r"""|\b(input_tables?|output_tables?|reduce_by|sort_by)\s*=(?!=)""")


def keys_named_in_code(stage_dir: Path) -> frozenset[str]:
    """The operation keys the stage's stage.py names, as when it completes a section at run
    time (`OmegaConf.merge(self.config.client.operations.sort, {"input_table": t})`, as
    yt-framework's guide shows): those are checked when the operation is launched, not
    before the run."""
    try:
        text = (stage_dir / "stage.py").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    found = {a or b for a, b in _NAMED_KEY.findall(text)}
    return frozenset(key.rstrip("s") if key.endswith("_tables") else key for key in found)


def as_dict(op_config: Any) -> dict[str, Any]:
    if hasattr(op_config, "to_dict"):
        result: dict[str, Any] = op_config.to_dict()
        return result
    if isinstance(op_config, Mapping):
        return dict(op_config)
    if op_config is None:
        return {}
    raise ConfigError(f"operation config must be a mapping, got {type(op_config).__name__}")


def _tables(cfg: dict[str, Any], single: str, plural: str, fail: Fail) -> list[str]:
    # an error names the key the section wrote (input_tables wins when both are there)
    key = plural if cfg.get(plural) is not None else single
    return table_list(cfg.get(key), key, fail)


def table_list(value: Any, key: str, fail: Fail) -> list[str]:
    """The paths of `key` (a path, or a list of paths: `output_table` and `output_tables`
    take either), each one a path both backends run as written (table_paths.py). Checked
    when the configuration is read and again when an operation is launched, whatever built
    its spec."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise fail("must be a table path or a list of table paths", key)
    for text in value:
        try:
            table_paths.parse(text, output=key.startswith("output"))
        except table_paths.PathProblem as problem:
            raise fail(str(problem), key) from None
    return list(value)


#: YT spec keys that name an operation's tables: under `spec:` they would replace the
#: section's tables in prod (a list replaces what was built), attributes and all, while dev
#: runs the section's own
SPEC_TABLE_KEYS = ("input_table_paths", "output_table_paths", "output_table_path")


def check_spec_tables(value: Any, fail: Fail, where: str = "spec") -> None:
    """Refuse table paths under `spec:` (at any depth: a vanilla task's
    output_table_paths too)."""
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    if not isinstance(value, Mapping):
        return
    for key, item in value.items():
        if key in SPEC_TABLE_KEYS:
            raise fail("an operation's tables are its input_table(s) and output_table(s) "
                       "keys; under spec they would replace those in prod and be ignored "
                       "in dev", f"{where}.{key}")
        check_spec_tables(item, fail, f"{where}.{key}")


def check_sort_output(kind: str | None, outputs: list[str], fail: Fail, key: str) -> None:
    """A sort writes one table: its spec has one output_table_path (ytsaurus-client's
    run_sort takes one destination_table and SortSpecBuilder.output_table_path one path).
    Given several, both backends sorted into the first; prod created the others empty."""
    if kind == "sort" and len(outputs) > 1:
        raise fail(f"a sort writes one output table, got {len(outputs)} "
                   f"({', '.join(outputs)}): sort each table in an operation of its own",
                   key)


def _first_repeat(values: Iterable[str]) -> str | None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


def check_repeated_columns(columns: list[str], fail: Fail, key: str) -> None:
    """A key column given twice: YT's scheduler refuses the spec ("Duplicate sort column
    name", ValidateSortColumns in yt/yt/client/table_client/column_sort_schema.cpp, run on
    sort_by, reduce_by and join_by), so both modes refuse it."""
    repeat = _first_repeat(columns)
    if repeat is not None:
        raise fail(f"column {repeat} is listed twice", key)


def check_repeated_outputs(outputs: list[str], fail: Fail, key: str) -> None:
    """One table written twice by an operation: YT's scheduler refuses equal entries of
    output_table_paths ("Duplicate entries in output_table_paths are not allowed",
    ValidateOutputTablePaths in yt/yt/ytlib/scheduler/config.cpp). An output is a plain
    path (table_paths.parse) and prod gives every output the same attributes, so a table
    listed twice is such an equal entry."""
    repeat = _first_repeat(table_paths.plain(path) for path in outputs)
    if repeat is not None:
        raise fail(f"{repeat} is listed twice: an operation writes each output table once",
                   key)


def _columns(cfg: dict[str, Any], key: str, fail: Fail) -> list[str]:
    value = cfg.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and any(_sort_order(v) for v in value):
        # a cluster sorts a column descending when asked ({name: x, sort_order:
        # descending}); dev's sort and reduce know one order only, so both modes refuse it
        order = next(_sort_order(v) for v in value if _sort_order(v))
        raise fail(f"sort order {order!r} is not supported: give column names, which sort "
                   "ascending", key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail("must be a column name or a list of column names", key)
    check_repeated_columns(value, fail, key)
    return list(value)


def _sort_order(item: Any) -> str | None:
    """The sort_order of a column given as a mapping ({name: x, sort_order: descending})."""
    if hasattr(item, "to_dict"):
        item = item.to_dict()
    if isinstance(item, Mapping) and item.get("sort_order") is not None:
        return str(item["sort_order"])
    return None


def key_order_problem(reduce_by: list[str], sort_by: list[str]) -> str | None:
    """Why reduce_by and sort_by cannot go together, or None. YT groups the rows a reduce
    sorted by sort_by, so reduce_by must be its prefix ("The reduce_by field sequence should
    be set as the prefix of the sort_by field sequence": YTsaurus docs, Reduce)."""
    if reduce_by and sort_by and sort_by[: len(reduce_by)] != reduce_by:
        return (f"reduce_by [{', '.join(reduce_by)}] must be a prefix of sort_by "
                f"[{', '.join(sort_by)}]")
    return None


#: what a job's variable may be named. YT's scheduler refuses an `environment` name with other
#: characters than ASCII letters, digits and `_` when it parses the spec
#: (ValidateEnvironmentVariableName, yt/yt/ytlib/controller_agent/helpers.cpp), and a secret
#: reaches the job as YT_SECURE_VAULT_<name>, which the job's bash exports under <name> only
#: when that is a shell identifier (no leading digit).
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def env_items(value: Any, fail: Fail) -> list[tuple[str, Any]]:
    """`env` as (name, value) pairs; a listed name has the value None."""
    if value is None:
        return []
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    if isinstance(value, list):
        items: list[tuple[Any, Any]] = [(name, None) for name in value]
    elif isinstance(value, Mapping):
        items = list(value.items())
    else:
        raise fail("must be a list of names or a mapping of name: value", "env")
    for name, _given in items:
        if not isinstance(name, str) or not name:
            raise fail("variable names must be strings", "env")
        if not ENV_NAME.fullmatch(name):
            raise fail(f"{name!r} cannot be a variable name: use letters, digits and _, not "
                       "starting with a digit (a cluster refuses other characters in a job's "
                       "environment, and a secret's name must be one the job's shell can "
                       "export)", f"env.{name}")
    return items


#: credentials a run checks on its own (a prod --dry-run needs none of them)
_CREDENTIALS = ("YT_TOKEN", "YT_PROXY")


def check_env(cfg: dict[str, Any], fail: Fail,
              secret_of: Callable[[str], str | None] | None) -> None:
    """The names of a section's `env`, and that each one asking for a secret (a listed name,
    or a null value) has one in secrets.env or the environment."""
    for name, given in env_items(cfg.get("env"), fail):
        if given is None and secret_of is not None and name not in _CREDENTIALS \
                and secret_of(name) is None:
            raise fail(f"{name} is not in secrets.env nor in the environment", f"env.{name}")


def check_operation_sections(stage_name: str, stage_dir: Path, stage_config: Any,
                             warned: set[str] | None = None,
                             secret_of: Callable[[str], str | None] | None = None) -> None:
    """Check a stage's `client.operations` sections before the run starts, so a mistake in
    the last stage's operation is found before the first stage has done anything: the checks
    `build_spec` makes, except those that depend on the kind when the section is not named
    after one (`operations.map` runs src/mapper.py unless it says otherwise). `secret_of`
    finds the secrets `env` asks for."""
    sections = operation_sections(stage_config)
    if sections is None:
        return
    file = getattr(stage_config, "file", None)
    for name, section in sections.items():
        where = f"client.operations.{name}"
        if not hasattr(section, "items"):
            raise ConfigError(f"stage {stage_name}: must be a mapping of operation keys",
                              file=file, key=where)
        kind = str(name) if name in KINDS else None
        cfg, fail = as_dict(section), failing(stage_name, file, where)
        names_a_script = any(cfg.get(key) for key in ("mapper", "reducer", "script"))
        read = read_section(cfg, kind if names_a_script else None, str(name), Path(stage_dir),
                            fail)
        check_env(cfg, fail, secret_of)
        if kind is not None:
            # named after its kind, the section says what it runs, so what that kind cannot
            # go without is known now; a section of another name may serve any kind
            require_keys(kind, read, fail, keys_named_in_code(Path(stage_dir)))
            check_append(kind, cfg.get("append", False), fail)
            check_sort_output(kind, read.outputs, fail, "output_tables"
                              if cfg.get("output_tables") is not None else "output_table")
        if kind is not None and not names_a_script:
            _warn_missing_default(kind, cfg, Path(stage_dir), fail, warned)


def _warn_missing_default(kind: str, cfg: dict[str, Any], stage_dir: Path, fail: Fail,
                          warned: set[str] | None) -> None:
    """A section that relies on the default script (src/mapper.py) before that script is
    written is a plan, not a mistake: the other stages can run, and this operation is refused
    when it is launched. A script the section names and that is missing stays an error
    before the run: it is most likely a misspelt path."""
    try:
        _scripts(kind, cfg, stage_dir, fail)
    except ConfigError as missing:
        message = f"{missing}; the operation will fail if the stage launches it"
        if warned is None or message not in warned:  # a run checks its plan more than once
            log.warning("%s", message)
        if warned is not None:
            warned.add(message)


def _scripts(kind: str, cfg: dict[str, Any], stage_dir: Path, fail: Fail) -> dict[str, str]:
    """The script of each role of `kind`, each checked to exist; an error names the key that
    gave it (`script:` may name the only script of a map or a reduce)."""
    roles = ROLES[kind]
    scripts = {}
    for role in roles:
        key = "script" if len(roles) == 1 and not cfg.get(role) and cfg.get("script") else role
        script = str(cfg.get(key) or DEFAULT_SCRIPTS[_DEFAULT_OF_ROLE[role]])
        if not (stage_dir / script).is_file():
            raise fail(f"script {script} not found in {stage_dir}", key)
        scripts[role] = script
    return scripts


def _resources(value: Any, fail: Fail) -> Resources:
    if value is None:
        return Resources()
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    if not isinstance(value, Mapping):
        raise fail("must be a mapping", "resources")
    for key, item in value.items():
        types = RESOURCE_KEYS.get(key)
        if types is None:
            raise fail(_unknown("resource", key, RESOURCE_KEYS), f"resources.{key}")
        if item is not None and (isinstance(item, bool) or not isinstance(item, types)):
            raise fail(f"must be {' or '.join(t.__name__ for t in types)}", f"resources.{key}")
        bounds = RESOURCE_RANGES.get(key)
        if item is not None and bounds is not None:
            low, high, integer, low_open, unit = bounds
            if not limits.in_range(item, low, high, integer=integer, low_open=low_open):
                expected = limits.describe(low, high, integer=integer, low_open=low_open,
                                           unit=unit)
                raise fail(f"must be {expected}, got {item!r}", f"resources.{key}")
    check_pool_names(value.get("pool"), value.get("pool_tree"), fail)
    return Resources(**value)


def check_pool_names(pool: Any, pool_tree: Any, fail: Fail) -> None:
    """`resources.pool` and `resources.pool_tree`, refused when a cluster's scheduler would
    refuse them as the operation starts (pool_names.py); an empty one goes to no cluster."""
    _check_name(pool, pool_problem, fail, "resources.pool")
    _check_name(pool_tree, pool_tree_problem, fail, "resources.pool_tree")


def check_spec_pools(section: Any, fail: Fail, where: str = "spec") -> None:
    """The `pool` and `pool_trees` of a `spec:` section, which prod sends as they are."""
    if hasattr(section, "to_dict"):
        section = section.to_dict()
    if not isinstance(section, Mapping):
        return
    _check_name(section.get("pool"), pool_problem, fail, f"{where}.pool")
    trees = section.get("pool_trees")
    for tree in trees if isinstance(trees, list) else []:
        _check_name(tree, pool_tree_problem, fail, f"{where}.pool_trees")


def _check_name(value: Any, problem_of: Callable[[str], str | None], fail: Fail,
                key: str) -> None:
    problem = problem_of(value) if isinstance(value, str) and value else None
    if problem:
        raise fail(problem, key)


def check_append(kind: str | None, value: Any, fail: Fail) -> None:
    """`append` is a boolean (a quoted "false" would append), and a sort does not take it:
    both backends replace a sort's output table, and YT itself appends a sort's output only
    to a table already sorted by the same columns ("sort_by is different from output table
    key columns": the sort controller's PrepareOutputTables, yt/yt/server/controller_agent/
    controllers/sort_controller.cpp), so `append: true` would be a silent overwrite."""
    if not isinstance(value, bool):
        raise fail(f"must be true or false, got {value!r}", "append")
    if value and kind == "sort":
        raise fail("a sort replaces its output table and cannot append to it; sort into a "
                   "table of its own and append that with a map or YQL", "append")


def _max_failed_jobs(value: Any, fail: Fail) -> None:
    if value is not None and not limits.in_range(value, 0, limits.MAX_FAILED_JOBS, integer=True):
        expected = limits.describe(0, limits.MAX_FAILED_JOBS, integer=True)
        raise fail(f"must be {expected}, got {value!r}", "max_failed_job_count")

"""Operation specs (map, reduce, map_reduce, sort, vanilla) and the `run_*` helpers.

A stage calls `run_map(self, self.config.client.operations.map)`; the helper turns that
config into an OperationSpec, and the backend that answers `ytp_launch_operation` runs it:
local processes in dev, a YT operation in prod. Both run the same job scripts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yt_pipeline.errors import ConfigError, PluginError

if TYPE_CHECKING:
    from yt_pipeline.packaging import CodePackage
    from yt_pipeline.stage import BaseStage, StageContext

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


@dataclass
class OperationSpec:
    """Everything a backend needs to run one operation.

    Script paths (`mapper`, `reducer`, `script`) are relative to the stage folder, which is
    also where they sit inside the code archive (`stages/<stage>/...`).
    """

    kind: str
    stage_name: str
    name: str
    stage_dir: Path
    pipeline_dir: Path
    input_tables: list[str] = field(default_factory=list)
    output_tables: list[str] = field(default_factory=list)
    append: bool = False
    mapper: str | None = None
    reducer: str | None = None
    script: str | None = None
    reduce_by: list[str] = field(default_factory=list)
    sort_by: list[str] = field(default_factory=list)
    resources: Resources = field(default_factory=Resources)
    #: plain environment for the job
    env: dict[str, str] = field(default_factory=dict)
    #: secrets for the job (prod: the secure vault); never logged, never on a command line
    secure_env: dict[str, str] = field(default_factory=dict, repr=False)
    file_paths: list[str] = field(default_factory=list)
    max_failed_job_count: int | None = None
    code_package: CodePackage | None = None
    #: extra backend-specific spec keys, passed through as given (prod only)
    extra_spec: dict[str, Any] = field(default_factory=dict)
    config_file: str = "config.yaml"

    @property
    def title(self) -> str:
        return f"{self.stage_name}/{self.name}"

    @property
    def job_config_path(self) -> str:
        """JOB_CONFIG_PATH inside the code archive."""
        return f"stages/{self.stage_name}/{self.config_file}"


@dataclass
class OperationResult:
    operation_id: str | None = None
    url: str | None = None
    duration_s: float = 0.0
    #: rows written per output table, when the backend knows them
    rows: dict[str, int] = field(default_factory=dict)


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


def build_spec(stage: BaseStage, kind: str, op_config: Any) -> OperationSpec:
    """Turn a stage's operation config into an OperationSpec, checking every key."""
    if kind not in KINDS:
        raise ConfigError(f"unknown operation kind {kind!r}; expected one of {', '.join(KINDS)}")
    cfg = _as_dict(op_config)
    where = getattr(op_config, "key_path", "") or f"operations.{kind}"
    file = getattr(op_config, "file", None) or stage.config_file_display
    def fail(message: str, key: str) -> ConfigError:
        return ConfigError(f"stage {stage.name}: {message}", file=file, key=f"{where}.{key}")

    unknown = sorted(set(cfg) - KNOWN_KEYS)
    if unknown:
        raise fail(f"unknown operation key (known: {', '.join(sorted(KNOWN_KEYS))})", unknown[0])
    try:
        inputs = _tables(cfg, "input_table", "input_tables", where)
        outputs = _tables(cfg, "output_table", "output_tables", where)
        reduce_by = _columns(cfg, "reduce_by", where)
        sort_by = _columns(cfg, "sort_by", where)
    except ConfigError as exc:
        raise ConfigError(f"stage {stage.name}: {exc}", file=file) from None

    spec = OperationSpec(
        kind=kind,
        stage_name=stage.name,
        name=str(cfg.get("name") or kind),
        stage_dir=stage.stage_dir,
        pipeline_dir=stage.context.pipeline_dir,
        input_tables=inputs,
        output_tables=outputs,
        append=bool(cfg.get("append", False)),
        reduce_by=reduce_by,
        sort_by=sort_by or list(reduce_by),
        resources=_resources(cfg.get("resources"), fail),
        file_paths=list(cfg.get("file_paths") or []),
        max_failed_job_count=cfg.get("max_failed_job_count"),
        code_package=stage.context.code_package,
        extra_spec=dict(cfg.get("spec") or {}),
    )
    spec.env, spec.secure_env = _environment(cfg.get("env"), stage, fail)
    scripts = iter(_scripts_of(kind, cfg))
    if kind in ("map", "map_reduce"):
        spec.mapper = next(scripts)
    if kind in ("reduce", "map_reduce"):
        spec.reducer = next(scripts)
    if kind == "vanilla":
        spec.script = next(scripts)

    if kind != "vanilla" and not inputs:
        raise fail("an input table is required", "input_table")
    if kind in ("map", "reduce", "map_reduce") and not outputs:
        raise fail("an output table is required", "output_table")
    if kind in ("reduce", "map_reduce") and not reduce_by:
        raise fail("reduce_by is required", "reduce_by")
    if kind == "sort" and not sort_by:
        raise fail("sort_by is required", "sort_by")
    if kind == "sort" and not outputs:
        spec.output_tables = list(inputs[:1])  # sort in place
    for script in (spec.mapper, spec.reducer, spec.script):
        if script and not (stage.stage_dir / script).is_file():
            raise fail(f"script {script} not found in {stage.stage_dir}", "script")
    return spec


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
            for column in ("reduce_by", "sort_by"):
                _columns(cfg, column, where)
        except ConfigError as exc:
            raise ConfigError(f"stage {stage_name}: {exc}", file=file) from None
        _resources(cfg.get("resources"), fail)
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
    job_count = value.get("job_count")
    if job_count is not None and job_count < 1:
        raise fail("must be 1 or more", "resources.job_count")
    return Resources(**value)


def _environment(value: Any, stage: BaseStage, fail: Any) -> tuple[dict[str, str], dict[str, str]]:
    """Split `env` into plain variables and secrets.

    A list names variables; a mapping gives values, and a null value means "take it from
    the secrets". A name found in secrets.env always travels as a secret.
    """
    if value is None:
        return {}, {}
    if hasattr(value, "to_dict"):
        value = value.to_dict()
    pipeline_config = stage.deps.pipeline_config
    secret_of = pipeline_config.secret if pipeline_config is not None else (lambda name: None)
    known_secrets = set(getattr(pipeline_config, "secrets", {}) or {})
    plain: dict[str, str] = {}
    secure: dict[str, str] = {}
    items = [(name, None) for name in value] if isinstance(value, list) else None
    if items is None:
        if not isinstance(value, Mapping):
            raise fail("must be a list of names or a mapping of name: value", "env")
        items = list(value.items())
    for name, given in items:
        if not isinstance(name, str) or not name:
            raise fail("variable names must be strings", "env")
        if given is None:
            secret = secret_of(name)
            if secret is None:
                raise fail(f"{name} is not in secrets.env nor in the environment", f"env.{name}")
            secure[name] = secret
        elif name in known_secrets:
            secure[name] = str(given)
        else:
            plain[name] = str(given)
    return plain, secure


class _StageView:
    """What build_spec needs of a stage, taken from a StageContext.

    Lets stages written for the framework our users come from call
    `run_map(context=self.context, operation_config=...)` unchanged.
    """

    def __init__(self, context: StageContext):
        self.name = context.name
        self.stage_dir = Path(context.stage_dir)
        self.context = context
        self.deps = context.deps
        self.logger = context.logger or logging.getLogger(f"yt_pipeline.stage.{context.name}")
        config_file = getattr(context.config, "file", None)
        self.config_file_display = config_file or str(self.stage_dir / "config.yaml")


def _stage_of(stage: Any, context: Any) -> Any:
    from yt_pipeline.stage import StageContext

    given = stage if stage is not None else context
    if given is None:
        raise TypeError("run_* needs the stage (run_map(self, config)) or context=self.context")
    return _StageView(given) if isinstance(given, StageContext) else given


def launch(stage: Any, kind: str, op_config: Any) -> OperationResult:
    spec = build_spec(stage, kind, op_config)
    manager = stage.context.plugin_manager
    if manager is None:
        raise PluginError(f"stage {stage.name} was not created by a pipeline: no plugins to run operations")
    hook = manager.hook
    stage.logger.info("[%s] starting %s operation %s", stage.name, kind, spec.name)
    result = hook.ytp_launch_operation(client=stage.deps.yt_client, spec=spec)
    if result is None:
        raise PluginError(
            f"no plugin runs operations in mode {stage.context.mode!r}; "
            "is the backend plugin for this mode installed?"
        )
    return result


def _runner(kind: str) -> Any:
    def run(stage: Any = None, op_config: Any = None, *, context: Any = None,
            operation_config: Any = None, output_schema: Any = None) -> OperationResult:
        # output_schema is accepted for source compatibility; tables here are schemaless
        config = op_config if op_config is not None else operation_config
        return launch(_stage_of(stage, context), kind, config)

    run.__name__ = run.__qualname__ = f"run_{kind}"
    run.__doc__ = (
        f"Run a {kind} operation from a stage's operation config and wait for it.\n\n"
        f"`run_{kind}(self, self.config.client.operations.<name>)`; also accepts\n"
        f"`run_{kind}(context=self.context, operation_config=...)`. Raises OperationFailed."
    )
    return run


run_map = _runner("map")
run_reduce = _runner("reduce")
run_map_reduce = _runner("map_reduce")
run_sort = _runner("sort")
run_vanilla = _runner("vanilla")

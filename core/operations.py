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
from typing import TYPE_CHECKING, Any, Protocol

from yt_pipeline import operation_secrets, table_paths
from yt_pipeline.errors import ConfigError, PluginError, TableNotFound
from yt_pipeline.join_keys import check_join
from yt_pipeline.logs import stage_logger
from yt_pipeline.operation_config import (
    KNOWN_KEYS,
    RESOURCE_KEYS,
    ROLES,
    Fail,
    Resources,
    as_dict,
    check_operation_sections,
    check_pool_names,
    check_repeated_columns,
    check_repeated_outputs,
    check_sort_output,
    check_spec_pools,
    check_spec_tables,
    env_items,
    failing,
    key_order_problem,
    read_section,
    require_keys,
    table_list,
)
from yt_pipeline.operation_names import DEFAULT_SCRIPTS, KINDS
from yt_pipeline.spec_keys import check_spec_section

if TYPE_CHECKING:
    from yt_pipeline.checkpoints import Checkpoint
    from yt_pipeline.packaging import CodePackage
    from yt_pipeline.stage import StageContext, StageDeps

__all__ = ["DEFAULT_SCRIPTS", "KINDS", "RESOURCE_KEYS", "OperationSpec", "OperationResult",
           "Resources", "build_spec", "check_operation_sections", "check_reduce_keys",
           "check_spec", "run_map", "run_reduce", "run_map_reduce", "run_sort", "run_vanilla"]


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
    #: a reduce's key joining its foreign input tables (`<foreign=%true>//t`): join_keys.py
    join_by: list[str] = field(default_factory=list)
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
    #: the run the operation belongs to (its jobs' logs are kept under it)
    run_id: str = ""
    #: local file_paths entry -> (where a backend put it, the name jobs see it under)
    uploaded_files: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: the stage's `checkpoints:` (checkpoints.py), given to every job of the operation
    checkpoints: list[Checkpoint] = field(default_factory=list)
    #: checkpoint name -> where a backend put it (prod: its uploaded copy)
    uploaded_checkpoints: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{self.stage_name}/{self.name}"

    @property
    def job_config_path(self) -> str:
        """JOB_CONFIG_PATH inside the code archive."""
        return f"stages/{self.stage_name}/{self.config_file}"


class StageLike(Protocol):
    """What the run_* helpers need of a stage: a `BaseStage`, or the view of a
    `StageContext` (`run_map(context=self.context, ...)`)."""

    @property
    def name(self) -> str: ...
    @property
    def stage_dir(self) -> Path: ...
    @property
    def context(self) -> StageContext: ...
    @property
    def deps(self) -> StageDeps | None: ...
    @property
    def logger(self) -> logging.Logger: ...
    @property
    def config_file_display(self) -> str: ...


def check_reduce_keys(spec: OperationSpec) -> None:
    """A reduce's reduce_by must be a prefix of its sort_by; checked when the spec is built,
    and again by each backend for a spec built by other means."""
    if spec.kind in ("reduce", "map_reduce"):
        problem = key_order_problem(spec.reduce_by, spec.sort_by)
        if problem:
            raise ConfigError(f"stage {spec.stage_name}: operation {spec.name}: {problem}")


def check_spec(spec: OperationSpec) -> None:
    """What the configuration's checks refuse, refused of the spec an operation is launched
    with, whatever built it (a section, a dict, an OperationSpec made or changed in code):
    each backend calls it first, before it touches a table. The message is the one the
    section's check gives, with the operation in place of the file and key."""

    def fail(message: str, key: str) -> ConfigError:
        return ConfigError(f"stage {spec.stage_name}: operation {spec.name}: {key}: {message}")

    for key in ("input_tables", "output_tables"):
        value = getattr(spec, key)
        if not isinstance(value, list):
            # a string here would be read as one table per character
            raise fail(f"must be a list of table paths, got {type(value).__name__}", key)
        table_list(value, key, fail)
    # build_spec fills these in (a sort without an output sorts its input in place); a
    # spec made without them would fail in each backend its own way
    if spec.kind != "vanilla" and not spec.input_tables:
        raise fail("an input table is required", "input_tables")
    if spec.kind != "vanilla" and not spec.output_tables:
        raise fail("an output table is required", "output_tables")
    check_sort_output(spec.kind, spec.output_tables, fail, "output_tables")
    check_repeated_outputs(spec.output_tables, fail, "output_tables")
    check_spec_section(spec.extra_spec, fail)  # keys that change the rows, as at config load
    check_spec_tables(spec.extra_spec, fail, "extra_spec")
    # what a cluster shows of the operation holds no secret, whatever built the spec
    operation_secrets.seal_launched(spec, fail)
    check_reduce_keys(spec)
    if not isinstance(spec.join_by, list):
        raise fail(f"must be a list of column names, got {type(spec.join_by).__name__}",
                   "join_by")
    for key in ("sort_by", "reduce_by", "join_by"):
        check_repeated_columns(list(getattr(spec, key)), fail, key)
    check_join(spec.kind, spec.input_tables, "input_tables", spec.reduce_by, spec.join_by, fail)
    check_pool_names(spec.resources.pool, spec.resources.pool_tree, fail)
    check_spec_pools(spec.extra_spec, fail)


@dataclass
class OperationResult:
    operation_id: str | None = None
    url: str | None = None
    duration_s: float = 0.0
    #: rows written per output table, when the backend knows them
    rows: dict[str, int] = field(default_factory=dict)
    #: the jobs' custom statistics (what they wrote to fd 5) summed over the operation's
    #: completed jobs, as a cluster sums them: {"custom/x": {sum, count, min, max}}
    statistics: dict[str, dict[str, int]] = field(default_factory=dict)


def build_spec(stage: StageLike, kind: str, op_config: Any) -> OperationSpec:
    """Turn a stage's operation config into an OperationSpec, checking every key."""
    if kind not in KINDS:
        raise ConfigError(f"unknown operation kind {kind!r}; expected one of {', '.join(KINDS)}")
    cfg = as_dict(op_config)
    if hasattr(op_config, "key_path"):  # a section of the stage's config.yaml
        file = getattr(op_config, "file", None) or stage.config_file_display
        fail = failing(stage.name, file, op_config.key_path or f"operations.{kind}")
    else:
        # a mapping the code made (a section copied and changed, a dict): no file holds
        # it, and naming the stage's config.yaml sent the user to look in the wrong place
        fail = _failing_in_code(stage.name, kind)
    section = read_section(cfg, kind, kind, stage.stage_dir, fail)
    require_keys(kind, section, fail)
    spec = OperationSpec(
        kind=kind,
        stage_name=stage.name,
        name=section.name,
        stage_dir=stage.stage_dir,
        pipeline_dir=stage.context.pipeline_dir,
        input_tables=section.inputs,
        # a sort without an output table sorts its input in place
        output_tables=section.outputs or ([table_paths.plain(section.inputs[0])] if kind == "sort"
                                        else []),
        append=bool(cfg.get("append", False)),
        mapper=section.scripts.get("mapper"),
        reducer=section.scripts.get("reducer"),
        script=section.scripts.get("script"),
        reduce_by=section.reduce_by,
        sort_by=section.sort_by or list(section.reduce_by),
        join_by=section.join_by,
        resources=section.resources,
        file_paths=list(cfg.get("file_paths") or []),
        max_failed_job_count=cfg.get("max_failed_job_count"),
        code_package=stage.context.code_package,
        extra_spec=check_spec_section(cfg.get("spec"), fail),
        run_id=str(getattr(stage.context, "run_id", "") or ""),
    )
    spec.env, spec.secure_env = _environment(cfg.get("env"), stage, fail)
    if spec.extra_spec:
        operation_secrets.check_spec_section(
            spec.extra_spec,
            operation_secrets.secret_forms(_pipeline_config(stage),
                                           operation_secrets.REFUSAL_MIN_LENGTH), fail)
    spec.checkpoints = _checkpoints(stage)
    return spec


def _failing_in_code(stage_name: str, kind: str) -> Fail:
    def fail(message: str, key: str) -> ConfigError:
        return ConfigError(f"stage {stage_name}: the {kind} section its code made: {key}: "
                           f"{message}")

    return fail


def _checkpoints(stage: StageLike) -> list[Checkpoint]:
    from yt_pipeline.checkpoints import declared

    config = getattr(stage, "config", None) or getattr(stage.context, "config", None)
    if config is None:
        return []
    return declared(config, stage.name, stage.context.pipeline_dir,
                    getattr(config, "file", None) or stage.config_file_display)


def _environment(value: Any, stage: StageLike,
                 fail: Fail) -> tuple[dict[str, str], dict[str, str]]:
    """Split `env` into plain variables and secrets.

    A list names variables; a mapping gives values, and a null value means "take it from
    the secrets". A name found in secrets.env always travels as a secret, and so does a
    value that holds a secret in any written form (an `Authorization` header a stage built
    around a token): a cluster shows a user job's `environment` to whoever may read the
    operation, its `secure_vault` to nobody else (the `secure_vault` entry of the YTsaurus
    docs' "Operation options" page).
    """
    pipeline_config = _pipeline_config(stage)
    secret_of = pipeline_config.secret if pipeline_config is not None else (lambda name: None)
    known_secrets = set(pipeline_config.secrets if pipeline_config is not None else {})
    plain: dict[str, str] = {}
    secure: dict[str, str] = {}
    forms: tuple[str, ...] | None = None
    for name, given in env_items(value, fail):
        if given is None:
            secret = secret_of(name)
            if secret is None:
                raise fail(f"{name} is not in secrets.env nor in the environment", f"env.{name}")
            secure[name] = secret
        elif name in known_secrets:
            secure[name] = str(given)
        else:
            if forms is None:  # made only for an operation with plain values
                forms = operation_secrets.secret_forms(pipeline_config)
            text = str(given)
            (secure if operation_secrets.holds_secret(text, forms) else plain)[name] = text
    return plain, secure


def _pipeline_config(stage: StageLike) -> Any:
    return stage.deps.pipeline_config if stage.deps is not None else None


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
        self.logger = context.logger or stage_logger(context.name)
        config_file = getattr(context.config, "file", None)
        self.config_file_display = config_file or str(self.stage_dir / "config.yaml")


def _stage_of(stage: Any, context: Any) -> StageLike:
    from yt_pipeline.stage import StageContext

    given = stage if stage is not None else context
    if given is None:
        raise TypeError("run_* needs the stage (run_map(self, config)) or context=self.context")
    return _StageView(given) if isinstance(given, StageContext) else given


def launch(stage: StageLike, kind: str, op_config: Any,
           scripts: dict[str, str] | None = None) -> OperationResult:
    """Build the spec and run it with the launcher of the stage's mode (chosen by the mode's
    name, never by the class of the client); `scripts` are those given by keyword."""
    from yt_pipeline.modes import launch_operation

    spec = build_spec(stage, kind, op_config)
    for field_name, script in (scripts or {}).items():
        script = _in_src(stage.stage_dir, script)
        if not (stage.stage_dir / script).is_file():
            raise ConfigError(f"stage {stage.name}: script {script} not found in {stage.stage_dir}")
        if script not in _packed_scripts(stage):
            raise ConfigError(
                f"stage {stage.name}: run_{kind}({field_name}={script!r}): name the script in "
                f"the stage's config.yaml too (client.operations.<name>.{field_name}: {script}), "
                "so that it is packed with the job code")
        setattr(spec, field_name, script)
    manager = stage.context.plugin_manager
    client = stage.deps.yt_client if stage.deps is not None else None
    if manager is None or client is None:
        raise PluginError(f"stage {stage.name} was not created by a pipeline: no plugins to "
                          "run operations")
    stage.logger.info("starting %s operation %s", kind, spec.name)  # tagged [stage]
    try:
        return launch_operation(manager, stage.context.mode, client, spec)
    except TableNotFound as missing:
        inputs = {table_paths.plain(path) for path in spec.input_tables}
        if missing.path not in inputs or " reads table " in str(missing):
            raise
        # "table //x does not exist" alone leaves the user to find which section named it
        raise TableNotFound(missing.path, reader=f"{kind} operation {spec.name}") from None


def _in_src(stage_dir: Path, script: str) -> str:
    """A bare script name (`"python3 mapper.py"`) that is not beside stage.py but is in src/
    means src/'s (yt-framework ran a stage's job scripts from its src folder)."""
    if "/" not in script and not (stage_dir / script).is_file() \
            and (stage_dir / "src" / script).is_file():
        return f"src/{script}"
    return script


def _packed_scripts(stage: Any) -> set[str]:
    """The job scripts the code archive has wrappers for: the default ones, and those the
    stage's operation sections name."""
    found = {s for s in DEFAULT_SCRIPTS.values() if (stage.stage_dir / s).is_file()}
    config = getattr(stage, "config", None) or getattr(stage.context, "config", None) or {}
    operations = (config.get("client") or {}).get("operations") or {}
    for section in operations.values() if isinstance(operations, Mapping) else ():
        if isinstance(section, Mapping):
            found.update(str(section[k]) for k in ("script", "mapper", "reducer") if section.get(k))
    return found


#: the keyword yt-framework took a job under, per operation kind
_JOB_KEYWORDS = {"map": ("mapper", "job"), "reduce": ("reducer", "job"),
                 "map_reduce": ("mapper", "reducer", "map_job", "reduce_job"),
                 "vanilla": ("job", "task"), "sort": ()}


def _job_scripts(kind: str, given: dict[str, Any]) -> dict[str, str]:
    """Scripts named through the keywords (`mapper="src/other.py"`, or `"python3 src/x.py"`);
    a typed job (a Python object) cannot run here, and says so."""
    scripts: dict[str, str] = {}
    for keyword, value in given.items():
        if value is None:
            continue
        if keyword in KNOWN_KEYS and keyword not in ROLES[kind] + _JOB_KEYWORDS[kind]:
            # taken from the section only, so that they go through its checks
            raise ConfigError(
                f"run_{kind}({keyword}=...): operation keys are not keyword arguments; put "
                f"{keyword} in the operation config passed (a section, or a dict such as "
                f"{{**section.to_dict(), {keyword!r}: ...}})")
        if keyword not in _JOB_KEYWORDS[kind]:
            raise TypeError(f"run_{kind}() got an unexpected keyword argument {keyword!r}")
        if not isinstance(value, str):
            raise ConfigError(
                f"run_{kind}({keyword}=...): typed jobs ({type(value).__name__}) are not "
                "supported; put the job in a script (src/mapper.py) and name it in the "
                "operation config, or pass its path as a string")
        words = value.split()
        script = words[-1] if len(words) == 2 and words[0].startswith("python") else value
        if len(words) > 2 or not script.endswith(".py"):
            raise ConfigError(f"run_{kind}({keyword}={value!r}): give a script path "
                              "(src/mapper.py) or 'python3 <script>'")
        role = ("mapper" if keyword in ("mapper", "map_job") or (keyword == "job" and
                                                                 kind == "map")
                else "reducer" if keyword in ("reducer", "reduce_job", "job") and
                kind != "vanilla" else "script")
        if scripts.get(role, script) != script:
            raise ConfigError(f"run_{kind}(): two different {role} scripts given "
                              f"({scripts[role]!r} and {script!r}); give one")
        scripts[role] = script
    return scripts


#: yt-framework 1.4's parameters after (context, operation_config), in its order, per
#: operation kind (yt_framework/operations/command_ops/{map,map_reduce,vanilla,sort}.py):
#: a reduce's and a map-reduce's legs come before output_schema, a map's after it
_POSITIONAL = {"map": ("output_schema", "mapper", "job"),
               "reduce": ("reducer", "output_schema", "job"),
               "map_reduce": ("mapper", "reducer", "output_schema", "map_job", "reduce_job"),
               "vanilla": ("job",), "sort": ()}


def _positional_legs(kind: str, values: tuple[Any, ...]) -> dict[str, Any]:
    """The jobs given by position, by the keyword yt-framework took each under;
    output_schema is accepted for source compatibility and dropped (tables here are
    schemaless)."""
    names = _POSITIONAL[kind]
    if len(values) > len(names):
        raise TypeError(f"run_{kind}() takes at most {len(names) + 2} positional arguments "
                        f"({len(values) + 2} given)")
    return {name: value for name, value in zip(names, values)
            if name != "output_schema" and value is not None}


def _runner(kind: str) -> Any:
    def run(stage: Any = None, op_config: Any = None, *legs: Any, context: Any = None,
            operation_config: Any = None, output_schema: Any = None, sync: bool = True,
            **jobs: Any) -> Any:
        config = op_config if op_config is not None else operation_config
        for keyword, value in _positional_legs(kind, legs).items():
            if jobs.get(keyword) is not None:
                raise TypeError(f"run_{kind}() got multiple values for argument {keyword!r}")
            jobs[keyword] = value
        scripts = _job_scripts(kind, jobs)
        target = _stage_of(stage, context)
        if not sync:
            from yt_pipeline.submitted import submit

            return submit(getattr(target, "context", None), kind,
                          lambda: launch(target, kind, config, scripts))
        return launch(target, kind, config, scripts)

    run.__name__ = run.__qualname__ = f"run_{kind}"
    run.__doc__ = (
        f"Run a {kind} operation from a stage's operation config and wait for it.\n\n"
        f"`run_{kind}(self, self.config.client.operations.<name>)`; also accepts\n"
        f"`run_{kind}(context=self.context, operation_config=...)`. Raises OperationFailed.\n"
        "With sync=False it returns at once a handle whose wait() gives the result; the\n"
        "stage waits for such operations before it ends."
    )
    return run


run_map = _runner("map")
run_reduce = _runner("reduce")
run_map_reduce = _runner("map_reduce")
run_sort = _runner("sort")
run_vanilla = _runner("vanilla")

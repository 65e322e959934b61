"""Function steps: a pipeline written as plain Python functions.

    from yt_pipeline import Pipeline, step, context

    @step(outputs=["raw"])
    def extract(yt):
        return [{"x": 1}, {"x": 2}]

    @step(inputs=["raw"], outputs=["doubled"])
    def transform(raw, factor: int):
        return [{"x": r["x"] * factor} for r in raw]

    result = Pipeline("etl", context=context(factor=2)).add_step(extract).add_step(transform).run()
    result["doubled"]

The DAG comes from the names steps read (`inputs`) and return (`outputs`); a name that starts
with `//` is a table a step reads or writes itself (it orders the steps and keys the cache).
Parameters are filled by name: an input from the step that produced it, `yt` with the table
client, anything else from the context; `run(context={...})` overrides context values.

The same runner, state files (`state.<name>.<mode>.yml`), run records and cache serve these
pipelines as folder pipelines. Outputs are kept between runs (`keep.py`), so a resumed or
cached step hands on exactly what it returned; a value that cannot be kept (an open file, a
DataFrame) fails the step when it returns it, naming the output.
"""

from __future__ import annotations

import copy
import inspect
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yt_pipeline.conditions import Condition
from yt_pipeline.definition import calling_file
from yt_pipeline.errors import ConfigError, GraphError, StageSkipped, YtPipelineError
from yt_pipeline.graph import StageGraph, build_graph, unknown_stage
from yt_pipeline.result import PipelineResult
from yt_pipeline.retry_policy import RetryPolicy, parse_retry
from yt_pipeline.secret_digests import settings_digest
from yt_pipeline.stacks import Stack, resolve_stack
from yt_pipeline.step_code import step_code
from yt_pipeline.uncaught import one_line_if_uncaught, reported_in_one_line
from yt_pipeline.units import Debug, RunTarget, RunUnit, digest, digest_value

log = logging.getLogger("yt_pipeline.steps")

if TYPE_CHECKING:
    import pluggy

    from yt_pipeline.client import TableClient
    from yt_pipeline.config import PipelineConfig


class Context(dict[str, Any]):
    """Values steps receive by parameter name."""


def context(**values: Any) -> Context:
    return Context(values)


def _is_table(name: str) -> bool:
    return name.startswith("//")


@dataclass
class Step:
    func: Callable[..., Any]
    name: str
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    cache: bool | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    when: Condition | None = None
    #: steps this one runs after, with no value passing between them
    after: list[str] = field(default_factory=list)
    #: gives the outputs when the last attempt fails (`on_failure`)
    fallback: Callable[[BaseException], Any] | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)

    @property
    def values_out(self) -> list[str]:
        return [name for name in self.outputs if not _is_table(name)]


@reported_in_one_line
def step(
    func: Callable[..., Any] | None = None, *, inputs: Iterable[str] = (),
    outputs: Iterable[str] = (), name: str | None = None, cache: bool | None = None,
    retry: Mapping[str, Any] | None = None,
    retry_on: tuple[type[BaseException], ...] | None = None, when: str | None = None,
    depends_on: Iterable[Any] = (), after: Iterable[Any] = (),
    on_failure: Callable[[BaseException], Any] | None = None,
) -> Any:
    """Make a function a step; usable bare (`@step`) or with arguments. `depends_on` (or
    `after`) names steps to run first although no value passes between them."""

    def wrap(f: Callable[..., Any]) -> Step:
        step_name = name or f.__name__
        where = f"step {step_name}"
        order = [getattr(d, "name", d) for d in [*depends_on, *after]]
        return Step(
            func=f, name=step_name, inputs=list(inputs), outputs=list(outputs), cache=cache,
            retry=parse_retry(retry, source=where, retry_on=retry_on),
            when=Condition(when, source=where) if when is not None else None,
            after=list(dict.fromkeys(order)), fallback=on_failure,
        )

    return wrap(func) if func is not None else reported_in_one_line(wrap)


class Pipeline:
    """A pipeline of function steps, run in `folder` (default: the current folder)."""

    @reported_in_one_line
    def __init__(
        self, name: str, context: Mapping[str, Any] | None = None, *,
        folder: str | Path | None = None, mode: str | None = None, workers: int = 4,
        cache: bool = False, client: TableClient | None = None,
        plugin_manager: pluggy.PluginManager | None = None,
        enable_cache: bool | None = None, cache_dir: str | Path | None = None,
        project_name: str = "", version: str = "", stack: str | Stack | None = None,
    ) -> None:
        """`folder` (or `cache_dir`) keeps the state, run records and cache (default: the
        current folder); `enable_cache` is `cache`; `stack` chooses the mode and its
        settings by name (stacks.py); `project_name` and `version` are carried into the
        result."""
        if not name or not all(c.isalnum() or c in "_-" for c in name):
            raise ConfigError(f"pipeline name must be letters, digits, _ or -, got {name!r}")
        from yt_pipeline.plugins import get_plugin_manager

        self.name = name
        self.project_name, self.version = project_name, version
        self.context = Context(context or {})
        self.folder = Path(folder or cache_dir or Path.cwd()).resolve()
        #: the script that made it: its state is not another script's (definition.py)
        self.made_in = calling_file(self.folder)
        self.plugin_manager = plugin_manager or get_plugin_manager()
        self.stack = resolve_stack(stack)
        self.settings = self._settings()
        self.mode = mode or (self.stack.mode if self.stack else None) or self.settings.mode
        self.workers = workers
        self.cache = cache if enable_cache is None else enable_cache
        self._client = client
        self.steps: dict[str, Step] = {}
        self._run_context: Context = self.context

    @property
    def configured(self) -> bool:
        """Whether a configuration file applies (without one: the built-in defaults)."""
        if self.stack is not None and self.stack.config_file is not None:
            return True
        return (self.folder / "configs" / "config.yaml").is_file()

    def _settings(self) -> PipelineConfig:
        from yt_pipeline.config import default_config, load_config
        from yt_pipeline.modes import mode_names

        if not self.configured:
            return default_config(self.folder)
        config_file = self.stack.config_file if self.stack else None
        return load_config(self.folder, config_file, modes=mode_names(self.plugin_manager))

    @reported_in_one_line
    def use_stack(self, stack: str | Stack) -> None:
        """Run from now on with this stack: its mode, its settings, a new client."""
        self.stack = resolve_stack(stack)
        self.settings = self._settings()
        self.mode = self.stack.mode if self.stack else self.mode
        self._client = None

    @reported_in_one_line
    def add_step(self, item: Step | Callable[..., Any]) -> Pipeline:
        made = item if isinstance(item, Step) else step(item)
        if made.name in self.steps:
            raise ConfigError(f"pipeline {self.name}: two steps are named {made.name}")
        self.steps[made.name] = made
        return self

    @property
    def yt(self) -> TableClient:
        """The table client of the mode (dev: tables under <folder>/.dev), made on first use."""
        if self._client is None:
            from yt_pipeline.logs import mask_secrets
            from yt_pipeline.modes import create_client

            # making the client may fail quoting a credential (a proxy it cannot reach), and
            # the client logs its failed attempts: before any run masked the settings' secrets
            mask_secrets(self.settings.secret_values())
            self._client = create_client(self.plugin_manager, self.mode, self.settings,
                                         self.folder, source=f"Pipeline({self.name!r})")
        return self._client

    def graph(self) -> StageGraph:
        producers: dict[str, str] = {}
        for s in self.steps.values():
            for out in s.values_out:
                if out in producers:
                    raise GraphError(
                        f"pipeline {self.name}: output {out} is produced by two steps: "
                        f"{producers[out]} and {s.name}"
                    )
                producers[out] = s.name
        for s in self.steps.values():
            for needed in s.inputs:
                if not (_is_table(needed) or needed in producers or needed in self._run_context):
                    raise GraphError(
                        f"step {s.name}: input {needed} is produced by no step and is not "
                        "in the context"
                    )
        for s in self.steps.values():
            self._check_parameters(s, producers)
        declared: dict[str, list[str]] = {name: list(s.after) for name, s in self.steps.items()}
        io = {s.name: (s.inputs, s.outputs) for s in self.steps.values()}
        return build_graph(declared, io, source=f"pipeline {self.name}", key="steps",
                           what="step")

    def _check_parameters(self, s: Step, producers: Mapping[str, str]) -> None:
        """A parameter nothing fills is found before any step runs, not after the steps
        before it have (a misspelt context name would waste the run up to it)."""
        for param in inspect.signature(s.func).parameters.values():
            name = param.name
            if (param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD)
                    or param.default is not param.empty or name in s.inputs
                    or name in ("yt", "context") or name in self._run_context):
                continue
            hint = (f"; step {producers[name]} outputs it: add it to the step's inputs"
                    if name in producers else "")
            raise GraphError(f"step {s.name}: no value for parameter {name} "
                             f"(not an input of the step, not in the context){hint}")

    def run_target(self) -> RunTarget:
        if not self.steps:
            raise ConfigError(f"pipeline {self.name} has no steps: add them with add_step()")
        # without a configuration file, nothing was read: the hash stays that of no settings
        settings = self.settings.data if self.configured else {}
        return RunTarget(
            pipeline_dir=self.folder, mode=self.mode, state_name=f"{self.name}.{self.mode}",
            units={name: self._unit(s) for name, s in self.steps.items()},
            graph=self.graph(), client=lambda: self.yt, hook=self.plugin_manager.hook,
            settings=self.settings,
            settings_hash=settings_digest(settings, self.settings.secret_settings,
                                          self.folder),
            workers=self.workers, cache_default=self.cache,
            resume_command=f"Pipeline({self.name!r}, ...).run(resume=True)",
            definition={"file": self.made_in, "steps": list(self.steps)},
        )

    def run(
        self, context: Mapping[str, Any] | None = None, *, workers: int | None = None,
        only: Iterable[str] = (), from_step: str | None = None, to_step: str | None = None,
        resume: bool = False, force: bool = False, refresh: Iterable[str] = (),
        dry_run: bool = False, stack: str | Stack | None = None, debug: bool = False,
    ) -> PipelineResult:
        """Run the steps; a failed run gives a result with `success` false, its `error`,
        `failure` and `resume_hint` (`result.raise_for_failure()` raises the failure, as
        a folder pipeline's `run` does). `stack` runs this time (and after) with another
        stack; `debug` logs at DEBUG."""
        from yt_pipeline.runner import Runner, RunOptions

        if stack is not None:
            self.use_stack(stack)
        self._run_context = Context({**self.context, **(context or {})})
        only, refresh = list(only), list(refresh)
        options = RunOptions(
            workers=workers, only=only, from_stage=from_step, to_stage=to_step,
            resume=resume, force=force, refresh=refresh, dry_run=dry_run,
        )
        with _debug_logging(debug):
            try:
                self._check_selection(only=only, from_step=[from_step], to_step=[to_step],
                                      refresh=refresh)
                runner = Runner(self, options)
                if not dry_run:  # as a folder pipeline: credentials checked before the lock,
                    self.yt  # noqa: B018 - so a run refused for them leaves nothing behind
                result = runner.run()
            except YtPipelineError as error:
                one_line_if_uncaught(error, f"error: {error.one_line()}")
                raise
            except KeyboardInterrupt as interrupt:
                # Ctrl-C or SIGTERM during a step: as `yt-pipeline run` says it, with the way
                # back in (and, uncaught, SIGTERM's exit code: uncaught.py)
                from yt_pipeline.term_signal import after_end_line, after_the_end, by_sigterm

                if after_the_end(interrupt):  # the run had finished: nothing to resume
                    one_line_if_uncaught(interrupt, after_end_line(interrupt))
                    raise
                how = "interrupted by SIGTERM" if by_sigterm(interrupt) else "interrupted"
                one_line_if_uncaught(interrupt, f"{how}; to resume: "
                                      f"Pipeline({self.name!r}, ...).run(resume=True)")
                raise
        result.pipeline_name, result.project_name = self.name, self.project_name
        result.version = self.version
        for name, step_result in result.step_results.items():
            step_result.artifact_uri = self._artifact_uri(self.steps[name])
        return result

    def _check_selection(self, **options: Sequence[str | None]) -> None:
        """A step name in `run(only=..., ...)` that no step has, in the words of this API
        (not the command line's `--only: unknown stage`)."""
        for option, names in options.items():
            for name in names:
                if name is not None and name not in self.steps:
                    raise unknown_stage(name, self.steps, f"run({option}=...)", what="step")

    def _artifact_uri(self, s: Step) -> str:
        tables = [o for o in s.outputs if _is_table(o)]
        if tables:
            return ", ".join(f"yt:{table}" for table in tables)
        state = self.folder / ".runs" / f"stages.{self.name}.{self.mode}.json"
        return f"{state.as_uri()}#{s.name}" if s.values_out else ""

    # -- one step as a unit -------------------------------------------------------------
    def _unit(self, s: Step) -> RunUnit:
        params = list(inspect.signature(s.func).parameters.values())

        # a step hands on its own outputs only: a step reading one is linked to its
        # producer, so the values upstream of it need not travel (and be kept) again with
        # every step after them
        def execute(debug: Debug, run_id: str, client: TableClient) -> Debug:
            return _named_outputs(s, s.func(**self._arguments(s, params, debug, client)))

        fallback = s.fallback

        def condition_names(debug: Debug) -> dict[str, Any]:
            # a condition may name the step's inputs directly: `data.quality > 0.9`
            given = {name: debug[name] for name in s.inputs if name in debug}
            return {**self._run_context, "context": self._run_context, "debug": debug,
                    **given}

        def config_hash() -> str:
            taken = {p.name: self._run_context[p.name] for p in params
                     if p.name in self._run_context and p.name not in s.inputs}
            if "context" not in taken and any(p.name == "context" for p in params):
                # a step given the whole context may read any value of it
                taken = {"context": dict(self._run_context)}
            return digest_value(taken)

        return RunUnit(
            name=s.name, execute=execute,
            inputs=[i for i in s.inputs if _is_table(i)],
            outputs=[o for o in s.outputs if _is_table(o)],
            cache=s.cache, retry=s.retry, when=s.when,
            # after the last attempt failed, in a transaction of its own
            fallback=(None if fallback is None
                      else lambda error, debug: _named_outputs(s, fallback(error))),
            condition_names=condition_names,
            code_hash=lambda: digest(step_code(s.func, self.folder)),
            config_hash=config_hash,
            source=f"step {s.name}", kind=("step", "output"),
        )

    def _arguments(self, s: Step, params: list[inspect.Parameter], debug: Debug,
                   client: TableClient) -> dict[str, Any]:
        ctx = self._run_context
        kwargs: dict[str, Any] = {}
        for param in params:
            name = param.name
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            if name in s.inputs and name in debug:
                # its own copy: a step that changes what it was given (`raw.sort()`) must not
                # change it for the steps beside it, nor what its producer handed on, which
                # a resumed run would give them as it was returned
                kwargs[name] = copy.deepcopy(debug[name])
            elif name in s.inputs and not _is_table(name) and name not in ctx:
                # its producer ran before this step, so it was skipped: take the declared
                # default, or be skipped too
                if param.default is param.empty:
                    raise StageSkipped(f"its input {name} comes from a step that was skipped "
                                       "(give the parameter a default to run without it)")
                kwargs[name] = param.default
            elif name == "yt" and name not in ctx:
                kwargs[name] = client
            elif name in ctx:
                kwargs[name] = ctx[name]
            elif name == "context":
                kwargs[name] = ctx
            elif param.default is param.empty:
                raise ConfigError(
                    f"step {s.name}: no value for parameter {name} "
                    "(not an input of the step, not in the context)"
                )
        return kwargs


@contextmanager
def _debug_logging(on: bool) -> Iterator[None]:
    if not on:
        yield
        return
    logger = logging.getLogger("yt_pipeline")
    before = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.setLevel(before)


def _named_outputs(s: Step, value: Any) -> dict[str, Any]:
    names = s.values_out
    if not names:
        return {}
    if len(names) == 1:
        return {names[0]: value}
    if isinstance(value, Mapping) and all(n in value for n in names):
        return {n: value[n] for n in names}
    if isinstance(value, (tuple, list)) and len(value) == len(names):
        return dict(zip(names, value, strict=True))
    raise ConfigError(
        f"step {s.name} declares outputs {names} but returned {type(value).__name__}: "
        f"return a tuple of {len(names)} values or a dict with those keys"
    )


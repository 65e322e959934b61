"""How the host calls plugins: typed, and guarded so that a plugin's bug is named as its own.

`PluginHooks` calls the hooks that answer the host (stages, a client, the code archive, an
operation, commands). An error a plugin means to report (a YtPipelineError: a bad setting, a
failed operation) passes as it is; any other exception is a bug of the plugin and becomes a
`PluginHookFailed` naming the plugin and the hook.

`LifecycleHooks` calls the runner's lifecycle hooks, from the scheduler thread only. A
plugin's hook that raises there must neither kill the thread that called it (the run would
wait for that thread forever) nor pass for the failure of the stage it was told about (a
retry would run a stage that succeeded). So each call is caught, and the first such error
ends the run as a `PluginHookFailed`.

In both, the plugin that raised is found by its function in the traceback.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yt_pipeline.errors import PluginHookFailed, YtPipelineError

if TYPE_CHECKING:
    import click
    import pluggy

    from yt_pipeline.client import TableClient
    from yt_pipeline.config import PipelineConfig
    from yt_pipeline.discovery import DiscoveredStage
    from yt_pipeline.events import RunInfo, StageOutcome
    from yt_pipeline.operations import OperationResult, OperationSpec
    from yt_pipeline.packaging import CodePackage

log = logging.getLogger("yt_pipeline.plugins")


def _code_of(function: Any) -> Any:
    return getattr(getattr(function, "__func__", function), "__code__", None)


def plugin_that_raised(caller: Any, error: BaseException) -> str:
    """The name of the plugin whose implementation of `caller` raised `error`."""
    impls = caller.get_hookimpls() if hasattr(caller, "get_hookimpls") else []
    owners = {_code_of(impl.function): impl.plugin_name for impl in impls}
    for frame, _line in traceback.walk_tb(error.__traceback__):
        if frame.f_code in owners:
            return str(owners[frame.f_code])
    names = sorted({str(impl.plugin_name) for impl in impls})
    return names[0] if len(names) == 1 else f"one of {', '.join(names)}"


def _unchained(failure: PluginHookFailed) -> PluginHookFailed:
    """`failure`, raised without the plugin's exception as its cause: a traceback prints a
    cause as it is, unmasked (an uncaught script's, a credential in the plugin's message),
    where `failure`'s own text is masked. As a stage's error (StageFailed), the exception
    stays in `failure.error`, and its traceback goes to the masked log at DEBUG."""
    log.debug("plugin %s raised in %s", failure.plugin, failure.hook, exc_info=failure.error)
    return failure


@contextmanager
def plugin_code(plugin: str, what: str) -> Iterator[None]:
    """Run code of `plugin` that the host calls without pluggy (a mode's client factory or
    launcher), with the guard `PluginHooks` puts around hooks."""
    try:
        yield
    except YtPipelineError:
        raise
    except Exception as exc:  # noqa: BLE001 - a plugin's bug, named as such
        raise _unchained(PluginHookFailed(plugin, what, exc)) from None


class PluginHooks:
    """The hooks that answer the host, each with its specification's types."""

    def __init__(self, manager: pluggy.PluginManager):
        self.manager = manager

    def _call(self, name: str, **kwargs: Any) -> Any:
        caller = getattr(self.manager.hook, name)
        try:
            return caller(**kwargs)
        except YtPipelineError:
            raise
        except Exception as exc:  # noqa: BLE001 - a plugin's bug, named as such
            raise _unchained(PluginHookFailed(plugin_that_raised(caller, exc), name,
                                              exc)) from None

    def discover_stages(self, *, pipeline_dir: Path,
                        settings: PipelineConfig) -> list[DiscoveredStage]:
        # `config` is the name this argument had before; passed for plugins that use it
        found: list[list[DiscoveredStage] | None] = self._call(
            "ytp_discover_stages", pipeline_dir=pipeline_dir, settings=settings,
            config=settings)
        return [entry for stage_list in found for entry in stage_list or []]

    def create_client(self, *, mode: str, settings: PipelineConfig,
                      pipeline_dir: Path) -> TableClient | None:
        client: TableClient | None = self._call(
            "ytp_create_client", mode=mode, settings=settings, pipeline_dir=pipeline_dir)
        return client

    def package_code(self, *, pipeline_dir: Path, settings: PipelineConfig,
                     stages: list[DiscoveredStage]) -> CodePackage | None:
        package: CodePackage | None = self._call(
            "ytp_package_code", pipeline_dir=pipeline_dir, settings=settings, stages=stages)
        return package

    def list_shared_code(self, *, pipeline_dir: Path,
                         settings: PipelineConfig) -> dict[str, list[tuple[str, Path]]] | None:
        listed: dict[str, list[tuple[str, Path]]] | None = self._call(
            "ytp_list_shared_code", pipeline_dir=pipeline_dir, settings=settings)
        return listed

    def launch_operation(self, *, client: TableClient,
                         spec: OperationSpec) -> OperationResult | None:
        result: OperationResult | None = self._call("ytp_launch_operation", client=client,
                                                    spec=spec)
        return result

    def add_commands(self, *, cli: click.Group) -> None:
        self._call("ytp_add_commands", cli=cli)


class LifecycleHooks:
    """The runner's lifecycle hooks; `error` is the first hook failure of the run."""

    def __init__(self, hook: pluggy.HookRelay,
                 on_error: Callable[[PluginHookFailed], None] = lambda error: None):
        self.hook = hook
        self.error: PluginHookFailed | None = None
        #: told of each hook failure at once (the run's book: it fails the run)
        self.on_error = on_error
        #: the failures logged: a hook that raises alike for each stage told of after the
        #: first failure (SKIPPED ones) is logged once
        self._logged: set[str] = set()

    def call(self, name: str, **kwargs: Any) -> bool:
        """Call hook `name`; False when an implementation raised (the run should end)."""
        caller = getattr(self.hook, name)
        try:
            caller(**kwargs)
        except Exception as exc:  # noqa: BLE001 - a plugin's error is reported, not raised
            failure = PluginHookFailed(plugin_that_raised(caller, exc), name, exc)
            if str(failure) not in self._logged:
                self._logged.add(str(failure))
                log.error("%s", failure, exc_info=log.isEnabledFor(logging.DEBUG))
            if self.error is None:
                self.error = failure
            self.on_error(failure)
            return False
        return True

    def pipeline_started(self, run: RunInfo) -> bool:
        return self.call("ytp_pipeline_started", run=run)

    def before_stage(self, run: RunInfo, stage: str) -> bool:
        return self.call("ytp_before_stage", run=run, stage=stage)

    def after_stage(self, run: RunInfo, stage: str, outcome: StageOutcome) -> bool:
        return self.call("ytp_after_stage", run=run, stage=stage, outcome=outcome)

    def on_stage_error(self, run: RunInfo, stage: str, error: BaseException,
                       attempt: int) -> bool:
        return self.call("ytp_on_stage_error", run=run, stage=stage, error=error,
                         attempt=attempt)

    def pipeline_finished(self, run: RunInfo, outcomes: list[StageOutcome],
                          success: bool) -> bool:
        return self.call("ytp_pipeline_finished", run=run, outcomes=outcomes, success=success)

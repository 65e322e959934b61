"""Calling the lifecycle hooks for the runner: from the scheduler thread only, and guarded.

A plugin's hook that raises must neither kill the thread that called it (the run would wait
for that thread forever) nor pass for the failure of the stage it was told about (a retry
would run a stage that succeeded). So each call is caught here, the plugin that raised is
found by its function in the traceback, and the first such error ends the run as a
`PluginHookFailed` naming the plugin and the hook.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from yt_pipeline.errors import PluginHookFailed

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


class LifecycleHooks:
    """The runner's lifecycle hooks; `error` is the first hook failure of the run."""

    def __init__(self, hook: Any, on_error: Callable[[PluginHookFailed], None] = lambda error: None):
        self.hook = hook
        self.error: PluginHookFailed | None = None
        #: told of each hook failure at once (the run's book: it fails the run)
        self.on_error = on_error

    def call(self, name: str, **kwargs: Any) -> bool:
        """Call hook `name`; False when an implementation raised (the run should end)."""
        caller = getattr(self.hook, name)
        try:
            caller(**kwargs)
        except Exception as exc:  # noqa: BLE001 - a plugin's error is reported, not raised
            failure = PluginHookFailed(plugin_that_raised(caller, exc), name, exc)
            log.error("%s", failure, exc_info=log.isEnabledFor(logging.DEBUG))
            if self.error is None:
                self.error = failure
            self.on_error(failure)
            return False
        return True

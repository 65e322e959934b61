"""yt-pipeline: data pipelines on YTsaurus that run the same on a laptop and on a cluster.

The public names are loaded lazily so that `yt-pipeline --help` and job start-up do not pay
for configuration libraries they never use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "BaseStage": "yt_pipeline.stage",
    "DebugContext": "yt_pipeline.stage",
    "StageContext": "yt_pipeline.stage",
    "StageDeps": "yt_pipeline.stage",
    "StageRegistry": "yt_pipeline.registry",
    "BasePipeline": "yt_pipeline.pipeline",
    "DefaultPipeline": "yt_pipeline.pipeline",
    "Pipeline": "yt_pipeline.steps",
    "PipelineResult": "yt_pipeline.result",
    "step": "yt_pipeline.steps",
    "context": "yt_pipeline.steps",
    "when": "yt_pipeline.step_options",
    "retry": "yt_pipeline.step_options",
    "on_failure": "yt_pipeline.step_options",
    "depends_on": "yt_pipeline.step_options",
    "parallel_map": "yt_pipeline.parallel",
    "Stack": "yt_pipeline.stacks",
    "register_stack": "yt_pipeline.stacks",
    "ConfigNode": "yt_pipeline.confignode",
    "YtPipelineError": "yt_pipeline.errors",
    "ConfigError": "yt_pipeline.errors",
    "StageFailed": "yt_pipeline.errors",
    "OperationFailed": "yt_pipeline.errors",
    "TableNotFound": "yt_pipeline.errors",
}

__all__ = ["__version__", "hookimpl", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name == "hookimpl":
        # made on first use: the command imports this package before it can set the
        # cyclic collector for its start-up (owned_process), and pluggy's modules are
        # a good part of what start-up imports
        import pluggy

        globals()[name] = marker = pluggy.HookimplMarker("yt_pipeline")
        return marker
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'yt_pipeline' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # pragma: no cover - names for type checkers and IDEs
    import pluggy

    hookimpl: pluggy.HookimplMarker
    from yt_pipeline.confignode import ConfigNode
    from yt_pipeline.errors import (
        ConfigError,
        OperationFailed,
        StageFailed,
        TableNotFound,
        YtPipelineError,
    )
    from yt_pipeline.parallel import parallel_map
    from yt_pipeline.pipeline import BasePipeline, DefaultPipeline
    from yt_pipeline.registry import StageRegistry
    from yt_pipeline.result import PipelineResult
    from yt_pipeline.stacks import Stack, register_stack
    from yt_pipeline.stage import BaseStage, DebugContext, StageContext, StageDeps
    from yt_pipeline.step_options import depends_on, on_failure, retry, when
    from yt_pipeline.steps import Pipeline, context, step

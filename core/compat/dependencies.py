"""`PipelineStageDependencies` and `StageDependencies`, yt-framework's names for what a stage
is given (yt_framework/core/dependencies.py and yt_framework/contracts/stage.py), for code
that annotates or checks `self.deps` with them. Here both are `StageDeps`, which holds the
same three things by the same names: `yt_client`, `pipeline_config` and `configs_dir`."""

from __future__ import annotations

from yt_pipeline.stage import StageDeps

PipelineStageDependencies = StageDeps
StageDependencies = StageDeps

__all__ = ["PipelineStageDependencies", "StageDependencies"]

"""The objects lifecycle hooks receive: what run this is, and how a stage ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yt_pipeline.config import PipelineConfig

# Stage outcomes, as written to state.yml and run records.
SUCCESS = "SUCCESS"
FAILED = "FAILED"
SKIPPED = "SKIPPED"
CACHED = "CACHED"


@dataclass
class RunInfo:
    """One run of a pipeline."""

    run_id: str
    pipeline_dir: Path
    mode: str
    stages: list[str]
    #: the pipeline's resolved configuration (left out of the repr: traces print runs)
    settings: PipelineConfig | None = field(default=None, repr=False)
    started_at: float = 0.0


@dataclass
class StageOutcome:
    """How one stage ended in a run."""

    stage: str
    status: str
    duration_s: float = 0.0
    attempts: int = 1
    reason: str = ""
    error: str | None = None
    debug: dict[str, Any] = field(default_factory=dict)

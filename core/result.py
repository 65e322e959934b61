"""What a run returns: `PipelineResult`, one `StepResult` per stage.

A failed run of a folder pipeline and of a function-step pipeline is reported the same way:
the result says `success` false and carries the run's first `error` (its text), the
`failure` itself (a `StageFailed`, or a `PluginHookFailed` naming a plugin) and the
`resume_hint`; `raise_for_failure()` raises that failure, which is what `BasePipeline.run`
does and what a function-step pipeline leaves to its caller.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from yt_pipeline.errors import StageFailed, YtPipelineError


@dataclass
class StepResult:
    name: str
    status: str
    duration_seconds: float = 0.0
    cached: bool = False
    skipped_reason: str = ""
    error: str | None = None
    attempts: int = 1
    #: where the step's output is kept: its tables (yt paths), or its values in the state
    #: file (`file://.../.runs/stages.<state>.json#<step>`)
    artifact_uri: str = ""


@dataclass
class PipelineResult:
    run_id: str
    success: bool
    duration_seconds: float
    step_results: dict[str, StepResult] = field(default_factory=dict)
    #: named outputs (function steps) and the final debug context (stages)
    outputs: dict[str, Any] = field(default_factory=dict)
    debug: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    #: the plan a dry run prints
    plan: str = ""
    #: the run record file
    record: str | None = None
    #: the pipeline's name (function steps), project and version, as given
    pipeline_name: str = ""
    project_name: str = ""
    version: str = ""
    #: why the run failed: the exception `raise_for_failure` raises
    failure: YtPipelineError | None = field(default=None, repr=False, compare=False)
    #: how to go on after a failure (`to resume: ...`)
    resume_hint: str = ""

    def raise_for_failure(self) -> PipelineResult:
        """This result when the run succeeded; otherwise raise its failure, with this
        result as the failure's `.result` and the hint as its `.resume_hint`."""
        if self.success:
            return self
        failure = self.failure or StageFailed("?", RuntimeError(self.error))
        failure.result = self
        failure.resume_hint = self.resume_hint or None
        raise failure

    def __getitem__(self, name: str) -> Any:
        return self.outputs[name]

    def summary(self) -> str:
        lines = [
            f"run {self.run_id}: {'success' if self.success else 'FAILED'} "
            f"in {self.duration_seconds:.2f}s"
        ]
        for step in self.step_results.values():
            extra = " (cached)" if step.cached else ""
            if step.skipped_reason:
                extra = f" ({step.skipped_reason})"
            if step.error:
                extra = f": {step.error}"
            lines.append(f"  {step.name:<24} {step.status:<8} {step.duration_seconds:7.2f}s{extra}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(replace(self, failure=None))
        del data["failure"]
        data["step_results"] = {k: asdict(v) for k, v in self.step_results.items()}
        return data

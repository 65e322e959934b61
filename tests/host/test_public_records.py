"""The records users and plugins are handed stay dataclasses all the way down.

A run's internal records are msgspec Structs (made in a twentieth of a dataclass's time at
start-up), but the objects a plugin receives or returns (docs/writing-a-plugin.md) and a
pipeline's result are dataclasses, and so is everything they hold: a plugin may build a
spec with `dataclasses.asdict` or change one with `dataclasses.replace`, which a Struct
inside would break (asdict keeps it as an object that json cannot write).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from yt_pipeline.checkpoints import Checkpoint
from yt_pipeline.events import RunInfo, StageOutcome
from yt_pipeline.operation_config import Resources
from yt_pipeline.operations import OperationResult, OperationSpec
from yt_pipeline.packaging import CodePackage
from yt_pipeline.result import PipelineResult, StepResult
from yt_pipeline.runner import RunOptions
from yt_pipeline.stage import StageContext


def _spec(tmp_path: Path) -> OperationSpec:
    package = CodePackage(tmp_path / "source.tar.gz", "abc", 10, 2, {("s", "map"): "w.sh"})
    return OperationSpec(
        kind="map", stage_name="s", name="map", stage_dir=tmp_path, pipeline_dir=tmp_path,
        input_tables=["//in"], output_tables=["//out"], mapper="src/mapper.py",
        resources=Resources(job_count=2, memory_limit_gb=1.5), code_package=package,
        checkpoints=[Checkpoint("model", "model.bin", tmp_path / "model.bin")],
    )


def test_an_operation_spec_converts_to_plain_data_all_the_way_down(tmp_path):
    data = dataclasses.asdict(_spec(tmp_path))
    assert data["resources"]["job_count"] == 2 and data["resources"]["memory_limit_gb"] == 1.5
    assert data["code_package"]["content_hash"] == "abc"
    # the one mapping json cannot write by itself: keyed by (stage, operation)
    assert data["code_package"].pop("wrappers") == {("s", "map"): "w.sh"}
    assert data["checkpoints"] == [{"name": "model", "entry": "model.bin",
                                    "source": tmp_path / "model.bin"}]
    # nothing in it is left an object json cannot write (paths aside, written as text)
    text = json.dumps(data, default=_path_only)
    assert '"job_count": 2' in text


def _path_only(value: object) -> str:
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not plain data: {value!r}")


def test_a_plugin_can_replace_fields_of_what_it_is_handed(tmp_path):
    spec = _spec(tmp_path)
    wider = dataclasses.replace(spec, resources=dataclasses.replace(spec.resources, job_count=8))
    assert wider.resources.job_count == 8 and spec.resources.job_count == 2
    assert dataclasses.replace(spec.code_package, size=11).size == 11


def test_results_and_hook_arguments_are_dataclasses(tmp_path):
    for record in (
        PipelineResult("r", True, 1.0, {"a": StepResult("a", "SUCCESS")}),
        StepResult("a", "SUCCESS"),
        OperationResult(rows={"//out": 3}),
        RunInfo("r", tmp_path, "dev", ["a"]),
        StageOutcome("a", "SUCCESS"),
        StageContext("a", tmp_path, tmp_path),
        RunOptions(only=["a"]),
    ):
        assert dataclasses.is_dataclass(record), type(record).__name__
    result = PipelineResult("r", True, 1.0, {"a": StepResult("a", "SUCCESS", 0.5)})
    assert json.loads(json.dumps(dataclasses.asdict(result)))["step_results"]["a"] == {
        "name": "a", "status": "SUCCESS", "duration_seconds": 0.5, "cached": False,
        "skipped_reason": "", "error": None, "attempts": 1, "artifact_uri": ""}

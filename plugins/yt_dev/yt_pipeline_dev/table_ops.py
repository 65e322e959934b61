"""map, reduce, map_reduce and sort in dev, each as YT runs them.

map pipes byte ranges of the input through N parallel jobs and joins their outputs in input
order; reduce sorts its input by sort_by, then hands each job whole groups of reduce_by;
sort sorts for real. Every output is written through the client's `writing` (a temporary file
renamed over the table, or staged in the stage's transaction), so a failed operation leaves
the table as it was.
"""

from __future__ import annotations

from pathlib import Path

from yt_pipeline.errors import BackendError, ConfigError
from yt_pipeline_dev.atomic import append_file, count_lines, ends_with_newline
from yt_pipeline_dev.launcher import OperationRun
from yt_pipeline_dev.shards import Segment, split_by_groups, split_files
from yt_pipeline_dev.sorting import line_key, sort_files


def _inputs(op: OperationRun) -> list[Path]:
    return [op.client.existing_table(t) for t in op.spec.input_tables]


def _run_scripts(op: OperationRun, script: str, phase: str, shards: list[list[Segment]],
                 target: Path) -> None:
    """One job per shard; job 0 appends to `target`, the others' outputs are joined after it."""
    outputs = [target] + [op.sandbox / f"{phase}{i}.out" for i in range(1, len(shards))]
    jobs = [
        op.job(script, i, phase=phase, stdin=shard, stdout=outputs[i], append_stdout=(i == 0))
        for i, shard in enumerate(shards)
    ]
    op.run(jobs, phase)
    for extra in outputs[1:]:
        append_file(target, extra)
        extra.unlink()
    if not ends_with_newline(target):
        with target.open("ab") as out:
            out.write(b"\n")


def _sort(op: OperationRun, sources: list[Path], target: Path, columns: list[str]) -> int:
    try:
        return sort_files(sources, target, columns, work_dir=op.sandbox)
    except ValueError as exc:
        raise BackendError(
            f"stage {op.spec.stage_name} operation {op.spec.name}: cannot sort "
            f"{', '.join(op.spec.input_tables)}: a line is not JSON ({exc})"
        ) from None


def _check_keys(op: OperationRun) -> None:
    spec = op.spec
    if spec.sort_by[: len(spec.reduce_by)] != spec.reduce_by:
        raise ConfigError(
            f"stage {spec.stage_name} operation {spec.name}: sort_by {spec.sort_by} must "
            f"start with reduce_by {spec.reduce_by}"
        )


def _reduce_sorted(op: OperationRun, sorted_file: Path, target: Path) -> None:
    spec = op.spec
    assert spec.reducer is not None
    shards = split_by_groups(sorted_file, op.job_count, line_key(spec.reduce_by))
    _run_scripts(op, spec.reducer, "reduce", [[s] for s in shards], target)


def _write_output(op: OperationRun, produce) -> None:
    table = op.spec.output_tables[0]
    with op.client.writing(table, append=op.spec.append) as tmp:
        base = tmp.stat().st_size
        produce(tmp)
        op.rows[table] = count_lines(tmp, base)


def map(op: OperationRun) -> None:  # noqa: A001 - named after the operation kind
    spec = op.spec
    assert spec.mapper is not None
    shards = split_files(_inputs(op), op.job_count)
    _write_output(op, lambda tmp: _run_scripts(op, spec.mapper, "map", shards, tmp))


def reduce(op: OperationRun) -> None:
    spec = op.spec
    _check_keys(op)
    sorted_file = op.sandbox / "sorted.jsonl"
    _sort(op, _inputs(op), sorted_file, spec.sort_by)
    _write_output(op, lambda tmp: _reduce_sorted(op, sorted_file, tmp))


def map_reduce(op: OperationRun) -> None:
    spec = op.spec
    assert spec.mapper is not None
    _check_keys(op)
    mapped, sorted_file = op.sandbox / "mapped.jsonl", op.sandbox / "sorted.jsonl"
    mapped.write_bytes(b"")
    _run_scripts(op, spec.mapper, "map", split_files(_inputs(op), op.job_count), mapped)
    _sort(op, [mapped], sorted_file, spec.sort_by)
    mapped.unlink()
    _write_output(op, lambda tmp: _reduce_sorted(op, sorted_file, tmp))


def sort(op: OperationRun) -> None:
    spec = op.spec
    inputs = _inputs(op)
    table = spec.output_tables[0]
    with op.client.writing(table) as tmp:
        op.rows[table] = _sort(op, inputs, tmp, spec.sort_by)

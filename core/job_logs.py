"""The stderr of a run's jobs, kept per run and stage: `.runs/logs/<run id>/<stage>.log`.

Backends append each job's stderr once its operation has ended, masked (secrets never
reach the file) and bounded: the last `PER_JOB` bytes of each job, and at most `PER_STAGE`
bytes per stage and run (a note says when more was left out). `yt-pipeline logs STAGE`
shows the end of the file. The files go with their run record when it is pruned.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from yt_pipeline.journal import RUNS_DIR
from yt_pipeline.logs import masked

LOGS_DIR = "logs"
#: the end of each job's stderr that is kept
PER_JOB = 64 * 1024
#: what one stage's log may hold in one run
PER_STAGE = 1024 * 1024

_lock = threading.Lock()  # parallel operations of one stage append to one file


def job_name(phase: str, index: int, total: int | None) -> str:
    """How errors and job logs name a job, in both modes: `map job 2 of 3`, counted from 1
    (its YT_JOB_INDEX / job cookie is one less); without `of N` when the count of the
    phase's jobs is not known (a map_reduce on a cluster counts all its phases together)."""
    of = f" of {total}" if total else ""
    return f"{_kind(phase)} {index + 1}{of}"


def unnumbered_job_name(phase: str, job_id: str, state: str = "") -> str:
    """How a job is named when its number is not known (a cluster too old to report its
    cookie): `vanilla task (job <id>)`, the cluster's id in place of the number, and its
    state after it in a job log (`, failed`)."""
    return f"{_kind(phase)} (job {job_id}{', ' + state if state else ''})"


def _kind(phase: str) -> str:
    return f"{phase} {'task' if phase == 'vanilla' else 'job'}"


def logs_command(stage: str) -> str:
    """What an error says to run for every job's full stderr (`yt-pipeline logs`)."""
    return f"yt-pipeline logs {stage}"


def logs_dir(pipeline_dir: Path, run_id: str) -> Path:
    return Path(pipeline_dir) / RUNS_DIR / LOGS_DIR / run_id


def stage_log(pipeline_dir: Path, run_id: str, stage: str) -> Path:
    return logs_dir(pipeline_dir, run_id) / f"{stage}.log"


def append_job_log(path: Path, header: str, data: bytes) -> None:
    """Add one job's (already masked) stderr under a `=== header ===` line."""
    if len(data) > PER_JOB:
        data = b"[... %d earlier bytes left out ...]\n" % (len(data) - PER_JOB) + data[-PER_JOB:]
    if data and not data.endswith(b"\n"):
        data += b"\n"
    block = f"=== {header} ===\n".encode() + data
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        size = path.stat().st_size if path.exists() else 0
        if size >= PER_STAGE:
            return  # the note below was written when the limit was reached
        if size + len(block) > PER_STAGE:
            block = block[:PER_STAGE - size] + (
                f"\n[the log of this stage is cut at {PER_STAGE} bytes]\n".encode())
        with path.open("ab") as out:
            out.write(block)


def tail(path: Path, lines: int) -> list[str]:
    # the file was masked as it was written; masked again whole, before it is cut to its
    # last lines, for a secret known now that was not then
    text = masked(path.read_text(encoding="utf-8", errors="replace"))
    return text.splitlines()[-lines:] if lines else text.splitlines()


def remove_run_logs(pipeline_dir: Path, run_id: str) -> None:
    shutil.rmtree(logs_dir(pipeline_dir, run_id), ignore_errors=True)

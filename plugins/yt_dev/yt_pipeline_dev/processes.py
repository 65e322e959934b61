"""Run job processes: at most one per core at a time, input fed from byte ranges of files.

The driver never parses rows here. A feeder thread copies each job's byte ranges into its
stdin with sendfile (no copy through Python), stdout goes straight to a file, stderr to a
file in the sandbox. A job that fails or runs past its time limit stops the others.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from yt_pipeline_dev.shards import Segment

_PIPE_CHUNK = 1 << 20
_TAIL_LINES = 20


@dataclass
class Job:
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    stderr: Path
    stdout: Path | None = None
    #: None: stdout and stderr both go to the stderr file (vanilla tasks)
    stdin: Sequence[Segment] | None = field(default=None)
    append_stdout: bool = False


@dataclass
class JobFailure(Exception):
    index: int
    exit_code: int | None
    reason: str
    stderr_tail: str


def run_jobs(jobs: Sequence[Job], timeout_s: float | None = None) -> list[dict[str, int]]:
    """Run every job (parallel up to the core count); raise JobFailure for the first failure."""
    stop = threading.Event()
    workers = max(1, min(len(jobs), os.cpu_count() or 1))
    failures: list[JobFailure] = []
    stats = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_run_one, i, job, timeout_s, stop) for i, job in enumerate(jobs)]
        for future in as_completed(futures):
            try:
                stats.append(future.result())
            except JobFailure as exc:
                stop.set()  # one failed job fails the operation: stop the others
                failures.append(exc)
    real = [f for f in failures if f.reason != "stopped"]
    if real:
        raise min(real, key=lambda f: f.index)
    return sorted(stats, key=lambda s: s["index"])


def _run_one(index: int, job: Job, timeout_s: float | None, stop: threading.Event) -> dict:
    if stop.is_set():
        raise JobFailure(index, None, "stopped", "")
    started = time.monotonic()
    with job.stderr.open("wb") as err:
        out = job.stdout.open("ab" if job.append_stdout else "wb") if job.stdout else err
        try:
            proc = subprocess.Popen(
                job.argv, cwd=job.cwd, env=job.env, stdout=out, stderr=err,
                stdin=subprocess.PIPE if job.stdin is not None else subprocess.DEVNULL,
                start_new_session=True,  # a timeout kills the wrapper and its children
            )
        finally:
            if out is not err:
                out.close()
        feeder = None
        if job.stdin is not None:
            feeder = threading.Thread(target=_feed, args=(proc, job.stdin), daemon=True)
            feeder.start()
        reason = _wait(proc, started, timeout_s, stop)
        if feeder is not None:
            feeder.join()
    seconds = time.monotonic() - started
    if reason is None and proc.returncode == 0:
        return {"index": index, "seconds": int(seconds * 1000)}
    if reason is None:
        reason = "failed"
    raise JobFailure(index, proc.returncode, reason, stderr_tail(job.stderr))


def _wait(proc: subprocess.Popen, started: float, timeout_s: float | None,
          stop: threading.Event) -> str | None:
    while True:
        try:
            proc.wait(timeout=0.02)
            return None
        except subprocess.TimeoutExpired:
            pass
        if stop.is_set():
            _kill(proc)
            return "stopped"
        if timeout_s is not None and time.monotonic() - started > timeout_s:
            _kill(proc)
            return f"ran longer than resources.timeout_s={timeout_s:g}s and was killed"


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def _feed(proc: subprocess.Popen, segments: Sequence[Segment]) -> None:
    assert proc.stdin is not None
    pipe = proc.stdin.fileno()
    _widen(pipe)
    try:
        for segment in segments:
            with open(segment.path, "rb") as handle:
                _copy_range(handle.fileno(), pipe, segment.start, segment.end)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the job stopped reading; its exit code tells whether that was a failure
    finally:
        try:
            proc.stdin.close()
        except OSError:
            pass


def _widen(pipe: int) -> None:
    """A larger pipe buffer: fewer wake-ups of the job and of the feeder (Linux only)."""
    try:
        import fcntl

        fcntl.fcntl(pipe, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_CHUNK)
    except (ImportError, OSError):
        pass  # the default size works, only a little slower


def _copy_range(source: int, pipe: int, start: int, end: int) -> None:
    offset = start
    while offset < end:
        try:
            sent = os.sendfile(pipe, source, offset, min(_PIPE_CHUNK, end - offset))
        except OSError as exc:
            if isinstance(exc, BrokenPipeError):
                raise
            sent = _copy_slow(source, pipe, offset, end)
        if sent == 0:
            break
        offset += sent


def _copy_slow(source: int, pipe: int, offset: int, end: int) -> int:
    data = os.pread(source, min(_PIPE_CHUNK, end - offset), offset)
    view = memoryview(data)
    while view:
        written = os.write(pipe, view)
        view = view[written:]
    return len(data)


def stderr_tail(path: Path, lines: int = _TAIL_LINES) -> str:
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            handle.seek(max(0, size - 16384))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip("\n").split("\n")[-lines:])

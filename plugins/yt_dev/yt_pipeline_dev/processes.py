"""Run job processes: at most one per core at a time, input fed from byte ranges of files.

The driver never parses rows here. A feeder thread copies each job's byte ranges into its
stdin with sendfile (no copy through Python), stdout goes straight to a file, stderr to a
file in the sandbox. A job that fails or runs past its time limit is run again, as a cluster
reruns it, until the operation's failed jobs reach its max_failed_job_count (job_attempts.py);
then the others are stopped.

The core limit holds for the whole process, so stages running in parallel share the cores
rather than each starting one job per core. Jobs run in their own session (so a time limit
kills a wrapper and its children); jobs still running when the driver exits, after Ctrl-C
for instance, are killed rather than left behind.
"""

from __future__ import annotations

import atexit
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from yt_pipeline import job_fds, job_memory, job_statistics
from yt_pipeline.term_signal import run_sigterm_flag
from yt_pipeline.yson_size import may_reach
from yt_pipeline_dev import job_leftovers
from yt_pipeline_dev.job_attempts import FailedJobs, keep_attempt
from yt_pipeline_dev.job_output import MAX_ROW_WEIGHT, BadOutput, check_rows
from yt_pipeline_dev.output_schema import heavy_key, refused_output
from yt_pipeline_dev.shards import Segment
from yt_pipeline_dev.table_switches import BadSwitch, check_switches
from ytjobs import tally
from ytjobs.tally import Told

_PIPE_CHUNK = 1 << 20
JOB_TIME_LIMIT_TEXT = "Job time limit exceeded"
_POLL_S = 0.02

_slots_lock = threading.Lock()
_slots_by_count: dict[int, threading.Semaphore] = {}
_live: set[subprocess.Popen] = set()


def _slots() -> threading.Semaphore:
    """The process-wide semaphore of job slots, one per core."""
    count = max(1, os.cpu_count() or 1)
    with _slots_lock:
        if count not in _slots_by_count:
            _slots_by_count[count] = threading.Semaphore(count)
        return _slots_by_count[count]


_exiting = threading.Event()


@atexit.register
def _kill_leftovers() -> None:
    _exiting.set()
    for proc in list(_live):
        if proc.poll() is None:
            _kill(proc)


class Job(msgspec.Struct):
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    stderr: Path
    stdout: Path | None = None
    #: None: stdout and stderr both go to the stderr file (vanilla tasks)
    stdin: Sequence[Segment] | None = None
    #: stdout becomes table rows: check every line is one, as YT does
    check_output: bool = False
    #: where ytjobs in the job tells how much of its stdout it wrote (ytjobs/tally.py)
    tally: Path | None = None
    #: set when the job ended well and ytjobs wrote the whole of its output: its rows and
    #: switches are known without reading the output again
    told: Told | None = None
    #: the forms of the secrets the job may print: masked in a bad line the error quotes
    masked_forms: list[str] = msgspec.field(default_factory=list)
    #: bytes of its input sent so far (one item, written by its feeder thread alone); a
    #: rerun adds nothing until it has sent more than the attempt before (_Fed)
    fed: list[int] = msgspec.field(default_factory=lambda: [0])
    #: bytes of memory past which it is killed, as a cluster kills it (job_memory.py);
    #: None: not watched
    memory_limit: int | None = None
    #: the files of output tables 1, 2...: the job finds them open at fd 4, 7... as on a
    #: cluster (job_fds.py), and fd 5, its statistics pipe, open too; empty for a job whose
    #: stdout is no table
    extra_outputs: list[Path] = msgspec.field(default_factory=list)
    #: where the job's fd 5 goes (its custom statistics, read after it ends well:
    #: job_statistics.py); None: nowhere
    statistics: Path | None = None
    #: its custom_statistics_count_limit
    statistics_limit: int = job_statistics.DEFAULT_COUNT_LIMIT
    #: the columns (name: YT type) of the strict schema of each output table, None for a
    #: table without one: its rows are checked against them (output_schema.py); empty when
    #: no output table has one
    output_columns: list[dict[str, str] | None] = msgspec.field(default_factory=list)
    #: the key of each output table of sorted strict schema, None for another: a sorted
    #: writer weighs each row's key (output_schema.heavy_key); empty when none is sorted
    output_keys: list[list[str] | None] = msgspec.field(default_factory=list)

    def input_size(self) -> int:
        return sum(len(s.header) + s.end - s.start for s in self.stdin or ())


@dataclass
class JobFailure(Exception):
    index: int
    exit_code: int | None
    reason: str
    #: the job's stderr file: the error shows its end, masked (OperationRun.failed)
    stderr: Path
    #: which run of the job failed, counted from 1
    attempt: int = 1
    #: the operation's failed jobs when this one failed it, None: not counted (stopped)
    failed_jobs: FailedJobs | None = None
    #: the jobs stopped because this one failed the operation (their logs say so)
    stopped: tuple[int, ...] = ()
    #: the job's error in the cluster's words (a row or a switch its output refused), told
    #: after which attempt it was, as prod tells a failed job (failed_jobs.FailedJob.told)
    detail: str = ""
    #: the signal that ended the job, when one from outside did
    killed_by: int | None = None

    def told(self) -> str:
        """`failed on its attempt 3: Unknown column "x" in strict schema`: what the job
        did, on which run, and the error it met."""
        text = self.reason
        if self.attempt > 1:
            text += f" on its attempt {self.attempt}"
        return f"{text}: {self.detail}" if self.detail else text


def run_jobs(jobs: Sequence[Job], timeout_s: float | None = None,
             on_done: Callable[[int], None] | None = None,
             on_tick: Callable[[], None] | None = None,
             failed_jobs: FailedJobs | None = None,
             on_rerun: Callable[[JobFailure], None] | None = None,
             jobs_before: int = 0,
             run_ended: threading.Event | None = None) -> list[dict[str, Any]]:
    """Run every job (parallel up to the core count). A failed job is run again while
    `failed_jobs` allows (None: the first failure is the last); the failure that reaches
    its limit is raised as JobFailure. `on_done(index)` is called as each job ends well,
    `on_rerun(failure)` before a failed one runs again, `on_tick()` every tenth of a
    second while they run. `jobs_before`: the jobs the operation started in its earlier
    phases, which YT_JOB_INDEX counts too (job_env.job_environment). Once `run_ended` is
    set (the run ended before the operation: run_operations.py), the jobs are stopped.

    Daemon threads wait for the jobs, so an interrupted driver exits at once (a pool's
    threads would hold the interpreter until every job ended).
    """
    stop = threading.Event()
    if run_ended is not None and run_ended.is_set():
        # the run ended before this phase (a map_reduce's reduce, an operation still
        # preparing): its jobs never start, where the watch below let them run a tenth of
        # a second, and one that short end well, the operation going on as if nothing was
        stop.set()
    run_sigterm = run_sigterm_flag()
    results: list[dict | JobFailure | None] = [None] * len(jobs)
    counted = failed_jobs or FailedJobs(1)
    # a rerun is a new job: YT_JOB_INDEX counts every job the operation started, and
    # YT_TASK_JOB_INDEX every job its task started (the jobs run here are one task's),
    # YT_JOB_COOKIE is kept
    # (the fake's OperationRunner numbers them so, as a cluster's controller does)
    started = [len(jobs)]
    index_lock = threading.Lock()

    def renumber(job: Job) -> None:
        with index_lock:
            job.env = {**job.env, "YT_JOB_INDEX": str(jobs_before + started[0]),
                       "YT_TASK_JOB_INDEX": str(started[0])}
            started[0] += 1

    def work(index: int, job: Job) -> None:
        attempt = 1
        while True:
            try:
                results[index] = _run_one(index, job, timeout_s, stop)
                if on_done is not None:
                    on_done(index)
                return
            except JobFailure as exc:
                exc.attempt = attempt
                if (exc.reason == "stopped" or _exiting.is_set()
                        or _ended_with_the_run(exc, run_sigterm)):
                    # killed as the driver exits (Ctrl-C, SIGTERM: _kill_leftovers), not
                    # failed: not run again, nor reported as a job failure
                    exc.reason = "stopped"
                    results[index] = exc
                    return
                exc.failed_jobs = counted
                if counted.add() and not stop.is_set() and not (
                        run_ended is not None and run_ended.is_set()):
                    if on_rerun is not None:
                        on_rerun(exc)
                    keep_attempt(job.stderr, attempt)
                    renumber(job)
                    attempt += 1
                    continue
                stop.set()  # the operation failed: stop the others
                results[index] = exc
                return
            except BaseException as exc:  # pragma: no cover - an OSError starting a job
                stop.set()
                results[index] = JobFailure(index, None, f"could not start: {exc}", job.stderr)
                return

    threads = [threading.Thread(target=work, args=(i, job), daemon=True)
               for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.1)
                if run_ended is not None and run_ended.is_set():
                    stop.set()  # the threads kill their jobs, which end "stopped"
                if on_tick is not None:
                    on_tick()
    except BaseException:
        stop.set()  # interrupted: the threads kill their jobs
        raise
    failures = [r for r in results if isinstance(r, JobFailure) and r.reason != "stopped"]
    if failures:
        failures[0].stopped = tuple(r.index for r in results
                                    if isinstance(r, JobFailure) and r.reason == "stopped")
        raise failures[0]
    stopped = [r for r in results if isinstance(r, JobFailure)]
    if stopped:
        # no job failed, yet some were stopped: the driver is exiting (Ctrl-C); their output
        # is incomplete and must not become a table
        raise stopped[0]
    return [r for r in results if isinstance(r, dict)]


#: how long the thread of a job SIGTERM ended waits for the run to take its own SIGTERM
_RUN_SIGTERM_WAIT_S = 1.0


def _ended_with_the_run(failure: JobFailure, run_sigterm: threading.Event | None) -> bool:
    """Whether a job SIGTERM ended was signalled with the run itself, as a service manager
    or a container's stop signals every process at once (`run_sigterm`: the run's flag,
    term_signal.run_sigterm_flag). The job's end may be seen before the run's main thread
    takes its own signal, so it is waited for a moment; a job that SIGTERM ended alone is
    run again as any failed job, that moment later (a cluster stops a job with SIGKILL,
    never SIGTERM). A run that did not set the handler takes no SIGTERM for its own."""
    return (failure.killed_by == signal.SIGTERM and run_sigterm is not None
            and run_sigterm.wait(_RUN_SIGTERM_WAIT_S))


def _run_one(index: int, job: Job, timeout_s: float | None, stop: threading.Event) -> dict:
    slots = _slots()
    while not slots.acquire(timeout=_POLL_S):
        if stop.is_set():
            raise JobFailure(index, None, "stopped", job.stderr)
    try:
        if stop.is_set() or _exiting.is_set():
            raise JobFailure(index, None, "stopped", job.stderr)
        return _start_and_wait(index, job, timeout_s, stop)
    finally:
        slots.release()


def _start_and_wait(index: int, job: Job, timeout_s: float | None,
                    stop: threading.Event) -> dict:
    started = time.monotonic()
    if job.tally is not None:
        job.tally.unlink(missing_ok=True)  # told afresh by each run of the job
    with job.stderr.open("wb") as err:
        out = _open_stdout(job.stdout) if job.stdout else err
        opened = _open_extra(job) if out is not err else {}
        if job.statistics is not None:  # every user job has fd 5 on a cluster, vanilla too
            job_fds.close_all([opened.get(job_fds.STATISTICS_FD, -1)])
            opened[job_fds.STATISTICS_FD] = _open_truncated(job.statistics)
        argv, handed = job_fds.with_fds(job.argv, opened)
        try:
            proc = subprocess.Popen(
                argv, cwd=job.cwd, env=job.env, stdout=out, stderr=err,
                stdin=subprocess.PIPE if job.stdin is not None else subprocess.DEVNULL,
                start_new_session=True,  # a timeout kills the wrapper and its children
                pass_fds=handed,
            )
        finally:
            if out is not err:
                out.close()
            job_fds.close_all([*handed, *opened.values()])
        _live.add(proc)
        try:
            feeder = None
            if job.stdin is not None:
                assert proc.stdin is not None
                pipe = os.fstat(proc.stdin.fileno())
                feeder = threading.Thread(target=_feed, args=(proc, job.stdin, _Fed(job.fed)),
                                          daemon=True)
                feeder.start()
            reason = _wait(proc, started, timeout_s, stop, job.memory_limit)
            if feeder is not None:  # a helper the job left may hold its stdin
                job_leftovers.free_feeder(feeder, (pipe.st_dev, pipe.st_ino))
        finally:
            _live.discard(proc)
    # a process the job left in a session of its own writes to its files no more
    job_leftovers.stop_writers([job.stdout, *job.extra_outputs, job.statistics, job.stderr])
    if reason is None and proc.returncode == 0:
        if job.check_output and job.stdout is not None:
            job.told = _told_whole(job)
            try:
                # ytjobs checked each row as it wrote it; only a row over the weight limit
                # is left to find, and there is none when no piece it wrote was long
                # enough to weigh that much (yson_size.may_reach)
                if job.told is None or may_reach(job.told.longest, MAX_ROW_WEIGHT):
                    check_rows(job.stdout, written_by_ytjobs=job.told is not None,
                               masked_forms=job.masked_forms)
            except BadOutput as bad:
                raise JobFailure(index, None, f"wrote a bad row: {bad}", job.stderr) from None
            _check_extra(index, job)
            _check_switches(index, job)
            _check_schema(index, job)
        seconds = time.monotonic() - started
        return {"index": index, "seconds": int(seconds * 1000),
                "statistics": _statistics(index, job)}
    code = proc.returncode
    killed_by = -code if reason is None and code < 0 else None
    if killed_by is not None:
        reason, code = f"was killed by signal {_signal_name(killed_by)}", None
    elif reason is None:
        reason = "failed"
    else:
        code = None  # killed by us: the reason says why, the -9 would only confuse
    raise JobFailure(index, code, reason, job.stderr, killed_by=killed_by)


def _open_stdout(path: Path) -> BinaryIO:
    """A job's stdout file, emptied for each attempt and appended to: as on a cluster, where
    stdout is a pipe, a job cannot go back over what it wrote (a seek does not move its
    writes), so the size of the output tells whether ytjobs wrote all of it (`_told_whole`)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    return os.fdopen(os.open(path, flags, 0o644), "ab")


def _open_extra(job: Job) -> dict[int, int]:
    """The descriptors the job finds at fd 4, 7... (its output tables beyond the first,
    each a file, appended to as a pipe is) and at fd 5 (its statistics: dev keeps none)."""
    opened = {job_fds.STATISTICS_FD: os.open(os.devnull, os.O_WRONLY)}
    for number, path in enumerate(job.extra_outputs, start=1):
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC
        opened[job_fds.output_fd(number)] = os.open(path, flags, 0o644)
    return opened


def _open_truncated(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC, 0o644)


def _statistics(index: int, job: Job) -> dict[str, job_statistics.Summary]:
    """The custom statistics the job wrote to fd 5; what a cluster's job proxy refuses
    fails the job, with its words."""
    if job.statistics is None or not job.statistics.is_file():
        return {}
    try:
        return job_statistics.job_summaries(job.statistics.read_bytes(), job.statistics_limit)
    except job_statistics.StatisticsRefused as refused:
        raise JobFailure(index, None, f"wrote statistics to fd 5 a cluster refuses: {refused}",
                         job.stderr) from None


def _check_extra(index: int, job: Job) -> None:
    """Every line the job wrote to fd 4, 7... must be a row, as on stdout."""
    for number, path in enumerate(job.extra_outputs, start=1):
        try:
            check_rows(path, masked_forms=job.masked_forms)
        except BadOutput as bad:
            raise JobFailure(index, None, f"wrote a bad row to fd {job_fds.output_fd(number)} "
                             f"(output table {number}): {bad}", job.stderr) from None


def _check_switches(index: int, job: Job) -> None:
    """A switch to an output table the operation does not have fails the job, which is then
    run again as any failed job is (not the whole operation at once): its stdout and its
    fd 4, 7... streams each name tables out of 1 + len(extra_outputs)."""
    assert job.stdout is not None
    count = 1 + len(job.extra_outputs)
    streams = [path for path in job.extra_outputs if path.stat().st_size]
    if job.told is None or job.told.switches:  # ytjobs told of none: nothing to look for
        streams.insert(0, job.stdout)
    for path in streams:
        try:
            check_switches(path, count)
        except BadSwitch as bad:
            raise JobFailure(index, None, "failed", job.stderr, detail=str(bad)) from None


def _check_schema(index: int, job: Job) -> None:
    """A row an output table's strict schema refuses, or whose key a sorted table's writer
    finds too heavy, fails the job, which is then run again as any failed job is: a
    cluster's table writer checks each row the job writes (output_schema.py)."""
    if not any(columns is not None for columns in job.output_columns):
        return  # no table with a schema: nothing to parse
    assert job.stdout is not None
    for first, path in enumerate([job.stdout, *job.extra_outputs]):
        refused = (refused_output(path, job.output_columns, first)
                   or heavy_key(path, job.output_keys, first))
        if refused is not None:
            raise JobFailure(index, None, "failed", job.stderr, detail=refused)


def _told_whole(job: Job) -> tally.Told | None:
    """What ytjobs told of the job's output, when it wrote the whole of it (it told how
    much at exit: anything else on stdout makes the sizes differ; the file is the job's
    alone, emptied as each attempt starts); else None."""
    if job.tally is None or job.stdout is None:
        return None
    told = tally.read(job.tally)
    if told is None or told.size != job.stdout.stat().st_size:
        return None
    return told


def _signal_name(number: int) -> str:
    try:
        return f"{signal.Signals(number).name} ({number})"
    except ValueError:
        return str(number)


def _wait(proc: subprocess.Popen, started: float, timeout_s: float | None,
          stop: threading.Event, memory_limit: int | None = None) -> str | None:
    ended = _exit_signal(proc)
    # poll, not select: select refuses a descriptor numbered 1024 or more
    watch = None
    if ended is not None:
        watch = select.poll()
        watch.register(ended, select.POLLIN)
    next_memory_check = time.monotonic()
    try:
        while True:
            if _ended_within(proc, watch, _POLL_S):
                return None
            if stop.is_set() or _exiting.is_set():
                _kill(proc)
                return "stopped"
            if timeout_s is not None and time.monotonic() - started > timeout_s:
                _kill(proc)
                # ends as a cluster's job proxy says it (TUserJob::OnJobTimeLimitExceeded,
                # yt/yt/server/job_proxy/user_job.cpp): prod's error carries the same words
                return (f"ran longer than resources.timeout_s={timeout_s:g}s and was killed: "
                        f"{JOB_TIME_LIMIT_TEXT}")
            if memory_limit is not None and time.monotonic() >= next_memory_check:
                next_memory_check = time.monotonic() + job_memory.CHECK_EVERY_S
                used = job_memory.tree_rss(proc.pid)
                if used is not None and used > memory_limit:
                    _kill(proc)
                    return job_memory.over_limit(used, memory_limit)
    finally:
        if ended is not None:
            os.close(ended)


def _exit_signal(proc: subprocess.Popen) -> int | None:
    """A descriptor that becomes readable when the job exits (a pidfd: Linux 5.3 and
    later), or None. Without it a wait with a timeout sleeps in growing steps of up to 8
    ms between its checks, and the operation learns late that its last job ended."""
    try:
        return os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        return None


def _ended_within(proc: subprocess.Popen, watch: select.poll | None, seconds: float) -> bool:
    """True once the job has exited (and been reaped, what it left running killed), after
    waiting up to `seconds`; `watch` polls the job's pidfd, if it has one."""
    if watch is None:
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return False
        _kill_group(proc.pid)
        return True
    if not watch.poll(seconds * 1000):
        return False
    _kill_group(proc.pid)  # before the reap: the job's pid, its group's id, is still held
    proc.wait()
    return True


def _kill_group(group: int) -> None:
    """Kill what the job left running once its main process exited: a cluster's job proxy
    kills every process of the job when it ends (TUserJob::Run calls CleanupUserProcesses,
    yt/yt/server/job_proxy/user_job.cpp). Left alive, a helper of a failed attempt writes
    rows into the output of the attempt run after it, or into a table already committed."""
    try:
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # nothing left: the usual case


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


class _Fed:
    """What one attempt of a job was sent, shown in the job's `fed` once it passes what an
    earlier attempt was sent: the input read, as shown, never goes back nor counts twice."""

    def __init__(self, shown: list[int]):
        self.shown = shown
        self.sent = 0

    def add(self, count: int) -> None:
        self.sent += count
        if self.sent > self.shown[0]:
            self.shown[0] = self.sent


def _feed(proc: subprocess.Popen, segments: Sequence[Segment], fed: _Fed) -> None:
    assert proc.stdin is not None
    pipe = proc.stdin.fileno()
    _widen(pipe)
    try:
        for segment in segments:
            if segment.header:
                _write_all(pipe, segment.header)
                fed.add(len(segment.header))
            with open(segment.path, "rb") as handle:
                _copy_range(handle.fileno(), pipe, segment.start, segment.end, fed)
                last = os.pread(handle.fileno(), 1, segment.end - 1) if segment.end else b"\n"
            if last != b"\n":  # a file without a final newline: keep its last row whole
                os.write(pipe, b"\n")
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


def _copy_range(source: int, pipe: int, start: int, end: int, fed: _Fed) -> None:
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
        fed.add(sent)  # a pipe holds at most _PIPE_CHUNK: sent is about what the job read


def _copy_slow(source: int, pipe: int, offset: int, end: int) -> int:
    data = os.pread(source, min(_PIPE_CHUNK, end - offset), offset)
    _write_all(pipe, data)
    return len(data)


def _write_all(pipe: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(pipe, view)
        view = view[written:]


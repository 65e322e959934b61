"""One job of a fake operation: a local process in a temporary sandbox.

The sandbox holds the spec's file_paths (read from the fake Cypress under their file_name),
the environment is the spec's plus the secure vault (secure_vault.py), rows go in
and come out as JSON lines, as a YT job with `format: json` sees them.

A job's stdout is parsed as rows only when it has output tables: the job proxy opens a pipe
for fd 1 only for an output table, and with `redirect_stdout_to_stderr` sends fd 1 to the
stderr pipe instead (UserJob PreparePipes / PrepareOutputTablePipes in
yt/yt/server/job_proxy/user_job.cpp). Output table N beyond the first has a pipe of its own
at fd 3 * N + 1, and fd 5 is the job's statistics pipe (core/job_fds.py); every pipe is
read while the job runs, so a job that fills one before writing another never blocks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yt_pipeline import job_fds, job_memory, job_statistics
from yt_pipeline.output_switches import InvalidSwitch, switch_target
from yt_pipeline.sandbox_path import formatted
from yt_pipeline_prod.fake.json_rows import parse_rows
from yt_pipeline_prod.fake.protocol import YtFakeError
from yt_pipeline_prod.fake.secure_vault import vault_environment
from yt_pipeline_prod.fake.stderr_limit import kept_stderr, max_stderr_size

#: the job proxy's error codes (NJobProxy::EErrorCode, yt/yt/ytlib/job_proxy/public.h)
JOB_TIME_LIMIT_EXCEEDED = 1202
USER_JOB_FAILED = 1205
#: what the job proxy says of a job it stopped at its job_time_limit
#: (TUserJob::OnJobTimeLimitExceeded in yt/yt/server/job_proxy/user_job.cpp)
JOB_TIME_LIMIT_TEXT = "Job time limit exceeded"
#: why a job was stopped before it ended (JobResult.stopped_by)
BY_JOB_TIME_LIMIT = "job_time_limit"
BY_OPERATION_TIME_LIMIT = "operation_time_limit"
BY_FAKE = "fake"


@dataclass
class JobResult:
    id: str
    type: str
    exit_code: int
    stderr: bytes
    #: output rows per output table index
    outputs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    #: its custom statistics (fd 5), by path (yt_pipeline/job_statistics.py)
    statistics: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    #: the command line the job ran and its environment, for tests to inspect
    command: str = ""
    environment: dict[str, str] = field(default_factory=dict, repr=False)
    #: the code of the job's error, and its attributes, as the job proxy reports them
    error_code: int = USER_JOB_FAILED
    error_attributes: dict[str, Any] = field(default_factory=dict)
    #: set when the job was stopped for running too long: which limit stopped it
    stopped_by: str = ""
    #: the job's index within its task (YT_JOB_COOKIE), which list_jobs reports as
    #: `job_cookie` (TJob's Serialize in yt/yt/client/api/operation_client.cpp)
    cookie: int = 0
    #: the vanilla task it ran for, which names its type in the operation's statistics
    task: str = ""
    #: when the job started and ended (seconds since the epoch), which list_jobs reports
    started: float = 0.0
    finished: float = 0.0
    #: stopped because its operation was aborted (list_jobs: `aborted`, not failed)
    aborted: bool = False

    @property
    def failed(self) -> bool:
        return not self.aborted and (self.exit_code != 0 or bool(self.error))


def split_outputs(rows: list[dict[str, Any]], table_count: int = 1, first: int = 0
                  ) -> dict[int, list[dict[str, Any]]]:
    """JSON output with table switches (`{"$value": null, "$attributes": {"table_index": 1}}`);
    a switch to a table the operation does not have is an error (InvalidSwitch, in the
    cluster's words: yt_pipeline.output_switches). The rows go to
    table `first` until a switch: the stream of fd 3 * first + 1 starts at its own table."""
    outputs: dict[int, list[dict[str, Any]]] = {first: []}
    index = first
    for row in rows:
        if set(row) == {"$value", "$attributes"} and row["$value"] is None:
            # the job proxy's table consumer refuses a bad switch, failing the job
            index = switch_target(row["$attributes"], table_count)
            outputs.setdefault(index, [])
            continue
        outputs.setdefault(index, []).append(row)
    return outputs


#: what a job finds on PATH besides python3: the shell tools a wrapper uses (tar, mkdir)
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def job_environment(python_bin: str, extra: dict[str, str], user_job: dict[str, Any],
                    secure_vault: dict[str, Any], ids: dict[str, str]) -> dict[str, str]:
    # A clean environment, as on a cluster node: nothing of the caller's leaks in, and
    # `python3` is the bare interpreter the fake was given (see interpreter.py), found first
    # on PATH, never the test's own with its packages.
    env = {"PATH": os.pathsep.join([python_bin, SYSTEM_PATH]), "LANG": "C.UTF-8"}
    env.update(extra)
    env.update({str(k): str(v) for k, v in (user_job.get("environment") or {}).items()})
    env.update(vault_environment(secure_vault))
    env.update(ids)
    return env


def time_limits(user_job: dict[str, Any], fake_limit_s: float,
                operation_left_s: float | None) -> tuple[float, str]:
    """(seconds, which) the job may run: the least of its spec's job_time_limit (ms), the
    time left to its operation's time_limit and the fake's own limit on any job."""
    limits = [(fake_limit_s, BY_FAKE)]
    job_limit = user_job.get("job_time_limit")
    if job_limit is not None:
        limits.append((int(job_limit) / 1000, BY_JOB_TIME_LIMIT))
    if operation_left_s is not None:
        limits.append((max(0.0, operation_left_s), BY_OPERATION_TIME_LIMIT))
    return min(limits, key=lambda limit: limit[0])


def run_job(job_id: str, job_type: str, user_job: dict[str, Any], files: dict[str, bytes],
            stdin: bytes | None, env: dict[str, str], timeout_s: float,
            output_tables: int = 1, executables: Collection[str] = (),
            operation_left_s: float | None = None,
            aborted: Callable[[], bool] = lambda: False) -> JobResult:
    """Run the job (`_run_job`); its stderr is what a cluster keeps of it (stderr_limit.py).
    Once `aborted()` says its operation was aborted, the job is killed (MemoryWatch)."""
    result = _run_job(job_id, job_type, user_job, files, stdin, env, timeout_s, output_tables,
                      executables, operation_left_s, aborted)
    result.stderr = kept_stderr(result.stderr, max_stderr_size(user_job))
    return result


def _run_job(job_id: str, job_type: str, user_job: dict[str, Any], files: dict[str, bytes],
             stdin: bytes | None, env: dict[str, str], timeout_s: float,
             output_tables: int = 1, executables: Collection[str] = (),
             operation_left_s: float | None = None,
             aborted: Callable[[], bool] = lambda: False) -> JobResult:
    """Run the job; `timeout_s` is the fake's own limit on any job, `operation_left_s` the
    time left to its operation's time_limit (None: no limit)."""
    limit_s, limit_kind = time_limits(user_job, timeout_s, operation_left_s)
    with tempfile.TemporaryDirectory(prefix="fake-yt-job-") as sandbox:
        for name, data in files.items():
            target = Path(sandbox) / name
            target.write_bytes(data)
            # executable only when marked so (op_runner._files)
            target.chmod(0o755 if name in executables else 0o644)
        env = dict(env, HOME=sandbox, TMPDIR=sandbox)
        for name, value in (user_job.get("environment") or {}).items():
            if env.get(str(name)) == str(value):  # the spec's, not the vault's or an id
                env[str(name)] = formatted(str(value), sandbox)
        command = str(user_job.get("command", ""))
        merged = bool(user_job.get("redirect_stdout_to_stderr"))
        limit = user_job.get("memory_limit")
        watched = MemoryWatch(job_memory.DEFAULT_LIMIT if limit is None else int(limit),
                              aborted)
        try:
            done, streams = _run(["bash", "-c", command], stdin or b"", merged, sandbox, env,
                                 limit_s, watched, output_tables)
        except subprocess.TimeoutExpired as expired:
            stopped = JobResult(job_id, job_type, -9, expired.stderr or b"",
                                error=f"job timed out after {limit_s:.0f}s", command=command,
                                environment=env, stopped_by=limit_kind)
            if limit_kind == BY_JOB_TIME_LIMIT:
                # a failed job, not an aborted one: it counts towards max_failed_job_count
                stopped.error, stopped.error_code = JOB_TIME_LIMIT_TEXT, JOB_TIME_LIMIT_EXCEEDED
                stopped.error_attributes = {"limit": int(user_job["job_time_limit"])}
            return stopped
        if watched.aborted:
            return JobResult(job_id, job_type, -9, done.stderr or b"", command=command,
                             environment=env, aborted=True)
        if watched.reason:
            return JobResult(job_id, job_type, -9, done.stderr or b"", error=watched.reason,
                             command=command, environment=env)
        stderr = done.stdout if merged else done.stderr
        result = JobResult(job_id, job_type, done.returncode, stderr, command=command,
                           environment=env)
        if done.returncode != 0:
            result.error = f"user job exited with code {done.returncode}"
            # as a cluster's process error carries it: TErrorAttribute("exit_code") of
            # "Process exited with code N", or "signal" of "Process terminated by signal N"
            # (yt/yt/library/process/process.cpp)
            result.error_attributes = ({"exit_code": done.returncode} if done.returncode > 0
                                       else {"signal": -done.returncode})
            return result
        try:
            # the job proxy reads fd 5 as custom statistics; what it refuses fails the job
            result.statistics = job_statistics.job_summaries(
                streams.get(job_fds.STATISTICS_FD, b""),
                int(user_job.get(job_statistics.COUNT_LIMIT_KEY)
                    or job_statistics.DEFAULT_COUNT_LIMIT))
        except job_statistics.StatisticsRefused as refused:
            result.error, result.exit_code = str(refused), 1
            return result
        if merged or output_tables == 0:
            return result  # stdout is no table's: nothing to parse
        try:
            result.outputs = split_outputs(parse_rows(done.stdout), output_tables)
            for table in range(1, output_tables):
                fd = job_fds.output_fd(table)
                more = split_outputs(parse_rows(streams.get(fd, b"")), output_tables, table)
                for index, rows in more.items():
                    result.outputs.setdefault(index, []).extend(rows)
        except (ValueError, UnicodeDecodeError, YtFakeError) as error:
            result.error = (error.message if isinstance(error, YtFakeError)
                            else str(error) if isinstance(error, InvalidSwitch)
                            else f"job output is not JSON rows: {error}")
            result.exit_code = 1
        return result


class MemoryWatch:
    """Kills a job whose processes together pass its memory_limit, as a cluster's job proxy
    does ("Memory limit exceeded", job proxy error 1200), and a job whose operation was
    aborted (`aborted()`: a cluster aborts an aborted operation's jobs at once,
    IOperationControllerSchedulerHost::Abort in yt/yt/server/controller_agent/
    operation_controller.h), looking every job_memory.CHECK_EVERY_S."""

    def __init__(self, limit: int, aborted: Callable[[], bool] = lambda: False):
        self.limit = limit
        self.reason = ""
        self._operation_aborted = aborted
        #: the job was killed because its operation was aborted
        self.aborted = False
        self._done = threading.Event()

    def watch(self, proc: subprocess.Popen) -> threading.Thread:
        def look() -> None:
            while not self._done.wait(job_memory.CHECK_EVERY_S):
                if self._operation_aborted():
                    self.aborted = True
                    _kill_group(proc)
                    return
                used = job_memory.tree_rss(proc.pid)
                if used is not None and used > self.limit:
                    self.reason = ("Memory limit exceeded: "
                                   + job_memory.over_limit(used, self.limit))
                    _kill_group(proc)
                    return

        thread = threading.Thread(target=look, name="fake-yt-job-memory", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._done.set()


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def _run(argv: list[str], stdin: bytes, merged: bool, sandbox: str, env: dict[str, str],
         timeout_s: float, watched: MemoryWatch, output_tables: int = 1
         ) -> tuple[subprocess.CompletedProcess, dict[int, bytes]]:
    """subprocess.run, in a session of the job's own (a timeout or the memory watch stops
    the wrapper and everything it started), with the memory watch beside it; with it what
    the job wrote to each of its other pipes (fd 4, 7... and 5), by descriptor."""
    pipes = {fd: os.pipe() for fd in job_fds.extra_fds(output_tables)}
    wrapped, handed = job_fds.with_fds(argv, {fd: ends[1] for fd, ends in pipes.items()})
    try:
        proc = subprocess.Popen(wrapped, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT if merged else subprocess.PIPE,
                                cwd=sandbox, env=env, start_new_session=True,
                                pass_fds=handed)
    except BaseException:
        job_fds.close_all([*handed, *(end for ends in pipes.values() for end in ends)])
        raise
    # the job holds the write ends now: each read sees its end when the job's processes exit
    job_fds.close_all([*handed, *(ends[1] for ends in pipes.values())])
    streams: dict[int, bytes] = {}
    readers = [_drain(ends[0], fd, streams) for fd, ends in pipes.items()]
    with proc:
        watcher = watched.watch(proc)
        try:
            out, err = proc.communicate(stdin, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, err = proc.communicate()
            raise subprocess.TimeoutExpired(argv, timeout_s, output=out, stderr=err) from None
        finally:
            watched.stop()
            watcher.join()
            for reader in readers:
                reader.join()
    return subprocess.CompletedProcess(argv, proc.returncode, out, err), streams


def _drain(read_end: int, fd: int, streams: dict[int, bytes]) -> threading.Thread:
    """A thread reading one of the job's pipes to its end, into streams[fd]."""
    def read() -> None:
        chunks = []
        with os.fdopen(read_end, "rb") as pipe:
            while chunk := pipe.read1(1 << 20):
                chunks.append(chunk)
        streams[fd] = b"".join(chunks)

    thread = threading.Thread(target=read, name=f"fake-yt-job-fd{fd}", daemon=True)
    thread.start()
    return thread

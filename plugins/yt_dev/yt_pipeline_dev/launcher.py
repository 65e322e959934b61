"""Running one operation in dev: the sandbox, the jobs, the failure report, the log line.

A sandbox is a folder under .dev/ where the code is extracted and the jobs' stderr kept. It is
removed when the operation succeeds and kept, named in the error, when it fails.
"""

from __future__ import annotations

import copy
import functools
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from yt_pipeline import job_memory, job_statistics, op_progress, table_paths
from yt_pipeline.attachments import check_job_file_names, is_cypress_path, local_file
from yt_pipeline.checkpoints import ENV_VAR as CHECKPOINTS_ENV
from yt_pipeline.checkpoints import job_folder
from yt_pipeline.errors import ConfigError, OperationFailed
from yt_pipeline.job_logs import PER_JOB, append_job_log, job_name, logs_command, stage_log
from yt_pipeline.job_shadowing import warn_shadowing
from yt_pipeline.job_syntax import warn_newer_syntax
from yt_pipeline.logs import stage_logger
from yt_pipeline.masked_tails import last_lines, mask_chunks, read_masked_end
from yt_pipeline.op_progress import OperationProgress
from yt_pipeline.operations import OperationResult, OperationSpec, check_spec
from yt_pipeline.packaging import ARCHIVE_NAME, CODE_DIR_NAME
from yt_pipeline.sandbox_path import formatted
from yt_pipeline.secret_forms import all_forms, mask_bytes, mask_text
from yt_pipeline_dev import later_removal, stderr_table
from yt_pipeline_dev.atomic import CHUNK, Bounded
from yt_pipeline_dev.client import NO_SPACE, DevClient
from yt_pipeline_dev.job_attempts import LIMIT_TEXT, FailedJobs, attempts_of, parse
from yt_pipeline_dev.job_code import STAGES_DIR, JobCode, link_entries, prepare_code
from yt_pipeline_dev.job_controls import refuse_unmodelled
from yt_pipeline_dev.job_env import check_requirements, job_environment
from yt_pipeline_dev.paths import safe_name
from yt_pipeline_dev.processes import Job, JobFailure, run_jobs
from yt_pipeline_dev.sandbox_claim import claim, clear_unclaimed_siblings
from yt_pipeline_dev.shards import Segment
from ytjobs.codec import WHOLE_LINES_ENV
from ytjobs.tally import ENV as TALLY_ENV

MASK = "***"
#: the spec key of the user job of each phase (its custom_statistics_count_limit)
_JOB_ROLES = {"map": "mapper", "reduce": "reducer", "task": "tasks"}
#: seconds between two reports of how much input a running operation's jobs were sent
REPORT_EVERY_S = 1.0
#: where an operation's sandbox holds the snapshots of its input tables (hidden: the jobs
#: run in the sandbox)
INPUTS_DIR = ".ytp_inputs"
#: what a failed job's error shows of its stderr: the last lines of about its last 16 KiB
TAIL_BYTES = 16 * 1024
TAIL_LINES = 20
#: the start of the name of a job's working folder for an attempt after its first (the
#: first runs in the sandbox itself)
RERUN_DIR = "rerun_"


class OperationRun(msgspec.Struct):
    """One operation being run: what every kind of operation needs."""

    client: DevClient
    spec: OperationSpec
    sandbox: Path
    rows: dict[str, int] = msgspec.field(default_factory=dict)
    #: the jobs each phase ran (map, reduce...): how its jobs are numbered, "2 of 3"
    phase_jobs: dict[str, int] = msgspec.field(default_factory=dict)
    #: the jobs the operation started in the phases run so far, attempts run again
    #: included: YT_JOB_INDEX of a later phase's jobs counts on from it, as on a cluster
    jobs_started: int = 0
    #: (phase, job index) of the jobs stopped when another failed the operation
    stopped_jobs: set[tuple[str, int]] = msgspec.field(default_factory=set)
    _code: JobCode | None = None
    #: set when the run ends before the operation (run_operations.py): its jobs stop
    run_ended: threading.Event | None = None
    _forms: list[str] | None = None
    #: the input tables' files as the operation found them (table_ops.inputs), and the
    #: table file each is a snapshot of
    _inputs: list[Path] | None = None
    _snapshot_of: dict[Path, Path] = msgspec.field(default_factory=dict)
    #: inputs linked to a staged file that appends in place may lengthen, each with the
    #: length the operation reads of it; those of them known to hold one row a line
    _input_ends: dict[Path, int] = msgspec.field(default_factory=dict)
    _whole_inputs: set[Path] = msgspec.field(default_factory=set)
    #: the rows of the table each selection file (`//t[#1:#5]`, selected_rows.py) was cut
    #: from: where its rows sit in that table (job_controls.selection_places)
    selected_from: dict[Path, int] = msgspec.field(default_factory=dict)
    #: the operation's failed jobs, all its phases together, as a cluster counts them
    _failed_jobs: FailedJobs | None = None
    #: the size of each output file after each job wrote to it, in job order: where each
    #: job's rows end (sorted_schema.order_job_outputs)
    job_ends: dict[Path, list[int]] = msgspec.field(default_factory=dict)
    #: the custom statistics of its completed jobs, merged (job_statistics.py)
    statistics: dict[str, job_statistics.Summary] = msgspec.field(default_factory=dict)
    #: when the operation began: a file of the extracted code changed since was a job's
    began: float = msgspec.field(default_factory=time.time)

    @property
    def job_count(self) -> int:
        return self.spec.resources.job_count or 1

    def code(self) -> JobCode:
        if self._code is None:
            self._code = prepare_code(self.spec, self.sandbox)
        return self._code

    def job(self, script: str, index: int, *, phase: str, stdin: list[Segment] | None,
            stdout: Path | None, whole_stdin: bool = False,
            extra_outputs: list[Path] | None = None,
            output_columns: list[dict[str, str] | None] | None = None,
            output_keys: list[list[str] | None] | None = None) -> Job:
        """A job of the operation; `whole_stdin` when its input is known to hold one row a
        line (whole_lines), which ytjobs then reads without the check; `output_columns`:
        the strict schema of each output table (None: it has none), which its rows must fit
        (output_schema.py); `output_keys`: the key of each output table of sorted schema
        (None: not sorted), whose weight its rows' keys must stay under."""
        code = self.code()
        env = job_environment(self.spec, code.env, self.client.hidden_env, index,
                              self.client.masked_forms(), jobs_before=self.jobs_started)
        for internal in (TALLY_ENV, CHECKPOINTS_ENV, WHOLE_LINES_ENV):
            env.pop(internal, None)
        sandbox = os.path.abspath(self.sandbox)  # the job's working folder, as on a cluster
        for name, value in self.spec.env.items():
            if env.get(name) == value:
                env[name] = formatted(value, sandbox)
        if whole_stdin:
            env[WHOLE_LINES_ENV] = "1"
        if self.spec.checkpoints:  # a job may change its working folder
            env[CHECKPOINTS_ENV] = str(job_folder(self.sandbox))
        tally = self.sandbox / f"{phase}{index}.tally" if stdout is not None else None
        if tally is not None:  # how much of its output ytjobs wrote (ytjobs/tally.py)
            env[TALLY_ENV] = str(tally)
        return Job(
            argv=code.command(self.spec, script),
            env=env,
            cwd=self.sandbox,
            stderr=self.sandbox / f"{phase}{index}.stderr",
            stdout=stdout,
            stdin=stdin,
            check_output=stdout is not None,
            tally=tally,
            memory_limit=job_memory.limit_bytes(self.spec.resources.memory_limit_gb),
            masked_forms=self.masked_forms(),
            extra_outputs=extra_outputs or [],
            output_columns=output_columns or [],
            output_keys=output_keys or [],
            statistics=self.sandbox / f"{phase}{index}.statistics",
            statistics_limit=job_statistics.count_limit(self.spec.extra_spec,
                                                        _JOB_ROLES.get(phase, phase)),
        )

    def run(self, jobs: list[Job], phase: str) -> None:
        self.phase_jobs[phase] = len(jobs)
        on_done, on_tick = self._progress(jobs, phase)
        if self._failed_jobs is None:
            self._failed_jobs = FailedJobs(self.spec.max_failed_job_count)
        failed_jobs = self._failed_jobs

        # the attempts run again, counted as the jobs' threads start them
        reruns: list[JobFailure] = []
        reruns_lock = threading.Lock()

        def rerun(failure: JobFailure) -> None:
            with reruns_lock:
                reruns.append(failure)
            # a line of .dev/operation.log: a job that passes on its second attempt is
            # still worth knowing of (a flaky call, a limit nearly reached)
            job = job_name(phase, failure.index, len(jobs))
            counted = (f"failed jobs {failed_jobs.count} of max_failed_job_count "
                       f"{failed_jobs.limit}")
            self.client.log(self.spec.kind, self.spec.title, extra=(
                f"RERUN {job}: attempt {failure.attempt} {failure.reason}"
                + (f": {failure.detail}" if failure.detail else "") + f" ({counted})"))
            # on the console too: a job failing every attempt would otherwise show nothing
            # until the last one, which may be many minutes away
            code = f" (exit code {failure.exit_code})" if failure.exit_code is not None else ""
            detail = f" ({failure.detail})" if failure.detail else ""
            stage_logger(self.spec.stage_name).warning(
                "operation %s: %s %s%s%s on attempt %d; running it again (%s)", self.spec.name,
                job, failure.reason, code, detail, failure.attempt, counted)
            jobs[failure.index].cwd = self.fresh_workdir(jobs[failure.index], phase,
                                                         failure.index, failure.attempt + 1)

        try:
            done = run_jobs(jobs, self.spec.resources.timeout_s, on_done=on_done,
                            on_tick=on_tick, failed_jobs=failed_jobs, on_rerun=rerun,
                            jobs_before=self.jobs_started, run_ended=self.run_ended)
            self.jobs_started += len(jobs) + len(reruns)
            for result in done:
                job_statistics.merge(self.statistics, result.get("statistics") or {})
        except JobFailure as failure:
            self.stopped_jobs.update((phase, index) for index in failure.stopped)
            if self.run_ended is not None and self.run_ended.is_set():
                raise self.ended_before(phase) from None
            raise self.failed(failure, phase, len(jobs)) from None

    def ended_before(self, phase: str, what: str = "jobs") -> OperationFailed:
        """The operation's failure when the run ended before it, its jobs (`what`: or its
        sort) stopped."""
        spec = self.spec
        stopped = f"{phase} {what}" if what == "jobs" else what
        self.client.log(spec.kind, spec.title, extra=f"STOPPED {stopped}: the run ended")
        stage_logger(spec.stage_name).warning(
            "operation %s: its %s %s stopped: the run ended before it", spec.name,
            stopped, "were" if what == "jobs" else "was")
        return OperationFailed(f"{spec.kind} operation stopped: the run ended before it",
                               stage=spec.stage_name, operation=spec.name,
                               sandbox=self.sandbox, kind=spec.kind)

    def fresh_workdir(self, job: Job, phase: str, index: int, attempt: int) -> Path:
        """A clean working folder for a job's next attempt, as a cluster gives each attempt
        a sandbox of its own: what the failed attempt left in its folder (a half-written
        cache, a changed file of file_paths) must not change what the next one writes.
        It holds what the sandbox held before the jobs ran: fresh copies of file_paths and
        links to the code. The folder of an attempt before it goes; the last one stays for
        a kept sandbox."""
        if job.cwd != self.sandbox:
            shutil.rmtree(job.cwd, ignore_errors=True)
        folder = self.sandbox / f"{RERUN_DIR}{phase}{index}.attempt{attempt}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        _copy_file_paths(self.spec, folder)
        code = self.code()
        link_entries(folder, sorted(code.code_dir.iterdir()) if code.wrappers
                     else [Path(self.spec.pipeline_dir).resolve() / STAGES_DIR])
        return folder

    def keep_inputs_as_read(self) -> None:
        """Before a sandbox is kept: each input linked to a staged file becomes a file of
        the bytes the operation read of it. Through the link it would show the rows the
        stage appended since, which no job was given."""
        for held, end in self._input_ends.items():
            part = held.with_name(held.name + ".part")
            try:
                with held.open("rb") as source, part.open("wb") as out:
                    shutil.copyfileobj(Bounded(source, end), out, CHUNK)
                os.replace(part, held)  # the link goes, the staged file stays as it is
            except OSError:
                part.unlink(missing_ok=True)  # a full disk: the link is what is kept

    def _readable(self, segments: Sequence[Segment]) -> list[Segment]:
        """The segments, those of an input snapshot gone with the sandbox (a report asked
        for its rows after the operation) read from the table's file instead."""
        return [msgspec.structs.replace(s, path=self._snapshot_of[s.path])
                if s.path in self._snapshot_of and not s.path.exists() else s
                for s in segments]

    def _progress(self, jobs: list[Job], phase: str) -> tuple[
            Callable[[int], None] | None, Callable[[], None] | None]:
        """(on_done, on_tick) for run_jobs: report jobs done and rows read as each job ends
        (op_progress.py), and every REPORT_EVERY_S while they run how much of the input they
        were sent, when the run shows progress at all. The rows are counted only when a
        report is shown, each job's input once: counting them is a read of the input."""
        if not op_progress.listening():
            return None, None
        # reentrant: a listener told under it may count the rows (rows_of) on this thread
        lock = threading.RLock()
        finished: list[int] = []
        counted: dict[int, int] = {}
        total = sum(job.input_size() for job in jobs)
        last_tick = [time.monotonic()]

        def tick() -> None:
            now = time.monotonic()
            if total == 0 or now - last_tick[0] < REPORT_EVERY_S:
                return
            last_tick[0] = now
            share = min(1.0, sum(job.fed[0] for job in jobs) / total)
            # reported under the lock, as `done` reports: a tick never comes after the report
            # of a job that ended since, so what is shown only goes forward
            with lock:
                if len(finished) < len(jobs):
                    op_progress.report(OperationProgress(
                        self.spec.stage_name, self.spec.name, phase, len(finished), len(jobs),
                        input_share=share))

        def rows_of(indexes: tuple[int, ...]) -> int:
            with lock:
                for index in indexes:
                    if index not in counted:
                        counted[index] = rows_in(self._readable(jobs[index].stdin or []))
                return sum(counted[index] for index in indexes)

        def done(index: int) -> None:
            with lock:
                finished.append(index)
                op_progress.report(OperationProgress(
                    self.spec.stage_name, self.spec.name, phase, len(finished), len(jobs),
                    functools.partial(rows_of, tuple(finished))))

        return done, tick

    def mask(self, text: bytes) -> bytes:
        """Job output with every secret value replaced (in each of its written forms),
        before it is shown, logged or kept."""
        return mask_bytes(text, self.masked_forms())

    def masked_forms(self) -> list[str]:
        # made once an operation: each form costs a YAML dump, and every operation's job
        # logs are masked, besides a failed one's stderr
        if self._forms is None:
            self._forms = all_forms([*self.spec.secure_env.values(),
                                     *self.client.secret_values])
        return self._forms

    def mask_kept_files(self) -> None:
        """A sandbox kept for inspection (a failed or stopped operation's): every file its
        jobs wrote there is masked in place first, as the error's stderr tail is: their
        stderr, their output (a line printed while debugging is what failed the job), files
        of their own. The code and the input snapshots are the pipeline's files and tables:
        left alone."""
        forms = self.masked_forms()
        if not forms:
            return
        for path in _files_jobs_wrote(self.sandbox, self.began):
            try:
                mask_file(path, forms)
            except OSError:
                pass  # a file the job left unreadable holds nothing it could show
        _mask_names(self.sandbox, forms)

    def stderr_tail(self, path: Path) -> str:
        """The last lines of a job's stderr, masked before they are cut (masked_tails)."""
        try:
            data = read_masked_end(path, TAIL_BYTES, self.masked_forms())
        except OSError:
            return ""
        return last_lines(data.decode("utf-8", "replace"), TAIL_LINES)

    def failed(self, failure: JobFailure, phase: str, total: int) -> OperationFailed:
        spec = self.spec
        tail = self.stderr_tail(failure.stderr)
        job = job_name(phase, failure.index, total)
        self.client.log(spec.kind, spec.title, extra=f"FAILED {job}")
        message = f"{job} {failure.told()}"
        counted = failure.failed_jobs
        if counted is not None:  # as a cluster fails it: its words, then the job's error
            jobs = "1 failed job" if counted.count == 1 else f"{counted.count} failed jobs"
            message = (f"{LIMIT_TEXT} ({jobs}, max_failed_job_count {counted.limit}): "
                       f"{message}")
        return OperationFailed(
            message,
            stage=spec.stage_name,
            operation=spec.name,
            exit_code=failure.exit_code,
            stderr_tail=tail,
            sandbox=self.sandbox,
            kind=spec.kind,
            job_logs=logs_command(spec.stage_name) if spec.run_id else None,
        )


#: what a sandbox holds that no job wrote: the extracted code archive, the input snapshots
#: (hard links to the tables' files)
_NOT_WRITTEN_BY_JOBS = {CODE_DIR_NAME, INPUTS_DIR}
#: how much older than the operation a file of the extracted code may look and still be
#: taken for one a job wrote (a file system that keeps coarse times)
_MTIME_SLACK_S = 2.0


def _files_jobs_wrote(sandbox: Path, began: float) -> list[Path]:
    """The files of `sandbox` its jobs wrote: all but the input snapshots and the extracted
    code; of the code, those written since the operation `began`: a job reaches it through
    the links in its working folder (`stages/<stage>/src/cache.txt` beside its script),
    and the extracted files keep the archive's times (job_code._write_members)."""
    found = []
    code = sandbox / CODE_DIR_NAME
    for folder, folders, files in os.walk(sandbox):  # links (to the code) are not followed
        if Path(folder) == sandbox:
            folders[:] = [name for name in folders if name != INPUTS_DIR]
        in_code = Path(folder) == code or code in Path(folder).parents
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                continue
            if in_code:
                try:
                    if os.stat(path).st_mtime < began - _MTIME_SLACK_S:
                        continue
                except OSError:
                    continue
            found.append(Path(path))
    return found


def _mask_names(sandbox: Path, forms: list[str]) -> None:
    """The names a job gave its files and folders, and where its links point, masked: a
    file named after a secret (a cache keyed by a token) shows it as its contents would.
    Deepest first, so a folder is renamed after what is in it."""
    for folder, folders, files in os.walk(sandbox, topdown=False):
        if Path(folder) == sandbox:
            folders = [name for name in folders if name not in _NOT_WRITTEN_BY_JOBS]
            files = [name for name in files if name not in _NOT_WRITTEN_BY_JOBS]
        for name in [*files, *folders]:
            path = Path(folder, name)
            try:
                if path.is_symlink():
                    target = os.readlink(path)
                    if mask_text(target, forms) != target:
                        path.unlink()
                        os.symlink(mask_text(target, forms), path)
                shown = mask_text(name, forms).replace("/", "_")
                if shown != name:
                    os.replace(path, _free_name(path.with_name(shown)))
            except OSError:
                pass  # left as it was: a name the job made unchangeable


def _free_name(path: Path) -> Path:
    """`path`, or `path.1`, `path.2`...: two names masked alike must not overwrite."""
    candidate, number = path, 0
    while candidate.exists() or candidate.is_symlink():
        number += 1
        candidate = path.with_name(f"{path.name}.{number}")
    return candidate


def mask_file(path: Path, forms: list[str]) -> None:
    """Mask `path` in place, read in chunks (a job's output may be large). The masked copy
    replaces the file, so a name linked to another file (a table's) is never written
    through; a file without a secret is left as it was."""
    size = path.stat().st_size
    masked = path.with_name(path.name + ".masking")
    written = 0
    with path.open("rb") as source, masked.open("wb") as target:
        for chunk in mask_chunks(iter(lambda: source.read(1 << 20), b""), forms):
            written += target.write(chunk)
    if written == size:  # every mask is shorter than the form it replaces
        masked.unlink()
    else:
        os.replace(masked, path)


def rows_in(segments: list[Segment]) -> int:
    """The rows of a job's input: the lines of its segments of the table files."""
    count = 0
    for segment in segments:
        with segment.path.open("rb") as handle:
            handle.seek(segment.start)
            left = segment.end - segment.start
            while left > 0:
                block = handle.read(min(left, 1 << 20))
                if not block:
                    break
                count += block.count(b"\n")
                left -= len(block)
    return count


#: the folder of the dev folder where operations' sandboxes are made: its name begins with
#: ".", as no YT name's file does (paths.stored_name), so a sandbox kept after a failure is
#: never listed as a YT folder (`list("//")` showed `sandbox_<...>`) and no folder a
#: pipeline writes can be taken for one and cleared
SANDBOXES_DIR = ".sandboxes"


def sandbox_for(client: DevClient, spec: OperationSpec) -> Path:
    """The sandbox of an operation, named after it and its tables. A table path may hold a
    secret (a stage naming its output after a key): a failed operation's sandbox is kept for
    the user to open, and its name must not hold the secret, so each path is masked before
    it is made a name (after, a long name cut short by safe_name could keep a piece of it);
    two operations whose names are alike so share the name as concurrent ones do
    (sandbox_claim.py)."""
    def named(*paths: str) -> str:
        if client.secret_values:
            paths = tuple(mask_text(path, client.masked_forms()) for path in paths)
        return safe_name(*paths)

    if spec.kind == "vanilla":
        return client.root / SANDBOXES_DIR / f"{named('//' + spec.stage_name)}_sandbox"
    # the stage and operation are part of the name: two operations of parallel stages with
    # the same input and output tables must not share (and delete) one sandbox
    inputs = [table_paths.plain(path) for path in spec.input_tables]
    outputs = spec.output_tables or inputs
    owner = named(f"//{spec.stage_name}/{spec.name}")
    return client.root / SANDBOXES_DIR / (f"sandbox_{owner}_{named(*inputs)}"
                                          f"_to_{named(*outputs)}")


def launch(client: DevClient, spec: OperationSpec) -> OperationResult:
    started = time.perf_counter()
    # a path that cannot be run faithfully (a key range, attributes) is refused for a spec
    # built without a config too, as prod refuses it
    check_spec(spec)
    for table in spec.input_tables:
        client.existing_table(table_paths.plain(table))  # TableNotFound names the input
    if spec.kind != "sort":
        check_requirements(spec)
        warn_newer_syntax(spec)
        warn_shadowing(spec)
    stderr_table.table_of(spec)  # a bad stderr table key is refused before any job runs
    stderr_table.part_size(spec)
    refuse_unmodelled(spec)  # a reducer's row indexes (job_controls.py)
    # the same operation run at once by two threads (`run_map(..., sync=False)`) or by a
    # run of another pipeline sharing the folder must not share, and clear, one sandbox
    base = sandbox_for(client, spec)
    # refused once its run has ended (a stage thread going on after an interrupt)
    run_ended = client.operations.start(
        f"the {spec.kind} operation {spec.name} of stage {spec.stage_name}", client.txn)
    try:
        claimed = claim(client.root, base)
        clear_unclaimed_siblings(client.root, base, clear_sandbox)
        try:
            return _launch_in(client, spec, claimed.path, started, run_ended)
        except OSError as exc:
            # a full disk met by a write to an open file (a table copied into the sandbox,
            # a file of `file_paths`) names no file: the sandbox is what could not be written
            if exc.filename is None and exc.errno in NO_SPACE:
                exc.filename = str(claimed.path)
            raise
        finally:
            claimed.release()
    finally:
        client.operations.finish(run_ended)


def fresh_sandbox(sandbox: Path) -> None:
    """An empty sandbox folder. What an earlier run left there goes first (clear_sandbox)."""
    clear_sandbox(sandbox)
    sandbox.mkdir(parents=True)


def clear_sandbox(sandbox: Path) -> None:
    """Remove what an earlier run left in `sandbox`. When it cannot all go, because a job
    of a killed run still writes there (jobs run in sessions of their own, so a driver
    killed by SIGKILL leaves them to finish), the folder is moved aside whole, out of the
    new jobs' way: the old job writes on into the moved folder, which the next launch of
    this operation removes."""
    for stale in later_removal.stale_asides(sandbox):
        shutil.rmtree(stale, ignore_errors=True)
    shutil.rmtree(sandbox, ignore_errors=True)
    if sandbox.exists():
        later_removal.move_aside(sandbox)


def _launch_in(client: DevClient, spec: OperationSpec, sandbox: Path, started: float,
               run_ended: threading.Event | None = None) -> OperationResult:
    from yt_pipeline_dev import table_ops

    fresh_sandbox(sandbox)
    _attach_files(spec, sandbox)
    op = OperationRun(client, spec, sandbox, run_ended=run_ended)
    runner = vanilla if spec.kind == "vanilla" else getattr(table_ops, spec.kind)
    try:
        runner(op)
    except BaseException:
        op.keep_inputs_as_read()  # the sandbox is kept
        # masked whatever ended the operation: jobs the run's end stopped (an interrupted
        # run from Python) wrote their stderr and files there as a failed job does
        op.mask_kept_files()
        raise
    finally:
        _keep_job_logs(op)
        _write_stderr_table(op)
    later_removal.remove_later(sandbox)
    source = ",".join(spec.input_tables)
    target = ",".join(spec.output_tables)
    flow = f" {source}->{target}" if source or target else ""
    shown = job_statistics.shown(op.statistics)
    # the jobs that ran, reruns counted, as a cluster counts an operation's jobs: none over
    # inputs without rows (the configured job_count said otherwise)
    ran = f"jobs={op.jobs_started}" if spec.mapper or spec.reducer or spec.script else ""
    client.log(spec.kind, spec.title + flow,
               rows=sum(op.rows.values()) if op.rows else None, started=started,
               extra=" ".join(part for part in (ran, f"statistics: {shown}" if shown else "")
                              if part))
    return OperationResult(
        operation_id=f"dev-{uuid.uuid4().hex[:12]}",
        duration_s=time.perf_counter() - started,
        rows=dict(op.rows),
        statistics=job_statistics.as_result(op.statistics),
    )


def _keep_job_logs(op: OperationRun) -> None:
    """Every job's stderr, masked, into the run's log of the stage (core/job_logs.py),
    whether the operation succeeded or not."""
    spec = op.spec
    if not spec.run_id:
        return  # launched outside a run: nothing to file it under
    target = stage_log(spec.pipeline_dir, spec.run_id, spec.stage_name)
    forms = op.masked_forms()
    for phase, index, order, path in sorted(_numbered(path)
                                            for path in op.sandbox.glob("*.stderr")):
        try:
            data = read_masked_end(path, PER_JOB, forms)
        except OSError:
            continue
        total = op.phase_jobs.get(phase)
        name = job_name(phase, index, total) if index >= 0 and total else path.stem
        mark = _attempt_mark(path)
        if order == _LAST_ATTEMPT and (phase, index) in op.stopped_jobs:
            # its last attempt did not end by itself: say so, or its log (often empty) reads
            # as a job that ran and said nothing
            mark += " (stopped: another job had failed the operation)"
        append_job_log(target, f"{spec.name} ({spec.kind}) {name}{mark}", data)


def _write_stderr_table(op: OperationRun) -> None:
    """The jobs' stderr into the spec's stderr_table_path (stderr_table.py), outside the
    stage's transaction: a cluster commits it in a transaction of its own, the operation
    failed or not."""
    path = stderr_table.table_of(op.spec)
    if path is None or op.spec.kind == "sort":  # a sort runs no user job
        return
    stderrs = [op.mask(file.read_bytes())
               for file in stderr_table.stderr_files(op.sandbox, op.stopped_jobs)]
    outside = copy.copy(op.client)
    outside.txn = None
    outside.write_table(path, stderr_table.rows(stderrs, stderr_table.part_size(op.spec)))


def _attempt_mark(stderr: Path) -> str:
    """How a job log names the attempt of a job run more than once: its failed attempts,
    then its last one."""
    attempt = parse(stderr.stem)[2]
    if attempt:
        return f", attempt {attempt} (failed, run again)"
    earlier = len(attempts_of(stderr))
    return f", attempt {earlier + 1}" if earlier else ""


def _numbered(path: Path) -> tuple[str, int, int, Path]:
    """(phase, job index, attempt order, path) of a job's stderr file, `map1.stderr` or
    `map1.attempt2.stderr` say (job_attempts.py); index -1 for a name of another form. The
    failed attempts sort first, in order, the job's last attempt after them."""
    phase, index, attempt = parse(path.stem)
    return phase, index, attempt or _LAST_ATTEMPT, path


#: how _numbered orders a job's last attempt (its stderr file has no attempt in its name)
_LAST_ATTEMPT = 1 << 30


def _attach_files(spec: OperationSpec, sandbox: Path) -> None:
    """file_paths appear in the jobs' working folder under their own names, as in YT."""
    check_job_file_names(spec, ARCHIVE_NAME)
    _copy_file_paths(spec, sandbox)
    if spec.checkpoints and spec.kind != "sort":  # a sort runs no job
        folder = job_folder(sandbox)
        folder.mkdir()
        for checkpoint in spec.checkpoints:
            if checkpoint.is_folder:
                shutil.copytree(checkpoint.source, folder / checkpoint.name)
            else:
                shutil.copyfile(checkpoint.source, folder / checkpoint.name)


def _copy_file_paths(spec: OperationSpec, folder: Path) -> None:
    for item in spec.file_paths:
        if is_cypress_path(item):
            raise ConfigError(
                f"stage {spec.stage_name} operation {spec.name}: file_paths entry {item} is a "
                "Cypress path; dev mode attaches local files (a path in the pipeline folder)"
            )
        source = local_file(spec, item)
        # with its mode: an executable file stays executable, as prod marks it
        shutil.copy(source, folder / source.name)


def vanilla(op: OperationRun) -> None:
    """job_count tasks; their stdout and stderr are appended to .dev/<stage>.log."""
    spec = op.spec
    assert spec.script is not None
    # the phase names the tasks' stderr files, by which the job log finds how to name them
    # (`vanilla task 2 of 2`, job_logs.job_name): the phase `run` counts them under
    jobs = [op.job(spec.script, i, phase="vanilla", stdin=None, stdout=None)
            for i in range(op.job_count)]
    for job in jobs:
        # prod runs the stage as one vanilla task named after the stage (op_spec), and a
        # cluster tells a vanilla job its task's name (TVanillaTask::BuildJobEnvironment in
        # yt/yt/server/controller_agent/controllers/vanilla_controller.cpp)
        job.env["YT_TASK_NAME"] = spec.name
    try:
        op.run(jobs, "vanilla")
    finally:
        _collect_logs(op, jobs)


def _collect_logs(op: OperationRun, jobs: list[Job]) -> None:
    log = op.client.root / f"{safe_name('//' + op.spec.stage_name)}.log"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    forms = op.masked_forms()
    with log.open("ab") as out:
        for index, job in enumerate(jobs):
            # named as errors and `yt-pipeline logs` name it (`vanilla task 1 of 2`), not by
            # its YT_JOB_COOKIE, one less
            name = job_name("vanilla", index, len(jobs))
            for path in [*attempts_of(job.stderr), job.stderr]:
                mark = _attempt_mark(path)
                out.write(f"=== {stamp} {op.spec.title} {name}{mark} ===\n".encode())
                if path.is_file():
                    with path.open("rb") as handle:
                        # masked as a stream: a secret split between two reads is masked
                        chunks = iter(lambda: handle.read(1 << 20), b"")
                        for masked in mask_chunks(chunks, forms):
                            out.write(masked)

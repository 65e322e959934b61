"""Running one operation in dev: the sandbox, the jobs, the failure report, the log line.

A sandbox is a folder under .dev/ where the code is extracted and the jobs' stderr kept. It is
removed when the operation succeeds and kept, named in the error, when it fails.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from yt_pipeline.errors import ConfigError, OperationFailed
from yt_pipeline.operations import OperationResult, OperationSpec
from yt_pipeline.secret_forms import all_forms, mask_bytes
from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.job_code import JobCode, prepare_code
from yt_pipeline_dev.job_env import check_requirements, job_environment
from yt_pipeline_dev.paths import safe_name
from yt_pipeline_dev.processes import Job, JobFailure, run_jobs
from yt_pipeline_dev.shards import Segment
from ytjobs.tally import ENV as TALLY_ENV

MASK = "***"
SECRETS_FILE = "secrets.env"


@dataclass
class OperationRun:
    """One operation being run: what every kind of operation needs."""

    client: DevClient
    spec: OperationSpec
    sandbox: Path
    rows: dict[str, int] = field(default_factory=dict)
    _code: JobCode | None = None

    @property
    def job_count(self) -> int:
        return self.spec.resources.job_count or 1

    def code(self) -> JobCode:
        if self._code is None:
            self._code = prepare_code(self.spec, self.sandbox)
        return self._code

    def job(self, script: str, index: int, *, phase: str, stdin: list[Segment] | None,
            stdout: Path | None, append_stdout: bool = False) -> Job:
        code = self.code()
        env = job_environment(self.spec, code.env, self.client.hidden_env, index)
        env.pop(TALLY_ENV, None)
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
            append_stdout=append_stdout,
            check_output=stdout is not None,
            tally=tally,
        )

    def run(self, jobs: list[Job], phase: str) -> None:
        try:
            run_jobs(jobs, self.spec.resources.timeout_s)
        except JobFailure as failure:
            raise self.failed(failure, phase, len(jobs)) from None

    def mask(self, text: bytes) -> bytes:
        """Job output with every secret value replaced (in each of its written forms),
        before it is shown, logged or kept."""
        return mask_bytes(text, self.masked_forms())

    def masked_forms(self) -> list[str]:
        return all_forms([*self.spec.secure_env.values(), *self.client.secret_values])

    def mask_kept_stderr(self) -> None:
        """A failed operation's sandbox is kept for inspection: its jobs' stderr files are
        masked in place first, as the error's stderr tail is."""
        forms = self.masked_forms()
        for path in self.sandbox.glob("*.stderr"):
            try:
                data = path.read_bytes()
                masked = mask_bytes(data, forms)
                if masked != data:
                    path.write_bytes(masked)
            except OSError:
                pass  # a file the job left unreadable holds nothing it could show

    def failed(self, failure: JobFailure, phase: str, total: int) -> OperationFailed:
        spec = self.spec
        self.mask_kept_stderr()
        tail = self.mask(failure.stderr_tail.encode()).decode()
        self.client.log(spec.kind, spec.title, extra=f"FAILED {phase} job {failure.index}")
        return OperationFailed(
            f"{phase} {'task' if phase == 'vanilla' else 'job'} {failure.index + 1} of {total} "
            f"{failure.reason}",
            stage=spec.stage_name,
            operation=spec.name,
            exit_code=failure.exit_code,
            stderr_tail=tail,
            sandbox=self.sandbox,
        )


def sandbox_for(client: DevClient, spec: OperationSpec) -> Path:
    if spec.kind == "vanilla":
        return client.root / f"{safe_name('//' + spec.stage_name)}_sandbox"
    # the stage and operation are part of the name: two operations of parallel stages with
    # the same input and output tables must not share (and delete) one sandbox
    outputs = spec.output_tables or spec.input_tables
    owner = safe_name(f"//{spec.stage_name}/{spec.name}")
    return client.root / (f"sandbox_{owner}_{safe_name(*spec.input_tables)}"
                          f"_to_{safe_name(*outputs)}")


def launch(client: DevClient, spec: OperationSpec) -> OperationResult:
    from yt_pipeline_dev import table_ops

    started = time.perf_counter()
    for table in spec.input_tables:
        client.existing_table(table)  # TableNotFound names the missing input
    if spec.kind != "sort":
        check_requirements(spec)
    sandbox = sandbox_for(client, spec)
    shutil.rmtree(sandbox, ignore_errors=True)  # leftovers of an earlier failed run
    sandbox.mkdir(parents=True)
    _attach_files(spec, sandbox)
    op = OperationRun(client, spec, sandbox)
    runner = vanilla if spec.kind == "vanilla" else getattr(table_ops, spec.kind)
    runner(op)
    shutil.rmtree(sandbox, ignore_errors=True)
    source = ",".join(spec.input_tables)
    target = ",".join(spec.output_tables)
    flow = f" {source}->{target}" if source or target else ""
    client.log(spec.kind, spec.title + flow,
               rows=sum(op.rows.values()) if op.rows else None, started=started,
               extra=f"jobs={op.job_count}")
    return OperationResult(
        operation_id=f"dev-{uuid.uuid4().hex[:12]}",
        duration_s=time.perf_counter() - started,
        rows=dict(op.rows),
    )


def _attach_files(spec: OperationSpec, sandbox: Path) -> None:
    """file_paths appear in the jobs' working folder under their own names, as in YT."""
    for item in spec.file_paths:
        if item.startswith("//"):
            raise ConfigError(
                f"stage {spec.stage_name} operation {spec.name}: file_paths entry {item} is a "
                "Cypress path; dev mode attaches local files (a path in the pipeline folder)"
            )
        source = _attachable(spec, item)
        shutil.copyfile(source, sandbox / source.name)


def _attachable(spec: OperationSpec, item: str) -> Path:
    """A file_paths entry as a file of the pipeline folder; never one outside it (not even
    through a symlink), never the secrets file."""
    where = f"stage {spec.stage_name} operation {spec.name}: file_paths entry {item}"
    if "\x00" in item:
        raise ConfigError(f"{where[: -len(item)]}{item!r} holds a NUL byte")
    pipeline_dir = Path(spec.pipeline_dir).resolve()
    given = Path(item) if Path(item).is_absolute() else pipeline_dir / item
    source = given.resolve()
    if source != pipeline_dir and pipeline_dir not in source.parents:
        raise ConfigError(f"{where} is outside the pipeline folder {pipeline_dir}"
                          + (f" (it leads to {source})" if given.is_symlink() else ""))
    if not source.is_file():
        raise ConfigError(f"{where} not found (looked at {given})")
    if SECRETS_FILE in (given.name, source.name):
        raise ConfigError(f"{where} is a secrets file; jobs get secrets through env only")
    return source


def vanilla(op: OperationRun) -> None:
    """job_count tasks; their stdout and stderr are appended to .dev/<stage>.log."""
    spec = op.spec
    assert spec.script is not None
    jobs = [op.job(spec.script, i, phase="task", stdin=None, stdout=None)
            for i in range(op.job_count)]
    try:
        op.run(jobs, "vanilla")
    finally:
        _collect_logs(op, jobs)


def _collect_logs(op: OperationRun, jobs: list[Job]) -> None:
    log = op.client.root / f"{safe_name('//' + op.spec.stage_name)}.log"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    with log.open("ab") as out:
        for index, job in enumerate(jobs):
            out.write(f"=== {stamp} {op.spec.title} task {index} ===\n".encode())
            if job.stderr.is_file():
                with job.stderr.open("rb") as handle:
                    while chunk := handle.read(1 << 20):
                        out.write(op.mask(chunk))

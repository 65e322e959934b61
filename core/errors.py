"""One exception hierarchy: every error a user sees is a YtPipelineError.

`exit_code` is what the command line exits with; `retryable` tells the runner whether a
stage that raised it may be tried again (operation and network failures are, mistakes in
configuration are not).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yt_pipeline.result import PipelineResult


class YtPipelineError(Exception):
    """Base of every error yt-pipeline reports to a user."""

    exit_code = 1
    retryable = False
    #: set on the error that ends a run: the run's result, and how to resume it
    result: PipelineResult | None = None
    resume_hint: str | None = None

    def one_line(self) -> str:
        """The message as a single line, for the command line's error output, with every
        known secret masked: masked whole before it is cut to its first line, or a secret
        with a line break would leave its first line in no form masking knows."""
        from yt_pipeline.logs import masked

        return masked(" ".join(masked(str(self)).split("\n")[0].split()))


class ConfigError(YtPipelineError):
    """The configuration is wrong: a bad file, an unknown key value, a wrong type."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | Path | None = None, key: str | None = None):
        self.file = str(file) if file is not None else None
        self.key = key
        where = ""
        if self.file and key:
            where = f"{self.file}: {key}: "
        elif self.file:
            where = f"{self.file}: "
        elif key:
            where = f"{key}: "
        super().__init__(f"{where}{message}")


class StageNotFound(ConfigError):
    """A stage named in the configuration does not exist."""


class DiscoveryError(ConfigError):
    """A stage.py could not be turned into exactly one stage class."""


class GraphError(ConfigError):
    """The stage graph is wrong: a cycle, an unknown dependency, a bad selection."""


class PluginError(YtPipelineError):
    """A plugin is missing, failed to load, or implements a hook that does not exist."""

    exit_code = 2


class PluginHookFailed(PluginError):
    """A plugin's lifecycle hook raised; the run ends, naming the plugin and the hook."""

    exit_code = 1

    def __init__(self, plugin: str, hook: str, error: BaseException):
        self.plugin = plugin
        self.hook = hook
        self.error = error
        # inside a stage (an operation's launcher) the error decides a retry, as in StageFailed
        self.retryable = getattr(error, "retryable", False)
        detail = error.one_line() if isinstance(error, YtPipelineError) else shown_error(error)
        super().__init__(_masked(f"plugin {plugin} failed in {hook}: {detail}"))


class UsageError(YtPipelineError):
    """The command line was used wrongly."""

    exit_code = 2


class StageSkipped(YtPipelineError):
    """Raised by a stage or step that finds it has nothing to do (a function step whose
    input comes from a step that was skipped): it ends SKIPPED with this reason."""


class ClusterUnavailable(YtPipelineError):
    """Before any stage ran, the cluster did not answer or refused the credentials."""

    exit_code = 3


class MigrationIncomplete(UsageError):
    """`yt-pipeline migrate` left lines it could not convert (each was listed)."""


class PipelineLocked(YtPipelineError):
    """Another run of the same pipeline folder and mode holds the lock."""

    exit_code = 1


class InvalidTablePath(YtPipelineError):
    """A string that is not a YT path, or one that would leave the table folder."""

    exit_code = 2


class InvalidSchema(YtPipelineError):
    """A schema stage code declared for a table that cannot be one (a column of an unknown
    type, a name twice), or one an existing table does not have."""


class TableNotFound(YtPipelineError):
    """A table that was read does not exist."""

    def __init__(self, path: str, reader: str | None = None):
        self.path = path
        # `reader`: what read it, when the path alone would not say where it was named
        super().__init__(f"{reader} reads table {path}, which does not exist" if reader
                         else f"table {path} does not exist")


class BackendError(YtPipelineError):
    """The table backend failed (a cluster error, a broken file)."""

    retryable = True


class RefusedByCluster(BackendError):
    """The cluster refused a request for a reason another attempt does not change (a
    rejected token, access denied, an account over its quota, a row its table's schema
    refuses): a stage's `retry` does not try again."""

    retryable = False


class NetworkError(BackendError):
    """The cluster could not be reached or the connection broke."""


class QueryFailed(YtPipelineError):
    """A YQL query failed or uses something the backend does not support."""


class PackagingError(YtPipelineError):
    """The code archive could not be built (a bad upload path, a missing module)."""

    exit_code = 2


class OperationFailed(YtPipelineError):
    """A map/reduce/sort/vanilla operation failed.

    Carries what a user needs to find the cause: the stage and operation, the operation id
    and URL on a cluster, the exit code and the tail of the failing job's stderr, and in dev
    the sandbox that was kept for inspection.
    """

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        stage: str | None = None,
        operation: str | None = None,
        operation_id: str | None = None,
        url: str | None = None,
        exit_code: int | None = None,
        stderr_tail: str = "",
        sandbox: str | Path | None = None,
        kind: str | None = None,
        job_logs: str | None = None,
    ):
        """`kind`: the operation's kind (map, reduce...), named after its name; `job_logs`:
        the command that shows every job's full stderr (named last, in both modes)."""
        self.stage = stage
        self.operation = operation
        self.operation_id = operation_id
        self.url = url
        self.job_exit_code = exit_code
        self.stderr_tail = stderr_tail
        self.sandbox = str(sandbox) if sandbox is not None else None
        text = message
        if stage or operation:
            of_kind = f" ({kind})" if kind else ""
            text = f"stage {stage or '?'} operation {operation or '?'}{of_kind}: {text}"
        if exit_code is not None:
            text += f" (exit code {exit_code})"
        # each further detail after a semicolon: run together, "failed exit code 1 sandbox
        # kept at" read as one phrase
        details = [f"operation {operation_id}" if operation_id else "",
                   f"see {url}" if url else "",
                   f"sandbox kept at {self.sandbox}" if self.sandbox else "",
                   f"all job logs: {job_logs}" if job_logs else ""]
        text = "; ".join([text, *filter(None, details)])
        if stderr_tail:
            text += "\n--- stderr (last lines) ---\n" + stderr_tail.rstrip()
        super().__init__(text)


class DebugNotKept(YtPipelineError):
    """A stage returned a debug value (a step an output) that cannot be kept for --resume
    and the cache."""


class CommitIncomplete(YtPipelineError):
    """A stage's commit was recorded but its tables could not all be made visible; the next
    run of the pipeline completes it."""


class StageFailed(YtPipelineError):
    """A stage raised; wraps the original error with the stage's name."""

    def __init__(self, stage: str, error: BaseException, kind: str = "stage"):
        """`kind`: "step" for a function step, so its line speaks of what the user wrote."""
        self.stage = stage
        self.error = error
        self.retryable = getattr(error, "retryable", False)
        if isinstance(error, YtPipelineError):
            detail = error.one_line()
        else:
            where = raised_in_user_code(error)
            detail = shown_error(error) + (f" at {where}" if where else "")
        # masked here: a run from Python raises this to the program (an uncaught script's
        # traceback prints it) and hands its text on in the result's error and summary
        super().__init__(_masked(f"{kind} {stage} failed: {detail}"))
        if isinstance(error, OperationFailed) and error.stderr_tail:
            self.args = (f"{self.args[0]}\n--- stderr (last lines) ---\n{error.stderr_tail}",)


def _masked(text: str) -> str:
    from yt_pipeline.logs import masked

    return masked(text)


def shown_error(error: BaseException) -> str:
    """An exception that is not ours, for an error line: its repr, but an OSError with the
    file it names (its repr leaves the file out: a full disk would not say which)."""
    if isinstance(error, OSError) and error.filename:
        return f"{error.__class__.__name__}: {error}"
    return repr(error)


def raised_in_user_code(error: BaseException) -> str | None:
    """`stages/x/stage.py:18`: the last line of the traceback in the user's own code (not
    the standard library, an installed package or yt-pipeline), so a one-line error says
    where to look; None when there is no such line."""
    import os
    import sys
    import sysconfig
    import traceback

    installed = {os.path.realpath(p) for p in (sysconfig.get_paths()["stdlib"],
                                                sysconfig.get_paths()["purelib"],
                                                sysconfig.get_paths()["platlib"], sys.prefix,
                                                sys.base_prefix, os.path.dirname(__file__))}
    found = None
    for frame in traceback.extract_tb(error.__traceback__):
        path = os.path.realpath(frame.filename)
        if frame.filename.startswith("<") or any(
                path.startswith(root + os.sep) for root in installed):
            continue
        found = f"{_relative(path)}:{frame.lineno}"
    return found


def _relative(path: str) -> str:
    import os

    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative

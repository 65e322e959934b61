"""The tables a stage wrote (with their row counts now) and the tails of its job logs.

Row counts come from the mode's own table client, so dev needs no cluster; prod counts only
when credentials are there, and says why not otherwise (a report must not hang on a proxy
it cannot reach, nor fail because of it). Logs are the run's own: the stderr of every job of
the stage, which both backends keep in `.runs/logs/<run id>/<stage>.log` (so a prod run and
an older dev run show theirs too), vanilla tasks' output included. A dev record from before
those files were kept falls back on the sandbox a failed operation left (its path is in the
stage's error) and on `<dev_dir>/<stage>.log`, where vanilla tasks' output also goes. Every text read here
is masked, the page masks again whatever it writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yt_pipeline.errors import TableNotFound
from yt_pipeline.logs import masked, masked_forms
from yt_pipeline.masked_tails import last_lines, read_masked_end
from yt_pipeline.operation_names import operation_outputs

TAIL_LINES = 40
#: a log's tail is read from its last bytes only: logs of long jobs can be large
TAIL_BYTES = 64 * 1024
_KEPT_SANDBOX = re.compile(r"sandbox kept at (\S[^\n]*)")
#: the characters the dev backend replaces when it names a stage's log after the stage
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


@dataclass
class TableRows:
    path: str
    rows: int | None = None
    #: why there is no count: the table does not exist, counts are not available...
    note: str = ""


@dataclass
class LogTail:
    #: where the log is, relative to the pipeline folder
    label: str
    text: str
    lines: int


def written_tables(cfg: Any) -> list[str]:
    """The tables a stage declares it writes: its `outputs:` and the output tables of the
    operations in its `client.operations`, in that order, each once."""
    outputs = cfg.get("outputs") if hasattr(cfg, "get") else None
    found = [outputs] if isinstance(outputs, str) else list(outputs or [])
    found += operation_outputs(cfg)
    return list(dict.fromkeys(p for p in found if isinstance(p, str) and p.startswith("//")))


def stage_tables(pipeline: Any, configs: Mapping[str, Any], stages: Mapping[str, Any],
                 count: bool = True) -> str:
    """Fill each stage's `tables`; returns a note when no count could be had at all."""
    wanted = {name: written_tables(configs[name]) for name in stages if name in configs}
    for name, paths in wanted.items():
        stages[name].tables = [TableRows(path) for path in paths]
    if not any(wanted.values()):
        return ""
    client, note = (None, "row counts not asked for (--no-rows)") if not count else _client(pipeline)
    if client is None:
        for name in wanted:
            for table in stages[name].tables:
                table.note = "not available"
        return note
    counted: dict[str, TableRows] = {}
    for name in wanted:
        for table in stages[name].tables:
            if table.path not in counted:
                counted[table.path] = _count(client, table.path)
            table.rows, table.note = counted[table.path].rows, counted[table.path].note
    return ""


def _client(pipeline: Any) -> tuple[Any, str]:
    if pipeline.mode == "prod":
        missing = [n for n in ("YT_PROXY", "YT_TOKEN") if not pipeline.config.secret(n)]
        if missing:
            return None, (f"row counts not available: no {' and no '.join(missing)} "
                          "(configs/secrets.env or the environment)")
    try:
        return pipeline.yt, ""
    except Exception as exc:  # a report shows what it can; the reason goes on the page
        return None, f"row counts not available: {_one_line(exc)}"


def _count(client: Any, path: str) -> TableRows:
    try:
        return TableRows(path, int(client.row_count(path)))
    except TableNotFound:
        return TableRows(path, None, "does not exist")
    except Exception as exc:
        return TableRows(path, None, _one_line(exc))


def _one_line(exc: BaseException) -> str:
    # masked before it is cut to its first line: a secret with a line break, cut at it,
    # leaves a first line that is no form of it
    text = " ".join(masked(str(exc)).split("\n")[0].split()) or type(exc).__name__
    return masked(text)


def job_logs(folder: Path, dev_root: Path, stage: str, error: str, dev: bool,
             run_id: str = "") -> list[LogTail]:
    """Tails of the job logs of a stage in the run `run_id` that exist now."""
    from yt_pipeline.job_logs import stage_log

    folder = folder.resolve()
    found: list[Path] = []
    kept = stage_log(folder, run_id, stage).resolve() if run_id else None
    # the record's run id and the stage name make the path: only a file under the
    # pipeline's folder is read, whatever a hand-edited record holds
    if kept is not None and folder in kept.parents and kept.is_file():
        found.append(kept)  # it holds what vanilla tasks print too
    elif dev:
        for match in _KEPT_SANDBOX.finditer(error or ""):
            sandbox = Path(match.group(1).strip()).resolve()
            # a record names the sandbox; only one inside the pipeline folder is read
            if folder in sandbox.parents and sandbox.is_dir():
                found += sorted(sandbox.glob("*.stderr"))
        found.append(dev_root / f"{_UNSAFE.sub('_', stage) or 'root'}.log")
    tails = []
    for path in dict.fromkeys(found):
        tail = read_tail(path)
        if tail is not None:
            label = str(path.resolve().relative_to(folder)) if folder in path.resolve().parents \
                else path.name
            tails.append(LogTail(label, tail, tail.count("\n") + 1 if tail else 0))
    return tails


def read_tail(path: Path, lines: int = TAIL_LINES) -> str | None:
    """The last `lines` lines of a file, masked before they are cut (masked_tails); None
    when there is no such file."""
    try:
        data = read_masked_end(path, TAIL_BYTES, masked_forms())
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except OSError as exc:
        return f"(cannot read {path.name}: {exc.strerror})"
    return last_lines(data.decode("utf-8", "replace"), lines)

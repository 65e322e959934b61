"""Run state kept in the pipeline folder, one set per mode.

- `state.<mode>.yml` (function-step pipelines: `state.<name>.<mode>.yml`): each stage of
  the graph -> `SUCCESS`, `FAILED`, `SKIPPED` (its `when:` was false) or `null` (not run
  since the last full run began). `--resume` runs what is not SUCCESS or SKIPPED. Stages
  the file knows that the current graph lacks keep their lines and entries.
- `.runs/stages.<mode>.json`: what the next run needs from the last one, per stage: the
  debug it returned (so a resumed or cached stage still feeds its dependents), its cache
  fingerprint with the hash of each component, and the run that produced it.
- `.runs/<run id>.json`: one record per run (see `records.py`).
- `.runs/journal.<mode>/`: commit records of stages whose table writes committed but whose
  entry the two files above may not hold yet (see `journal.py`); they are folded in when the
  state is read, so a kill between any two writes never shows a stage as succeeded with an
  older run's debug, nor as not run after its writes became visible.

Both state files are replaced atomically, the entries first and the statuses second: a
status SUCCESS is never on disk before the entry that goes with it. Writing is cheap by
design: every stage's line and entry is serialized once when it changes, and the runner
writes once per batch of stages that finished together.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

from yt_pipeline.crashpoints import crash_point
from yt_pipeline.errors import ConfigError
from yt_pipeline.events import FAILED, SKIPPED, SUCCESS
from yt_pipeline.journal import RUNS_DIR, Journal, Record
from yt_pipeline.keep import restore_debug
from yt_pipeline.yamlio import durable_mode, read_yaml_mapping, write_file_atomic

STATUSES = (SUCCESS, FAILED, SKIPPED, None)
#: statuses --resume treats as done
DONE = (SUCCESS, SKIPPED)
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_YAML_WORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n"}


def state_path(folder: Path, state_name: str) -> Path:
    return Path(folder) / f"state.{state_name}.yml"


def memory_path(folder: Path, state_name: str) -> Path:
    return Path(folder) / RUNS_DIR / f"stages.{state_name}.json"


#: the last line of a state file as `StateStore.write` writes it, announced by its first
_END = "# end"
_ENDS_WITH = f"ends with {_END!r}"


def _header(state_name: str) -> str:
    return (f"# yt-pipeline state ({state_name}): SUCCESS, FAILED, SKIPPED or null; "
            f"{_ENDS_WITH}\n")


def _check_whole(path: Path, state_name: str) -> None:
    """A state file that announces its end line and lacks it was cut short (a copy broken
    off, a disk full, a crash before the file reached the disk): reading what is left would
    take the stages of the lost lines for not run, and --resume would run them, and append,
    again. So was an empty file, or one cut inside its first line (the announcement lost
    with the rest: a machine crash most often leaves a file renamed into place empty)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return  # read below, with the error that names the file
    lines = text.splitlines()
    cut = _header(state_name).startswith(text) and _END not in text
    if cut or (lines and lines[0].startswith("#") and _ENDS_WITH in lines[0]):
        if cut or not any(line.strip() == _END for line in lines[1:]):
            raise ConfigError(
                f"it is cut short (no {_END!r} line at its end), so the status of some stages "
                "is lost: put back the file (or add the lost stages' lines), or delete it to "
                "run every stage again (stages that append would append again)",
                file=path.name)


def read_statuses(folder: Path, state_name: str) -> dict[str, str | None]:
    """The stage -> status table of a state file ({} when there is none)."""
    path = state_path(folder, state_name)
    if not path.is_file():
        return {}
    _check_whole(path, state_name)
    data = _written_statuses(path)
    if data is None:  # edited by hand, or damaged: read as YAML, errors naming the line
        data = read_yaml_mapping(path, display=path.name)
    for name, status in data.items():
        if status not in STATUSES:
            raise ConfigError(
                f"unknown status {status!r} (expected SUCCESS, FAILED, SKIPPED or null)",
                file=path.name, key=name,
            )
    return data


#: a line as `StateStore.write` writes it: a plain or a JSON-quoted key (without escapes)
_WRITTEN_LINE = re.compile(r'^(?:([A-Za-z_][A-Za-z0-9_.-]*)|"([^"\\]*)"): '
                           r"(SUCCESS|FAILED|SKIPPED|null)$")


def _written_statuses(path: Path) -> dict[str, str | None] | None:
    """The statuses of a state file exactly as this module writes it, read without the
    YAML library (whose import costs a run more than the rest of its start); None for any
    other text, which is then read as YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    found: dict[str, str | None] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _WRITTEN_LINE.match(line)
        if match is None:
            return None
        plain, quoted, status = match.groups()
        name = plain if plain is not None else quoted
        if name in found or (plain is not None and plain.lower() in _YAML_WORDS):
            return None
        found[name] = None if status == "null" else status
    return found


def kept_debug(entry: dict[str, Any] | None) -> dict[str, Any]:
    """The debug a state entry holds, as the stage returned it."""
    return restore_debug((entry or {}).get("debug") or {})


def _yaml_key(name: str) -> str:
    if _PLAIN_KEY.match(name) and name.lower() not in _YAML_WORDS:
        return name
    return json.dumps(name)


class StateStore:
    """The state of one pipeline folder and mode, for the duration of a run."""

    def __init__(self, folder: Path, state_name: str, names: list[str]):
        self.folder = Path(folder)
        self.state_name = state_name
        self.durable = durable_mode(state_name)
        self.path = state_path(folder, state_name)
        self.memory_path = memory_path(folder, state_name)
        known = read_statuses(folder, state_name)
        self.statuses: dict[str, str | None] = {name: known.get(name) for name in names}
        # The stages of the file that this graph lacks keep their lines, after the graph's:
        # a run with another --config that leaves a stage out says nothing of it, and were
        # its SUCCESS dropped, --resume with the full config would run it (and append) again.
        self._lines = {name: self._line(name, status)
                       for name, status in [*self.statuses.items(), *known.items()]}
        #: the statuses may differ from the file's
        self._status_dirty = True
        self.memory: dict[str, dict[str, Any]] = self._read_memory()
        # "name": {...} fragments of the JSON file, made once per change; every stage's entry
        # is kept, for the reason above (a resumed dependent needs the debug it handed on)
        self._memory_json = {
            name: self._fragment(name, json.dumps(entry)) for name, entry in self.memory.items()
        }
        self._memory_dirty = False
        self.journal = Journal(folder, state_name)
        #: commit records folded in above; removed once the state files hold them
        self.folded: list[Record] = []
        for record in self.journal.pending():
            self._fold(record)

    def _fold(self, record: Record) -> None:
        self.folded.append(record)
        self.set_status(record.stage, record.entry.get("status"))
        self.remember(record.stage, record.entry)

    def _read_memory(self) -> dict[str, dict[str, Any]]:
        """The entries file. One that does not read (cut short by a copy or a machine crash,
        edited by hand) is refused, not taken for empty: --resume would hand the dependents
        of the stages that succeeded an empty debug (a step's inputs missing, so it is
        skipped and the run "succeeds" without it), and the next write would make the loss
        for good."""
        try:
            text = self.memory_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            self._memory_refused(f"it cannot be read ({exc})")
        try:
            data = json.loads(text)
        except ValueError as exc:
            self._memory_refused(f"it is not whole JSON ({exc})")
        if not isinstance(data, dict):
            self._memory_refused(f"it holds a {type(data).__name__}, not an object of stages")
        for name, entry in data.items():
            if not isinstance(entry, dict):
                self._memory_refused(f"the entry of stage {name!r} is not an object")
        return data

    def check_handed_on(self, names: Iterable[str]) -> None:
        """Stages a run takes as done hand on what their entries keep. One the statuses show
        done without an entry (the entries file deleted: `.runs/` cleared with the run logs)
        would hand on nothing: a stage after it would fail for a key it lost, or a step be
        skipped for its input missing, and the run succeed without its tables."""
        lost = [name for name in names
                if self.statuses.get(name) in DONE and name not in self.memory]
        if lost:
            raise ConfigError(
                f"it holds no entry of {', '.join(lost)}, which {self.path.name} shows done: "
                "what they handed on to the stages after them is lost; put back the file, "
                "or run without --resume to run every stage again (stages that append "
                "would append again)", file=Path(RUNS_DIR) / self.memory_path.name)

    def _memory_refused(self, why: str) -> NoReturn:
        raise ConfigError(
            f"{why}: the file keeps what each stage that succeeded handed on to the stages after "
            "it; put back the file, or delete it together with "
            f"{self.path.name} to run every stage again (stages that append would append "
            "again)", file=Path(RUNS_DIR) / self.memory_path.name)

    @staticmethod
    def _line(name: str, status: str | None) -> str:
        return f"{_yaml_key(name)}: {status or 'null'}\n"

    @staticmethod
    def _fragment(name: str, text: str) -> str:
        return f"{json.dumps(name)}: {text}"

    def set_status(self, name: str, status: str | None) -> None:
        if self.statuses.get(name, "?") == status and name in self._lines:
            return
        if name in self.statuses:  # a stage this graph lacks keeps only its line
            self.statuses[name] = status
        self._lines[name] = self._line(name, status)
        self._status_dirty = True

    def remember(self, name: str, entry: dict[str, Any]) -> None:
        """Keep what the next run needs from this stage (debug in its kept form, see
        `keep.py`, and the fingerprint)."""
        text = json.dumps(entry)
        self.memory[name] = entry
        self._memory_json[name] = self._fragment(name, text)
        self._memory_dirty = True

    def forget(self, name: str) -> None:
        """The stage has not run: no status, nothing remembered (its commit was lost)."""
        self.set_status(name, None)
        if self.memory.pop(name, None) is not None:
            self._memory_json.pop(name, None)
            self._memory_dirty = True

    @classmethod
    def existing(cls, folder: Path, state_name: str) -> StateStore:
        """The store with every stage its files know, whatever the current graph."""
        store = cls(folder, state_name, [])
        names = list(read_statuses(folder, state_name))
        names += [n for n in store.memory if n not in names]
        return cls(folder, state_name, names)

    def forget_fingerprints(self, names: Iterable[str] | None = None) -> int:
        """Drop cache fingerprints (`yt-pipeline cache clear`); returns how many."""
        wanted = set(names) if names is not None else None
        count = 0
        for name, entry in list(self.memory.items()):
            if wanted is not None and name not in wanted:
                continue
            if entry.pop("fingerprint", None) is not None:
                count += 1
                entry.pop("components", None)
                self.remember(name, entry)
        return count

    def remove_leftovers(self) -> None:
        """Temporary files of state writes a kill cut short (under the run lock)."""
        for path in (self.path, self.memory_path):
            for leftover in path.parent.glob(f".{path.name}.*.tmp"):
                leftover.unlink(missing_ok=True)
        self.journal.remove_leftovers()

    def write(self) -> None:
        # entries before statuses: see the module's docstring
        if self._memory_dirty:
            body = ",\n".join(self._memory_json.values())
            crash_point("state: before the stage entries")
            write_file_atomic(self.memory_path, "{\n" + body + "\n}\n", durable=self.durable)
            self._memory_dirty = False
        if not self._status_dirty:
            return
        header = _header(self.state_name)
        crash_point("state: before the statuses")
        write_file_atomic(self.path, header + "".join(self._lines.values()) + _END + "\n",
                          durable=self.durable)
        self._status_dirty = False
        crash_point("state: after the statuses")

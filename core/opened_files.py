"""The data files a stage's code reads while it runs, so the cache sees them too.

The cache fingerprint covers what can be found before a stage runs: its code, the modules
it imports, its config and file_paths, its input tables. A stage that opens a file by a
path of its own making (`open("data/users.csv")`, an absolute path built at run time) would
come from the cache after the file changed. So while a stage's code runs, the files its
thread opens for reading are recorded, and their digests kept with its last success; the
next cache check reads them again (cache.py).

Python raises the audit event "open" for `open()`, `io.open`, `os.open`, pathlib's readers
and `io.open_code` (PEP 578; the docs' "Audit events table"). One hook, installed once per
process (hooks cannot be removed), looks the calling thread up among the recording ones, so
other threads pay one dictionary lookup per open. Not seen: files opened by threads or
processes the stage starts, and files a library reads in C (DuckDB's read_csv).

Left out, because they are not the stage's data or are covered elsewhere: files it also
opened for writing (a scratch file), files in the temporary folder, the pipeline's own
folders (.dev/ tables, .runs/, .build/), Python code and installed packages, the machine's
own files (/etc, /proc, ...), the dot-files and dot-folders of the user's home (~/.netrc and
the like), and secrets files (a digest of a secret is kept nowhere).
"""

from __future__ import annotations

import os
import sys
import sysconfig
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from yt_pipeline.filememo import FileIdentity, file_identity

#: suffixes of code and compiled modules: the `code` and `imports` components cover a
#: stage's own, installed packages are not the stage's data
_CODE_SUFFIXES = (".py", ".pyc", ".pyo", ".so", ".pyd")
#: file names never recorded: their content must not be hashed into the state
_SECRET_NAMES = frozenset({"secrets.env", ".env"})
#: the pipeline folder's own folders: tables (read through the client, fingerprinted as
#: inputs), run records, the code archive
_OWN_DIRS = (".dev", ".runs", ".build", ".git")
#: the machine's own files, never a stage's data: its configuration (libraries read
#: /etc/os-release, ytsaurus-client through `distro`) and the kernel's pseudo-files, whose
#: content is made as they are read (/proc/self/stat resolves to /proc/<pid>/stat, gone by
#: the next run)
_MACHINE_DIRS = tuple(Path(p) for p in ("/etc", "/proc", "/sys", "/dev", "/run"))

_recording: dict[int, _Record] = {}
_install_lock = threading.Lock()
_installed = False


class _Record:
    def __init__(self) -> None:
        self.read: set[str] = set()
        self.written: set[str] = set()
        #: each file read, as it was just before each open (file_identity); a digest taken
        #: later, when the stage ends, holds only if it is of that same file
        self.identities: dict[str, set[FileIdentity]] = {}


def _writes(mode: Any, flags: Any) -> bool:
    if isinstance(mode, str) and mode:
        return any(letter in mode for letter in "wax+")
    return isinstance(flags, int) and flags & os.O_ACCMODE != os.O_RDONLY


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" or not _recording:
        return
    record = _recording.get(threading.get_ident())
    if record is None:
        return
    path, mode, flags = (tuple(args) + (None, None, None))[:3]
    if path is None or isinstance(path, int):  # a descriptor: no path to read again
        return
    try:
        text = os.fsdecode(path)
        # a relative path names a file in the working folder of this moment: the stage may
        # change it and change it back before its files are looked at
        if not os.path.isabs(text):
            text = os.path.join(os.getcwd(), text)
    except (TypeError, ValueError, OSError):  # OSError: the working folder was removed
        return
    if _writes(mode, flags):
        record.written.add(text)
        return
    record.read.add(text)
    try:
        record.identities.setdefault(text, set()).add(file_identity(os.stat(text)))
    except (OSError, ValueError):  # not there (the open fails on its own), or no file name
        pass


def _install() -> None:
    global _installed
    with _install_lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True


@contextmanager
def recording() -> Iterator[_Record]:
    """Record the files this thread opens within the block (`.read`, `.written`: paths as
    the code gave them, relative ones joined to the working folder of the moment)."""
    _install()
    record = _Record()
    ident = threading.get_ident()
    _recording[ident] = record
    try:
        yield record
    finally:
        _recording.pop(ident, None)


def _outside_roots(extra: Iterable[Path]) -> list[Path]:
    """Where a file outside the pipeline folder is not the stage's data: Python and its
    packages, the temporary folder, and `extra`."""
    roots = [Path(p) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix,
                               sys.base_exec_prefix, tempfile.gettempdir()}]
    roots += [Path(p) for key in ("purelib", "platlib", "stdlib", "platstdlib")
              if (p := sysconfig.get_paths().get(key))]
    resolved = []
    for root in [*roots, *extra]:
        try:
            resolved.append(root.resolve())
        except OSError:
            continue
    return resolved


def data_files(record: _Record, pipeline_dir: Path, skipped: Iterable[Path] = (),
               secrets: Iterable[Path] = ()) -> list[Path]:
    """The regular files `record` read that are the stage's data, resolved, sorted. Inside
    the pipeline folder every file but its own folders' (and code) counts; outside it, not
    those of Python, its packages, the temporary folder, the machine (/etc, /proc, ...) and
    the hidden ones of the user's home.
    Files under `skipped` (the dev
    client's table folder, say) are left out wherever they are, and so are the `secrets`
    files under any name (a link to one, or it a link to a file named otherwise)."""
    pipeline_dir = Path(pipeline_dir).resolve()
    own = [pipeline_dir / name for name in _OWN_DIRS]
    skipped = [Path(s).resolve() for s in skipped]
    outside = _outside_roots(skipped)
    written = {_resolved(p) for p in record.written}
    secret_ids = {_file_id(Path(p)) for p in secrets} - {None}
    home = _home()
    found = set()
    for given in record.read:
        path = _resolved(given)
        if path is None or path in written or path.suffix in _CODE_SUFFIXES \
                or _SECRET_NAMES & {path.name, Path(given).name}:
            continue
        if path.is_relative_to(pipeline_dir):
            if any(path.is_relative_to(root) for root in [*own, *skipped]):
                continue
        elif any(path.is_relative_to(root) for root in outside) \
                or any(_on_the_machine(p) or _hidden_in_home(p, home) for p in (Path(given), path)):
            continue
        if path.is_file() and _file_id(path) not in secret_ids:
            found.add(path)
    return sorted(found)


def identities_read(record: _Record, path: Path) -> set[FileIdentity]:
    """What `path` (as data_files gives it) was just before each time the stage opened it,
    under whichever name it was opened."""
    found: set[FileIdentity] = set()
    for given, seen in record.identities.items():
        if _resolved(given) == path:
            found |= seen
    return found


def _on_the_machine(path: Path) -> bool:
    return os.name == "posix" and any(path.is_relative_to(root) for root in _MACHINE_DIRS)


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (OSError, RuntimeError):  # no home known
        return None


def _hidden_in_home(path: Path, home: Path | None) -> bool:
    """A dot-file or dot-folder of the user's home: credentials and tools' settings
    (~/.netrc, which requests reads on each request, ~/.yt/token, ~/.aws), no stage's data."""
    if home is None or not path.is_relative_to(home) or path == home:
        return False
    return path.relative_to(home).parts[0].startswith(".")


def _file_id(path: Path) -> tuple[int, int] | None:
    """Device and inode: the same for every link to one file."""
    try:
        status = path.stat()
    except (OSError, ValueError):
        return None
    return status.st_dev, status.st_ino


def _resolved(given: str) -> Path | None:
    try:
        return Path(given).resolve()
    except (OSError, RuntimeError, ValueError):
        return None


def shown_name(path: Path, pipeline_dir: Path) -> str:
    """How the state and a cache miss name a data file: relative to the pipeline folder
    when inside it, else its absolute path."""
    try:
        return path.relative_to(Path(pipeline_dir).resolve()).as_posix()
    except ValueError:
        return str(path)

"""Atomic table replacement: write a temporary file beside the table, then rename it over.

A write that fails or is killed leaves the table as it was; an append copies the old content
into the temporary file first, so it never leaves half a row either.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from yt_pipeline.lock import pid_alive
from yt_pipeline_dev.paths import TABLE_SUFFIX

#: how the name of a table's version a running YQL query keeps ends, after its process's
#: id (yql_undo.py): `.<name>.<random>.<pid>.kept.tmp`
KEPT_SUFFIX = ".kept.tmp"

CHUNK = 1 << 20


def ends_with_newline(path: Path) -> bool:
    """True for an empty file or one whose last byte is a newline."""
    size = path.stat().st_size
    if size == 0:
        return True
    with path.open("rb") as handle:
        handle.seek(size - 1)
        return handle.read(1) == b"\n"


def append_file(target: Path, source: Path) -> None:
    """Append source's bytes to target, keeping lines whole (a missing last newline added).
    The bytes are copied inside the kernel where it can (copy_file_range: half the time of
    a copy through Python for a job's 23 MB of output)."""
    if source.stat().st_size == 0:
        return
    if not ends_with_newline(target):
        with target.open("ab") as out:
            out.write(b"\n")
    # not opened for appending: copy_file_range refuses a file opened so (EBADF)
    with source.open("rb") as src, target.open("r+b") as out:
        _copy_to_end(src, out)
    if not ends_with_newline(target):
        with target.open("ab") as out:
            out.write(b"\n")


def _copy_to_end(src: BinaryIO, out: BinaryIO) -> None:
    size = os.fstat(src.fileno()).st_size
    at = out.seek(0, os.SEEK_END)
    done = 0
    try:
        while done < size:
            copied = os.copy_file_range(src.fileno(), out.fileno(), size - done, done,
                                        at + done)
            if copied == 0:
                break
            done += copied
    except (AttributeError, OSError):  # not Linux, or a file system that cannot
        pass
    if done < size:  # the rest through Python, from where the kernel stopped
        src.seek(done)
        out.seek(at + done)
        shutil.copyfileobj(src, out, CHUNK)


#: times a folder is made again for a file that a removal of the folder keeps taking away
PLACE_ATTEMPTS = 100


def make_folder(folder: Path) -> None:
    """`mkdir -p` that a removal of the folder (or of one above it) racing it cannot fail:
    Path.mkdir(parents=True, exist_ok=True) raises FileExistsError when the folder it found
    existing is gone by the time it looks whether it is a folder, and FileNotFoundError
    when a folder above, which it has just made, is gone before it makes the next."""
    for _ in range(PLACE_ATTEMPTS):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return
        except FileExistsError:
            if folder.exists():
                raise  # a file, not a folder, has the name
        except FileNotFoundError:
            pass
    raise OSError(f"folder {folder} kept being removed while it was made")


def put_in_place(made: Path, target: Path) -> None:
    """Rename the finished file `made` over `target`, making its folder first. A removal of
    that folder between the two (folder_removal.py, outside any transaction) only makes
    the folder be made again: the file comes after the removal, as a cluster's write with
    a recursive create does after a remove it did not overlap."""
    for _ in range(PLACE_ATTEMPTS):
        make_folder(target.parent)
        try:
            os.replace(made, target)
            return
        except FileNotFoundError:
            if not made.exists():
                raise
    raise OSError(f"folder {target.parent} kept being removed while {target.name} was put in it")


@contextmanager
def replacing(target: Path, *, append: bool = False) -> Iterator[Path]:
    """A temporary path that becomes `target` when the block ends without an error."""
    make_folder(target.parent)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        os.chmod(tmp, 0o644)
        if append and target.is_file():
            shutil.copyfile(target, tmp)
            if not ends_with_newline(tmp):
                with tmp.open("ab") as out:
                    out.write(b"\n")
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        if exc.filename is None:  # a full disk: say which file could not be written
            exc.filename = str(target)
        raise
    finally:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass


def file_identity(status: os.stat_result) -> list[int]:
    """What tells one version of a table file from another: every write renames a new file
    over the table, so a new version has a new inode (and most often another size and time)."""
    return [status.st_ino, status.st_size, status.st_mtime_ns]


def copy_table(source: BinaryIO, out: BinaryIO) -> int:
    """Copy a table's bytes, a missing last newline added; return the bytes written."""
    written = 0
    last = b"\n"
    while chunk := source.read(CHUNK):
        out.write(chunk)
        written += len(chunk)
        last = chunk[-1:]
    if last != b"\n":
        out.write(b"\n")
        written += 1
    return written


def count_lines(path: Path | BinaryIO, start: int = 0) -> int:
    """Rows of a JSON-lines file (or of an open one, from where it is) from a byte
    offset, counted without parsing them."""
    count = 0
    last = b"\n"
    with _opened(path) as handle:
        handle.seek(start, os.SEEK_CUR)
        while chunk := handle.read(CHUNK):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (0 if last == b"\n" else 1)


@contextmanager
def _opened(path: Path | BinaryIO) -> Iterator[BinaryIO]:
    if isinstance(path, Path):
        with path.open("rb") as handle:
            yield handle
    else:
        yield path


class Bounded:
    """The next `left` bytes of an open binary file, read as a file: a staged table being
    appended to in place (txn.open_staged: its bytes from `left` on are not there yet), one
    job's rows in a table file (sorted_schema)."""

    def __init__(self, handle: BinaryIO, left: int):
        self.handle, self.left = handle, left

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = self.handle.read(size)
        self.left -= len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = self.handle.readline(size)
        self.left -= len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        assert whence == os.SEEK_CUR and offset == 0, "only read on from where it is"
        return self.handle.tell()

    def close(self) -> None:
        self.handle.close()

    def __enter__(self) -> Bounded:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: what begins a blank line inside a block (a newline, a space, a tab or a CR after one)
_BLANK_STARTS = (b"\n\n", b"\n ", b"\n\t", b"\n\r")


def count_rows(path: Path | BinaryIO, unended: Callable[[bytes], None] | None = None) -> int:
    """Rows of a JSON-lines file as its reader finds them: its lines that are not blank.
    (A file dev wrote holds no blank line and is counted by `count_lines`; this is for one
    edited by hand or copied in.) A block is looked at line by line only when it may hold
    a blank line. `unended` is shown a last line that has no newline before it is counted
    (it may be a row cut short: the reader would fail on it)."""
    count, rest = 0, b""
    with _opened(path) as handle:
        while chunk := handle.read(CHUNK):
            body = rest + chunk
            cut = body.rfind(b"\n") + 1
            body, rest = body[:cut], body[cut:]
            if body[:1].isspace() or any(start in body for start in _BLANK_STARTS):
                count += sum(1 for line in body.split(b"\n") if line.strip())
            else:
                count += body.count(b"\n")
    if not rest.strip():
        return count
    if unended is not None:
        unended(rest)
    return count + 1


#: dev's own folders at the top of the dev folder (their names begin with ".", as no YT
#: name's file does: paths.stored_name) whose files are not a killed write's to remove here:
#: a transaction's folder may belong to a live run of another pipeline (recovery.sweep judges
#: those), a kept sandbox holds the user's files as they were (launcher.SANDBOXES_DIR), and
#: what `.removed` (folder_removal.REMOVED_DIR, later_removal) and `.sort`
#: (sort_work.SORT_DIR) hold goes whole by their own sweeps, a live sort's folder excepted.
#: `.locks` and `.cache` are walked: lock markers and cache entries are written through
#: temporary files beside them (yamlio.write_file_atomic).
SWEPT_ELSEWHERE = frozenset({".txn", ".sandboxes", ".removed", ".sort"})
#: the one folder of `.cache` not walked: whole_lines.MARKS_DIR, one empty mark a table file
#: made by a touch (no temporary file), old ones pruned by whole_lines._prune
CACHE_DIR, UNWRITTEN_CACHE = ".cache", "whole_lines"


def _swept_elsewhere(top_name: str) -> bool:
    """Whether the folder `top_name` at the top of the dev folder is left to another sweep:
    one of SWEPT_ELSEWHERE, or a sandbox older versions kept at the top of the dev folder
    (those are looked into by `_yt_folder_leftovers`: a YT folder may have such a name)."""
    return top_name in SWEPT_ELSEWHERE or _like_an_old_sandbox(top_name)


def _like_an_old_sandbox(top_name: str) -> bool:
    return top_name.startswith("sandbox_") or top_name.endswith("_sandbox")


def _yt_folder_leftovers(top: str) -> list[str]:
    """The temporary files under `top`, a folder at the top of the dev folder named like
    an old sandbox, if it is a YT folder's (//sandbox_x is stored as `sandbox_x`:
    paths.stored_name changes only names beginning with "." or "^"); none if it is a kept
    sandbox. A YT folder holds only table files (`*.jsonl`), the temporary files of their
    writes (`.<table file>.<random>.tmp`, atomic.replacing, and those named after one:
    `.part.tmp`, `.ordered.tmp`) and folders whose names do not begin with "."
    (paths.stored_name); the walk ends at the first entry of another kind, most often in
    the first listing of a sandbox's user files, whose own files are never removed."""
    found: list[str] = []
    for folder, names, files in os.walk(top):
        if any(name.startswith(".") for name in names) or any(
                not _is_table_write_leftover(name) and (name.startswith(".")
                                                        or not name.endswith(TABLE_SUFFIX))
                for name in files):
            return []
        found += [os.path.join(folder, name) for name in files
                  if _is_table_write_leftover(name)]
    return found


def _is_table_write_leftover(name: str) -> bool:
    """A temporary file's name of a table's write: `.<name>.jsonl.<random>.tmp...`."""
    return _is_leftover_name(name) and f"{TABLE_SUFFIX}." in name


def _is_leftover_name(name: str) -> bool:
    """A name the temporary files of writes have: `.*.tmp` as fnmatch reads it."""
    return len(name) >= 5 and name.startswith(".") and name.endswith(".tmp")


def kept_name_suffix() -> str:
    """The end of the name of a table's version this process's YQL query keeps."""
    return f".{os.getpid()}{KEPT_SUFFIX}"


def _kept_by_a_live_process(name: str) -> bool:
    """Whether `name` is a table's version a YQL query of a process still running keeps:
    a second name of the table's file, whose time is the table's, however new the query
    (a run starting while it ran removed it, and the query could not put the table back)."""
    if not name.endswith(KEPT_SUFFIX):
        return False
    pid = name[:-len(KEPT_SUFFIX)].rpartition(".")[2]
    return pid.isdigit() and pid_alive(int(pid))


def remove_leftovers(root: Path, before: float) -> int:
    """Remove the temporary files of writes that never finished (`.<name>.<random>.tmp`,
    older than `before`) under `root`; return how many.

    The walk goes only where such a file may be: the folders other sweeps look after
    (`_swept_elsewhere`) are not entered, where a walk of the whole folder listed every
    file of each kept sandbox (a user's whole code tree) at each run's start."""
    removed = 0
    if not root.is_dir():
        return 0
    top = str(root)
    cache = os.path.join(top, CACHE_DIR)
    # os.walk follows no link to a folder and passes over a folder removed while it walks
    for folder, names, files in os.walk(top):
        leftovers = [os.path.join(folder, name) for name in files if _is_leftover_name(name)]
        if folder == top:
            leftovers += [found for name in names if _like_an_old_sandbox(name)
                          for found in _yt_folder_leftovers(os.path.join(top, name))]
            names[:] = [name for name in names if not _swept_elsewhere(name)]
        elif folder == cache:
            names[:] = [name for name in names if name != UNWRITTEN_CACHE]
        for leftover in leftovers:
            if _kept_by_a_live_process(leftover):
                continue
            try:
                status = os.stat(leftover)
                if stat.S_ISREG(status.st_mode) and status.st_mtime < before:
                    os.unlink(leftover)
                    removed += 1
            except OSError:
                pass  # gone already, or not ours to remove
    return removed

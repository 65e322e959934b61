"""A reproducible tar.gz: the same files give the same bytes, whoever builds it and when.

Entries are sorted, carry one fixed mtime, owner 0:0 without names, and mode 0644 (0755 for
executables); only regular files are stored (folders are implied by the names); the gzip
header has no file name and a zero timestamp.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import msgspec

from yt_pipeline.digests import sha256
from yt_pipeline.errors import PackagingError

if TYPE_CHECKING:
    import tarfile

    from yt_pipeline_uploader.leaks import SecretScan

#: 2000-01-01T00:00:00Z; any constant will do, but 0 upsets some unpacking tools
FIXED_MTIME = 946684800
#: Packaging runs on every pipeline run, uploading only when the content changed: level 3 is
#: about twice as fast as gzip's default 6 for an archive some 9% larger.
COMPRESS_LEVEL = 3
#: archives being written; a build leaves other builds' alone
PARTIAL_SUFFIX = ".partial"


class Member(msgspec.Struct, frozen=True):
    """A file to store: its bytes come from `path`, or from `data` (generated files)."""

    arcname: str
    executable: bool
    path: Path | None = None
    data: bytes | None = None
    #: how errors name the file (its path in the pipeline folder); the arcname if empty
    shown: str = ""


class ArchiveInfo(msgspec.Struct, frozen=True):
    sha256: str
    size: int
    file_count: int


class _HashingWriter:
    """A file-like sink that hashes and counts what passes through it."""

    def __init__(self, sink: BinaryIO, size: int):
        self.sink = sink
        #: `size`: about how many bytes will pass (yt_pipeline.digests.sha256)
        self.digest = sha256(size)
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.sink.write(data)

    def flush(self) -> None:
        self.sink.flush()


def write_archive(destination: Path, members: list[Member],
                  secrets: SecretScan | None = None) -> ArchiveInfo:
    """Write `members` to `destination` (atomically: a temporary file, then a rename).

    A member holding one of the `secrets` is an error, and `destination` stays as it was.
    """
    import gzip
    import tarfile

    # A name of its own: two runs of one pipeline (a dev and a prod run may overlap) build
    # side by side, and each replaces the archive whole.
    fd, name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=PARTIAL_SUFFIX,
                                dir=destination.parent)
    os.close(fd)
    partial = Path(name)
    try:
        os.chmod(partial, 0o644)
        with partial.open("wb") as raw:
            # about the size of its files (compressed, most often smaller)
            sink = _HashingWriter(raw, sum(_size(member) for member in members))
            with gzip.GzipFile(
                filename="", mode="wb", fileobj=sink, mtime=0, compresslevel=COMPRESS_LEVEL
            ) as packed, tarfile.open(fileobj=packed, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for member in sorted(members, key=lambda m: m.arcname):
                    _add(tar, member, secrets)
        os.replace(partial, destination)
    except OSError as exc:
        if exc.filename is None:  # a full disk: say which file could not be written
            exc.filename = str(destination)
        raise
    finally:
        if partial.exists():
            partial.unlink()
    return ArchiveInfo(sink.digest.hexdigest(), sink.size, len(members))


def _size(member: Member) -> int:
    if member.data is not None:
        return len(member.data)
    try:
        return Path(str(member.path)).stat().st_size
    except OSError:
        return 0  # _add says what is wrong with the file


def _add(tar: tarfile.TarFile, member: Member, secrets: SecretScan | None) -> None:
    import io
    import tarfile

    info = tarfile.TarInfo(member.arcname)
    info.mtime = FIXED_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o755 if member.executable else 0o644
    shown = member.shown or member.arcname
    if secrets:
        secrets.check_name(member.arcname, shown)
    if member.data is not None:
        if secrets:
            secrets.check(member.data, shown)
        info.size = len(member.data)
        tar.addfile(info, io.BytesIO(member.data))
        return
    path = Path(str(member.path))
    try:
        with path.open("rb") as handle:
            info.size = os.fstat(handle.fileno()).st_size
            # searched on the bytes tar reads anyway: no second read of the file
            tar.addfile(info, secrets.reading(handle, shown) if secrets else handle)
    except OSError as exc:
        # Typically a file that shrank while it was being read.
        raise PackagingError(f"cannot pack {path}: {exc}") from None


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"

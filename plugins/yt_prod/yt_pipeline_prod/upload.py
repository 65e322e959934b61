"""The code archive in `pipeline.build_folder`, named by its content hash.

An archive already there with the right size is not uploaded again, so an unchanged
pipeline sends no archive bytes on its next run.

Two runs may upload the same archive at once. Writing it under its final name would fail
one of them on a cluster: `write_file` writes inside a transaction of its own and takes an
exclusive lock on the file (a shared one on its name in the folder when it creates it), and
the second run's transaction asking for the same lock gets a lock conflict (error 402). So
each run writes a temporary file of its own next to it and moves that onto the final name
with `force`: the move runs outside any transaction, replaces the name atomically, and
whichever run moves last puts the same bytes there (the name is their hash). A broken
upload leaves no half archive under the final name.

Archives expire (Cypress `expiration_time`): `pipeline.prod.archive_ttl_days` after they were
last uploaded or found by a run, so build_folder does not keep every archive ever built.
A temporary file left by a run that died expires within a day.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yt_pipeline.checkpoints import folder_entries, pack_folder
from yt_pipeline.errors import BackendError, TableNotFound
from yt_pipeline_prod.failures import translated
from yt_pipeline_prod.stage_txn import outside_transaction, start_transaction

if TYPE_CHECKING:
    from yt_pipeline.checkpoints import Checkpoint
    from yt_pipeline.packaging import CodePackage
    from yt_pipeline_prod.client import ProdClient

log = logging.getLogger("yt_pipeline.prod.upload")

TEMPORARY_TTL_DAYS = 1.0


def remote_archive_path(client: ProdClient, package: CodePackage) -> str:
    return f"{client.build_folder}/{package.remote_name}"


def expiration_time(days: float) -> str:
    """A moment `days` from now as Cypress takes it: an ISO UTC time, formatted as
    ytsaurus-client formats the one it sets on temporary tables (`create_temp_table`)."""
    from yt.wrapper.common import datetime_to_string, utcnow

    return str(datetime_to_string(utcnow() + timedelta(days=days)))


def _remote_size(client: ProdClient, target: str) -> int | None:
    try:
        with translated(client, "check code archive", target):
            return int(client.yt().get(target + "/@uncompressed_data_size"))
    except TableNotFound:
        return None


def _refresh(client: ProdClient, target: str) -> bool:
    """Push the archive's expiration time forward; False if it is gone (expired meanwhile)."""
    days = client.settings.archive_ttl_days
    if days is None:
        return True
    try:
        with translated(client, "refresh the expiration time of code archive", target):
            client.yt().set(target + "/@expiration_time", expiration_time(days))
    except TableNotFound:
        return False
    return True


def _remove_quietly(yt: Any, path: str) -> None:
    try:
        yt.remove(path, force=True)
    except Exception as error:  # noqa: BLE001 - it expires anyway; the first error matters
        log.debug("could not remove %s: %s", path, type(error).__name__)


def _write_file(client: ProdClient, local: Path, target: str, folder: str,
                check: Callable[[Any], None], what: str) -> None:
    """Write `local` to a temporary file of its own, then move it onto `target`."""
    from yt_pipeline_prod.client import writing_in

    yt = client.yt()
    temporary = f"{target}.part-{uuid.uuid4().hex[:16]}"
    with translated(client, f"upload {what}", target), local.open("rb") as source:
        check(source)  # the bytes named by the hash, no other
        yt.create("map_node", folder, recursive=True, ignore_existing=True)
        yt.create("file", temporary,
                  attributes={"expiration_time": expiration_time(TEMPORARY_TTL_DAYS)})
        try:
            # in a transaction of our lease (stage_txn.lease_ms), which ends when the run is
            # killed mid-upload, titled with secrets masked: the client writes in it
            # (writing_in) rather than in one of its own, titled with the path as it is
            # (`make_write_request` in yt/wrapper/heavy_commands.py)
            # entered in the run's books, whose end (SIGTERM, Ctrl-C) aborts it
            with start_transaction(yt, f"yt-pipeline upload {target}") as uploading, \
                    client.uploading(uploading.transaction_id), \
                    writing_in(yt, uploading.transaction_id):
                yt.write_file(temporary, source, force_create=False)
            _check_size(yt, temporary, local, f"{what} {target}")
            # a move drops the temporary file's expiration time (it is not asked to keep
            # it); the file's own is set just after
            yt.move(temporary, target, force=True)
        except BaseException:
            _remove_quietly(yt, temporary)
            raise


def _check_size(yt: Any, temporary: str, local: Path, what: str) -> None:
    """Refuse a file that did not land byte for byte as long as the local one.
    ytsaurus-client sends a large file in chunks, each in a transaction of its own, and
    sends a chunk again, appended, when the answers to its commit were lost although it
    committed (`WriteRequestRetrier.action` in yt/wrapper/heavy_commands.py): the file
    would then hold that chunk twice, and every job of the run would unpack a broken
    archive. One light request per upload."""
    landed, sent = int(yt.get(temporary + "/@uncompressed_data_size")), local.stat().st_size
    if landed != sent:
        raise BackendError(f"upload {what}: {landed} bytes landed for the {sent} sent (a "
                           "part was sent again after the answer to it was lost); the "
                           "upload was dropped")


def _upload(client: ProdClient, package: CodePackage, target: str) -> None:
    log.info("uploading code archive %s (%d bytes)", package.remote_name, package.size)
    _write_file(client, package.archive_path, target, client.build_folder,
                package.check_unchanged, "code archive")
    if not _refresh(client, target):
        raise BackendError(f"upload code archive {target}: it was removed right after the "
                           "upload; run again")


def ensure_uploaded(client: ProdClient, package: CodePackage) -> str:
    """The Cypress path of the archive, uploaded first if it is not there yet. Outside the
    stage's transaction: the archive serves every stage and run, whatever this one does."""
    target = remote_archive_path(client, package)
    with client.upload_lock, outside_transaction(client.yt()):
        if target in client.uploaded:
            return target
        if _remote_size(client, target) == package.size and _refresh(client, target):
            log.info("code archive %s is already uploaded", package.remote_name)
        else:
            _upload(client, package, target)
        client.uploaded.add(target)
    return target


# -- local files an operation gives its jobs (core/attachments.py) ----------------------
FILES_FOLDER = "files"


def _digest(path: Path) -> tuple[str, int]:
    hasher = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            hasher.update(block)
            size += len(block)
    return hasher.hexdigest(), size


def ensure_file_uploaded(client: ProdClient, local: Path) -> str:
    """The Cypress path of a local file, uploaded once beside the code archive under a name
    made of its content's hash (an unchanged file is never sent again) and expiring as the
    archives do. Outside the stage's transaction, like the archive."""
    digest, size = _digest(local)
    folder = f"{client.build_folder}/{FILES_FOLDER}"
    target = f"{folder}/{digest[:32]}"
    with client.upload_lock, outside_transaction(client.yt()):
        if target in client.uploaded:
            return target
        if _remote_size(client, target) == size and _refresh(client, target):
            log.info("file %s is already uploaded", local.name)
        else:
            log.info("uploading %s (%d bytes) for the jobs", local.name, size)
            _write_file(client, local, target, folder, lambda handle: _same(handle, digest),
                        f"file {local.name}")
            if not _refresh(client, target):
                raise BackendError(f"upload {local.name} to {target}: it was removed right "
                                   "after the upload; run again")
        client.uploaded.add(target)
    return target


def ensure_checkpoint_uploaded(client: ProdClient, checkpoint: Checkpoint) -> str:
    """A checkpoint's uploaded copy (see yt_pipeline.checkpoints): a file as it is, a folder
    as a reproducible tar, so either is sent only when its content changed."""
    if not checkpoint.is_folder:
        return ensure_file_uploaded(client, checkpoint.source)
    signature = tuple((name, status.st_size, status.st_mtime_ns)
                      for name, path in folder_entries(checkpoint.source)
                      for status in (path.stat(),))
    known = client.packed_folders.get(checkpoint.source)
    if known is not None and known[0] == signature and known[1] in client.uploaded:
        return known[1]  # another operation of this run sent it already
    with tempfile.TemporaryDirectory(prefix="ytp-checkpoint-") as scratch:
        packed = Path(scratch) / f"{checkpoint.name}.tar"
        pack_folder(checkpoint.source, packed)
        target = ensure_file_uploaded(client, packed)
    client.packed_folders[checkpoint.source] = (signature, target)
    return target


def _same(handle: Any, digest: str) -> None:
    """The bytes about to be sent are the ones the name was made of."""
    hasher = hashlib.sha256()
    while block := handle.read(1 << 20):
        hasher.update(block)
    handle.seek(0)
    if hasher.hexdigest() != digest:
        raise BackendError(f"{getattr(handle, 'name', 'a file')} changed while it was being "
                           "uploaded; run again")

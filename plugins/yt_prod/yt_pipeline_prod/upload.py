"""The code archive in `pipeline.build_folder`, named by its content hash.

An archive already there with the right size is not uploaded again, so an unchanged
pipeline sends no archive bytes on its next run. The upload runs in a transaction (the
client's write_file opens one), so a broken upload never leaves half an archive behind.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from yt_pipeline.errors import TableNotFound
from yt_pipeline_prod.failures import translated

if TYPE_CHECKING:
    from yt_pipeline.packaging import CodePackage
    from yt_pipeline_prod.client import ProdClient

log = logging.getLogger("yt_pipeline.prod.upload")


def remote_archive_path(client: ProdClient, package: CodePackage) -> str:
    return f"{client.build_folder}/{package.remote_name}"


def _remote_size(client: ProdClient, target: str) -> int | None:
    try:
        with translated(client, "check code archive", target):
            return int(client.yt().get(target + "/@uncompressed_data_size"))
    except TableNotFound:
        return None


def ensure_uploaded(client: ProdClient, package: CodePackage) -> str:
    """The Cypress path of the archive, uploaded first if it is not there yet."""
    target = remote_archive_path(client, package)
    with client.upload_lock:
        if target in client.uploaded:
            return target
        size = _remote_size(client, target)
        if size == package.size:
            log.info("code archive %s is already uploaded", package.remote_name)
        else:
            log.info("uploading code archive %s (%d bytes)", package.remote_name, package.size)
            with translated(client, "upload code archive", target):
                yt = client.yt()
                yt.create("map_node", client.build_folder, recursive=True, ignore_existing=True)
                with package.archive_path.open("rb") as archive:
                    package.check_unchanged(archive)  # the bytes named by the hash, no other
                    yt.write_file(target, archive)
        client.uploaded.add(target)
    return target

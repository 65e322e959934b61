"""Checkpoints a job keeps in Cypress: bytes in a file node, with an optional JSON sidecar
of metadata (`<name>.meta`), and JSON state built on them. The calls and their results are
those of yt-framework's `ytjobs.checkpoint`, so its jobs run unchanged.

Cypress is reached with `yt.wrapper` (the ytsaurus-client package), which the job's Python
must have: the stock job image does not, so add `ytsaurus-client` to the stage's
requirements.txt (or use an image that has it). Importing this module never needs it; the
first call does, and says so when it is missing.

Paths: `<base_path>/<name>`, where base_path defaults to `//home/<YT_USER>/checkpoints`
(`//home/default/checkpoints` without YT_USER).

Failures: writing the checkpoint itself raises; everything else is logged and answered as
"nothing there" (load gives (None, None), list gives [], delete gives False), metadata
being best effort.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any, Dict, Optional, Tuple

try:
    import yt.wrapper as yt
except ImportError:  # the job's Python has no ytsaurus-client; see _client()
    yt = None

META_SUFFIX = ".meta"
STATE_SUFFIX = ".json"

# typing's forms: evaluated at import, and jobs may run Python 3.8
Metadata = Dict[str, Any]
Loaded = Tuple[Optional[bytes], Optional[Metadata]]


def _client() -> Any:
    if yt is None:
        raise ImportError(
            "ytjobs.checkpoint needs yt.wrapper (the ytsaurus-client package) in the job's "
            "Python: add ytsaurus-client to the stage's requirements.txt"
        )
    return yt


def _log(logger: logging.Logger | None) -> logging.Logger:
    return logger or logging.getLogger(__name__)


def get_checkpoint_path(checkpoint_name: str, base_path: str | None = None) -> str:
    """`<base_path>/<checkpoint_name>`; base_path defaults to //home/<YT_USER>/checkpoints."""
    if base_path is None:
        base_path = f"//home/{os.environ.get('YT_USER', 'default')}/checkpoints"
    return f"{base_path}/{checkpoint_name}"


def save_checkpoint(data: bytes, checkpoint_name: str, metadata: Metadata | None = None,
                    base_path: str | None = None, logger: logging.Logger | None = None) -> str:
    """Write `data` to the checkpoint (replacing it) and, if given, `metadata` as JSON beside
    it; returns the checkpoint's path. The folder is created as needed. Only a failure to
    write the data raises: one to create the folder or write the metadata is a warning."""
    client, log = _client(), _log(logger)
    path = get_checkpoint_path(checkpoint_name, base_path)
    folder = path.rsplit("/", 1)[0]
    try:
        client.create("map_node", folder, recursive=True, ignore_existing=True)
    except Exception as exc:
        log.warning("Could not create checkpoint directory %s: %s", folder, exc)
    try:
        client.write_file(path, data, force_create=True, compute_md5=True)
    except Exception:
        log.exception("Failed to save checkpoint %s", path)
        raise
    log.info("Saved checkpoint: %s (%d bytes)", path, len(data))
    if metadata:
        try:
            text = json.dumps(metadata, indent=2)
            client.write_file(path + META_SUFFIX, text.encode("utf-8"), force_create=True,
                              compute_md5=True)
        except Exception as exc:
            log.warning("Failed to save checkpoint metadata of %s: %s", path, exc)
    return path


def load_checkpoint(checkpoint_name: str, base_path: str | None = None,
                    logger: logging.Logger | None = None) -> Loaded:
    """(data, metadata): metadata is None when there is none or it cannot be read;
    (None, None) when the checkpoint does not exist or cannot be read."""
    client, log = _client(), _log(logger)
    path = get_checkpoint_path(checkpoint_name, base_path)
    if not client.exists(path):
        log.debug("Checkpoint not found: %s", path)
        return None, None
    try:
        data = client.read_file(path).read()
    except Exception:
        log.exception("Failed to load checkpoint %s", path)
        return None, None
    log.info("Loaded checkpoint: %s (%d bytes)", path, len(data))
    return data, _load_metadata(client, path + META_SUFFIX, log)


def _load_metadata(client: Any, path: str, log: logging.Logger) -> Metadata | None:
    try:
        if not client.exists(path):
            return None
        metadata = json.loads(client.read_file(path).read().decode("utf-8"))
    except Exception as exc:
        log.warning("Failed to load checkpoint metadata %s: %s", path, exc)
        return None
    return metadata if isinstance(metadata, dict) else None


def list_checkpoints(base_path: str | None = None, pattern: str | None = None,
                     logger: logging.Logger | None = None) -> list[str]:
    """The checkpoint names in the folder, sorted, without the metadata sidecars; with
    `pattern`, only names containing it. [] when the folder is missing or unreadable."""
    client, log = _client(), _log(logger)
    folder = get_checkpoint_path("", base_path).rstrip("/")
    if not client.exists(folder):
        log.debug("Checkpoint directory does not exist: %s", folder)
        return []
    try:
        names = [str(name) for name in client.list(folder)]
    except Exception:
        log.exception("Failed to list checkpoints in %s", folder)
        return []
    return sorted(name for name in names
                  if not name.endswith(META_SUFFIX) and (not pattern or pattern in name))


def delete_checkpoint(checkpoint_name: str, base_path: str | None = None,
                      logger: logging.Logger | None = None) -> bool:
    """Remove the checkpoint and its metadata, those that exist; False when removing fails
    (a missing checkpoint is no failure)."""
    client, log = _client(), _log(logger)
    path = get_checkpoint_path(checkpoint_name, base_path)
    try:
        for node in (path, path + META_SUFFIX):
            if client.exists(node):
                client.remove(node, force=True)
                log.info("Deleted checkpoint node: %s", node)
    except Exception:
        log.exception("Failed to delete checkpoint %s", path)
        return False
    return True


def save_processing_state(state: Metadata, state_name: str = "processing_state",
                          base_path: str | None = None,
                          logger: logging.Logger | None = None) -> str:
    """Save a JSON-able dict as the checkpoint `<state_name>.json`; returns its path."""
    return save_checkpoint(
        json.dumps(state, indent=2).encode("utf-8"),
        state_name + STATE_SUFFIX,
        metadata={"type": "processing_state", "state_name": state_name},
        base_path=base_path,
        logger=_log(logger),
    )


def load_processing_state(state_name: str = "processing_state", base_path: str | None = None,
                          logger: logging.Logger | None = None) -> Metadata | None:
    """The dict save_processing_state saved; None when there is none or it is not JSON."""
    log = _log(logger)
    data, _metadata = load_checkpoint(state_name + STATE_SUFFIX, base_path, log)
    if data is None:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        log.exception("Failed to parse processing state %s", state_name)
        return None

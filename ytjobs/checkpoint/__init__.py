"""Checkpoints a job saves and loads in Cypress (bytes, or a JSON state), with the calls of
yt-framework's `ytjobs.checkpoint`; the job's Python needs ytsaurus-client (see utils)."""

from ytjobs.checkpoint.utils import (
    delete_checkpoint,
    get_checkpoint_path,
    list_checkpoints,
    load_checkpoint,
    load_processing_state,
    save_checkpoint,
    save_processing_state,
)

__all__ = [
    "delete_checkpoint",
    "get_checkpoint_path",
    "list_checkpoints",
    "load_checkpoint",
    "load_processing_state",
    "save_checkpoint",
    "save_processing_state",
]

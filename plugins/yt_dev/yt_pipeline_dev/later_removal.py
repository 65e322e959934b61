"""A finished operation's sandbox, removed while the run goes on.

Removing a sandbox takes a remove of every file and folder the job code was unpacked into:
some 70 on a map of the bench, 35-55 ms on a VM whose file system discards freed blocks,
all of it between the operation's last job and the next stage's start. The sandbox is
moved aside at once (one rename: its name is free for the next launch), and removed in a
thread; the removal calls release the interpreter's lock, so the next stage runs meanwhile.

The run waits for what is left of the removals when it ends (`wait`, from the dev plugin's
pipeline_finished, and at the process's exit), so a run leaves no moved-aside folder
behind. One a killed run left is removed when the next run starts (`sweep`), or by the
next launch of the same operation (launcher.clear_sandbox).

The moved-aside sandboxes go to the dev folder's `.removed/` (folder_removal.REMOVED_DIR),
where nothing else is: a sweep of names like `.<name>.<random>.stale` in the dev folder
itself once deleted the YT folder `//.archive.stale` with its tables.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import threading
import uuid
from pathlib import Path

from yt_pipeline_dev.folder_removal import REMOVED_DIR

_removals: list[threading.Thread] = []
_guard = threading.Lock()


def aside_folder(sandbox: Path) -> Path:
    """The folder sandboxes are moved to out of the way (module docstring): the dev
    folder's, two levels up from a sandbox (launcher.sandbox_for)."""
    return sandbox.parent.parent / REMOVED_DIR


def aside_name(sandbox: Path) -> Path:
    """Where `sandbox` is moved out of the way: `.removed/<name>.<random>.stale`, the
    names launcher.clear_sandbox removes before a launch of the same operation."""
    return aside_folder(sandbox) / f"{sandbox.name}.{uuid.uuid4().hex[:8]}.stale"


def stale_asides(sandbox: Path) -> list[Path]:
    """What aside_name made of `sandbox` and is not removed yet."""
    return list(aside_folder(sandbox).glob(f"{glob.escape(sandbox.name)}.*.stale"))


def move_aside(sandbox: Path) -> Path:
    """Move `sandbox` out of the way in one rename (OSError as os.rename raises it)."""
    aside = aside_name(sandbox)
    try:
        os.rename(sandbox, aside)
    except FileNotFoundError:
        if not sandbox.exists():
            raise
        aside.parent.mkdir(exist_ok=True)  # the first aside of this dev folder
        os.rename(sandbox, aside)
    return aside


def sweep(root: Path) -> None:
    """Remove the sandboxes moved aside in dev root `root` that a killed run left. One a
    run of another pipeline sharing the folder is removing now is removed by both, each
    ignoring what the other took first."""
    for aside in (root / REMOVED_DIR).glob("*.stale"):
        if aside.is_dir() and not aside.is_symlink():
            shutil.rmtree(aside, ignore_errors=True)


def remove_later(sandbox: Path) -> None:
    """Free `sandbox`'s name now and remove its files in a thread."""
    try:
        aside = move_aside(sandbox)
    except FileNotFoundError:
        return
    except OSError:  # it cannot be moved: removed here, as before
        shutil.rmtree(sandbox, ignore_errors=True)
        return
    removal = threading.Thread(target=shutil.rmtree, args=(aside,),
                               kwargs={"ignore_errors": True}, name="ytp-sandbox-removal",
                               daemon=True)
    with _guard:
        _removals[:] = [thread for thread in _removals if thread.is_alive()]
        _removals.append(removal)
    removal.start()


def wait() -> None:
    """Return when every removal started so far has ended."""
    with _guard:
        started = list(_removals)
        _removals.clear()
    for removal in started:
        removal.join()


atexit.register(wait)

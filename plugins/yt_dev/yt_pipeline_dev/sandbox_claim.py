"""The sandbox folder an operation runs in, claimed for as long as it runs.

A sandbox is named after the stage, the operation and its tables (launcher.sandbox_for), so
that a rerun finds, and clears, what a killed run left there. Two runs of pipelines sharing
one dev folder may run an operation of the same name on the same tables at once (appends to
one table take shared locks), as may two threads of one run: named alike, the second's
launch cleared the first's sandbox under its running jobs, and the first failed, or placed
the other's job outputs as its own. So a sandbox is claimed by a flock on a file of its
name in `.dev/.locks/sandboxes/`, held while the operation runs; a launch that finds the
name claimed takes the next one (`name-2`, `name-3`...). flock belongs to the open file, so
it keeps threads of one process apart too, and a killed run's claim goes with its process:
the next launch takes the name over and clears what it left, and what a killed run left
under the names after it that no one claims (`unclaimed_siblings`). The lock files stay (one per
name ever claimed at once): removing one while another process opens it would let two
claim one name.
"""

from __future__ import annotations

import fcntl
import glob
import re
from collections.abc import Callable
from pathlib import Path

from yt_pipeline.digests import blake2b
from yt_pipeline.lock import close_lock_fd, open_lock
from yt_pipeline_dev.tablelock import LOCKS_DIR

CLAIMS_DIR = "sandboxes"
#: how a sandbox name taken while the first was claimed ends: `-2`, `-3`...
_NUMBERED = re.compile(r"-[0-9]{1,4}$")


class SandboxClaim:
    """A claimed sandbox path; `release` (or the process's end) frees the name."""

    def __init__(self, path: Path, fd: int):
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            close_lock_fd(self._fd)  # closing the file releases its flock
            self._fd = None


def claim(root: Path, base: Path) -> SandboxClaim:
    """Claim `base` (a folder in dev root `root`), or the first free `base-2`, `base-3`..."""
    number = 1
    while True:
        sandbox = base if number == 1 else base.with_name(f"{base.name}-{number}")
        taken = try_claim(root, sandbox)
        if taken is not None:
            return taken
        number += 1


def try_claim(root: Path, sandbox: Path) -> SandboxClaim | None:
    """Claim `sandbox` if no one holds it; None otherwise."""
    folder = root / LOCKS_DIR / CLAIMS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    fd = open_lock(folder / _lock_name(sandbox.name))  # not held by a forked child
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        close_lock_fd(fd)
        return None
    except BaseException:
        close_lock_fd(fd)
        raise
    return SandboxClaim(sandbox, fd)


def clear_unclaimed_siblings(root: Path, base: Path, clear: Callable[[Path], None]) -> None:
    """`clear` each sandbox `base-2`, `base-3`... that no one claims, under its claim: an
    earlier launch of the same operation left it (a killed run's, run beside another), as
    it leaves `base`, which each launch clears. Without this, a rerun taking `base` left
    the numbered one, and its copies of staged inputs, there for good."""
    for sibling in sorted(base.parent.glob(f"{glob.escape(base.name)}-*")):
        if not sibling.is_dir() or not _NUMBERED.fullmatch(sibling.name[len(base.name):]):
            continue
        taken = try_claim(root, sibling)
        if taken is None:
            continue  # an operation running now
        try:
            clear(sibling)
        finally:
            taken.release()


def _lock_name(name: str) -> str:
    """The lock file's name: the sandbox's, shortened with a digest when it would pass a
    file system's 255 bytes."""
    if len(name.encode()) > 200:
        digest = blake2b(name.encode(), digest_size=8).hexdigest()
        name = name[:150] + "-" + digest
    return name + ".lock"

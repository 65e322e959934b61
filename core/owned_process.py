"""What the `yt-pipeline` command may do to the interpreter because the process is its own.

Once a run is about to start its stages, the command's process holds the 20-30 thousand
objects of the modules it imported, which live as long as the process does. CPython's
cyclic collector walks all of them on each full collection, and rows written or read by
the million make it collect often: with the command's modules imported, 7% of the
instructions of writing 200,000 rows through ytjobs' writer and 5% of reading them back
went to the collector (callgrind), and next to none once those objects were frozen
(`gc.freeze`: left out of every collection; reference counting still frees them). A
program that runs a pipeline through the Python API owns its process and keeps its
collector as it set it: only the command claims the process (`claim`).
"""

from __future__ import annotations

import gc

_claimed = False


def claim() -> None:
    """Mark the process as the command's own: nothing but the command runs in it."""
    global _claimed
    _claimed = True


def freeze_startup_objects() -> bool:
    """Freeze what the process holds now, if the command owns it; True when it did."""
    if not _claimed:
        return False
    gc.freeze()
    return True

"""What the `yt-pipeline` command may do to the interpreter because the process is its own.

Start-up imports some 300 modules, whose 20-30 thousand objects live as long as the process
does. While they are made, CPython's cyclic collector runs every 700 allocations and walks
more of them each time, for nothing: start-up makes next to no garbage. The command turns the
collector off from its first line (`claim`, called before the command's modules are
imported) until its work starts: 5 ms of a hello-world run's 125 (bench/compare). The cyclic
garbage start-up does make (some 400 objects in hello world, 2,000 with 200 stages, where a
collection would walk 23,000-32,000) is frozen with the rest below: kept, never walked.

Once a run is about to start its stages, those objects are frozen (`gc.freeze`: left out of
every collection; reference counting still frees them) and the collector turned back on. Rows
written or read by the million make it collect often: with the command's modules imported,
7% of the instructions of writing 200,000 rows through ytjobs' writer and 5% of reading them
back went to the collector (callgrind), and next to none once those objects were frozen. This
is the order CPython's documentation gives for `gc.freeze` (disable the collector early,
freeze, enable). A command that runs no stages turns the collector back on before its own
work (`collect_again`). A program that runs a pipeline through the Python API owns its
process and keeps its collector as it set it: only the command claims the process.
"""

from __future__ import annotations

import gc

_claimed = False


def claim() -> None:
    """Mark the process as the command's own, nothing else runs in it, and turn the cyclic
    collector off for its start-up."""
    global _claimed
    _claimed = True
    gc.disable()


def freeze_startup_objects() -> bool:
    """Freeze what the process holds now and turn the collector back on, if the command owns
    the process; True when it did."""
    if not _claimed:
        return False
    gc.freeze()
    gc.enable()
    return True


def collect_again() -> None:
    """The collector back on, for a command that runs no stages (no freeze comes)."""
    if _claimed:
        gc.enable()

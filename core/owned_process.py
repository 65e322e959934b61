"""What the `yt-pipeline` command may do to the interpreter because the process is its own.

Start-up imports some 300 modules, whose 20-30 thousand objects live as long as the process
does. While they are made, CPython's cyclic collector runs every 700 allocations and walks
more of them each time, for nothing: start-up makes next to no garbage (some 400 objects in
hello world, 2,000 with 200 stages, where a collection walks 23,000-32,000). From its first
line (`claim`, called before the command's modules are imported) until its work starts, the
command has the collector wait for 50,000 allocations instead: none come in a start-up, and
5 ms of a hello-world run's 125 go (bench/compare). It waits, not stops: a stage module that
makes cyclic garbage by the million as it is imported still has it collected.

Once a run is about to start its stages, those objects are frozen (`gc.freeze`: left out of
every collection; reference counting still frees them) and the collector set back as it was.
Rows written or read by the million make it collect often: with the command's modules
imported, 7% of the instructions of writing 200,000 rows through ytjobs' writer and 5% of
reading them back went to the collector (callgrind), and next to none once those objects
were frozen. A command that runs no stages sets the collector back before its own work
(`collect_again`). A program that runs a pipeline through the Python API owns its process
and keeps its collector as it set it: only the command claims the process.
"""

from __future__ import annotations

import gc

#: allocations between two collections of the youngest generation during start-up
STARTUP_THRESHOLD = 50_000

_claimed = False
#: the collector's thresholds before the claim, while start-up runs with its own
_before: tuple[int, ...] | None = None


def claim() -> None:
    """Mark the process as the command's own, nothing else runs in it, and have the
    collector wait longer between collections for its start-up."""
    global _claimed, _before
    _claimed = True
    if _before is None:
        _before = gc.get_threshold()
        gc.set_threshold(STARTUP_THRESHOLD, *_before[1:])


def freeze_startup_objects() -> bool:
    """Freeze what the process holds now and set the collector back, if the command owns the
    process; True when it did."""
    if not _claimed:
        return False
    gc.freeze()
    collect_again()
    return True


def collect_again() -> None:
    """The collector as it was before the claim (a command that runs no stages: no freeze
    comes)."""
    global _before
    if _before is not None:
        gc.set_threshold(*_before)
        _before = None

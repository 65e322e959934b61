"""An operation outside a transaction holds each output table's lock until its outputs are
written. It took them in the order of its spec; whoever takes them in TableLocks' order (the
next run finishing a killed commit, `finish_commit`) and held the first while waiting for
the second waited forever for an operation holding the second and waiting for the first."""

from __future__ import annotations

import fcntl
import os
import threading
import time

from yt_pipeline_dev.launcher import launch
from yt_pipeline_dev.tablelock import TableLocks, lock_file

MAPPER = """
    from ytjobs import read_rows, write_rows
    write_rows({**row, "mapped": True} for row in read_rows())
"""


def _take_within(path, seconds: float) -> int | None:
    """The flock of lock file `path`, or None if it stays held for `seconds`."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                return None
            time.sleep(0.01)


def test_an_operation_takes_its_outputs_locks_in_the_order_commits_take_them(
        dev_client, stages):
    stages("m", {"src/mapper.py": MAPPER})
    dev_client.write_table("//in/t", [{"id": i} for i in range(5)])
    root = dev_client.root
    first, second = "//o/a", "//o/b"  # TableLocks' order: by lock file name
    assert lock_file(root, first, ".lock") < lock_file(root, second, ".lock")
    # the spec names them the other way round
    spec = stages.spec("map", "m", input_tables=["//in/t"], output_tables=[second, first],
                       mapper="src/mapper.py")
    holder = TableLocks(root, [first]).__enter__()  # a sorted taker, holding the first
    errors: list[BaseException] = []

    def operation() -> None:
        try:
            launch(dev_client, spec)
        except BaseException as exc:  # noqa: BLE001 - shown by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=operation, daemon=True)
    thread.start()
    time.sleep(0.5)  # long enough for the operation to take what it takes before waiting
    # the sorted taker now wants the second: free unless the operation took it out of order
    taken = _take_within(lock_file(root, second, ".lock"), 3.0)
    assert taken is not None, "the operation holds //o/b while it waits for //o/a"
    os.close(taken)
    holder.release()
    thread.join(timeout=60)
    assert not thread.is_alive() and not errors, errors
    assert list(dev_client.read_table(second)) == [{"id": i, "mapped": True} for i in range(5)]
    assert list(dev_client.read_table(first)) == []

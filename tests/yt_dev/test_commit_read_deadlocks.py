"""A reader that holds a table's lock never waits forever for a commit that waits for it.

A write outside a transaction holds its table's lock while the rows it is given are made;
a generator reading another table reads under that lock. The next run of a pipeline whose
commit of both tables was killed after its record finishes it (recovery.finish_commit):
it took the read table's lock (in sorted order), then waited for the written table's,
and only then made the commit's changes; the reader found the read table's commit marker
and waited for its lock: each waited for the other forever."""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time

from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.tablelock import lock_file, read_marker


def held(root, path: str) -> bool:
    """Whether someone holds table `path`'s lock (tried without waiting)."""
    fd = os.open(lock_file(root, path, ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def test_a_generator_of_a_write_reads_a_table_the_next_run_finishing_a_commit_holds(
        tmp_path):
    root = tmp_path / ".dev"
    client = DevClient(root)
    client.write_table("//i", [{"n": 0}])
    client.write_table("//x", [{"n": 0}])
    killed = client.begin_transaction("killed")  # its record written, then killed
    killed.client.write_table("//i", [{"n": 1}], append=True)
    killed.client.write_table("//x", [{"n": 2}], append=True)
    record = tmp_path / "record"
    token = killed.prepare(record)
    record.write_text(json.dumps(token))
    killed._locks.release()  # the kernel drops a killed process's locks, nothing more
    os.close(killed._owner_fd)
    for table in ("//i", "//x"):
        assert read_marker(root, table) is not None

    failures: list[BaseException] = []

    def finish() -> None:  # what the next run does first
        try:
            DevClient(root).finish_commit(token)
        except BaseException as exc:  # noqa: BLE001 - told by the test
            failures.append(exc)

    finishing = threading.Thread(target=finish, daemon=True)

    def rows_of_i():
        # the write of //x holds its lock from here; the next run takes //i's, waits for //x's
        finishing.start()
        deadline = time.monotonic() + 10
        while not held(root, "//i"):
            assert time.monotonic() < deadline, "finishing the commit never took //i's lock"
            time.sleep(0.001)
        time.sleep(0.05)
        yield from client.read_table("//i")

    writer = threading.Thread(target=lambda: client.write_table("//x", rows_of_i(),
                                                                append=True), daemon=True)
    writer.start()
    writer.join(timeout=20)
    finishing.join(timeout=20)
    assert not writer.is_alive() and not finishing.is_alive(), "waiting for each other"
    assert not failures, failures
    # the commit is whole: //i read as it made it, //x made by it before the write
    assert [row["n"] for row in client.read_table("//i")] == [0, 1]
    assert [row["n"] for row in client.read_table("//x")] == [0, 2, 0, 1]
    assert read_marker(root, "//i") is None and read_marker(root, "//x") is None

"""Readers racing a live dev commit never see half of it. A commit makes its tables live one
rename at a time, in sorted order; a reader of table //t/a then //t/b (another process, or
another thread of the run: parallel stages, parallel_map) that found a's new version must
find b's too, and a reader of a folder the commit removes must not find one of its tables
gone and the next still there. On a cluster a transaction's commit is atomic."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
from pathlib import Path

from yt_pipeline_dev.client import DevClient

#: the tables of the folder a commit removes
TABLES = 30
COMMITTER = """
import json, random, sys, time
from pathlib import Path
from yt_pipeline_dev.client import DevClient

root, commits, seed, kind = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
TABLES = int(sys.argv[5])
client, pace = DevClient(root), random.Random(seed)
for number in range(1, commits + 1):
    txn = client.begin_transaction(str(number))
    if kind == "appends":
        for name in ("a", "b"):
            txn.client.write_table("//t/" + name, [{"n": number}], append=True)
    elif number % 2:  # the folder and its two tables go
        txn.client.remove("//f", recursive=True)
        txn.client.write_table("//g/last", [{"n": number}])
    else:
        for name in range(TABLES):
            txn.client.write_table(f"//f/{name}", [{"n": number}])
    record = root.parent / "records" / str(number)
    record.parent.mkdir(exist_ok=True)
    token = txn.prepare(record)
    record.write_text(json.dumps(token))  # the commit point, as the runner writes it
    time.sleep(pace.random() / 1000)  # the renames come a while after the record
    txn.commit()
"""


def rows(client: DevClient, path: str) -> list[int] | None:
    if not client.exists(path):
        return None
    try:
        return [row["n"] for row in client.read_table(path)]
    except Exception as exc:  # noqa: BLE001 - removed between the look and the read
        if "no table" in str(exc) or type(exc).__name__ == "TableNotFound":
            return None
        raise


def appends_seen_whole(client: DevClient, stop: threading.Event, reads: list[int]) -> None:
    """Every row of a, then of b: b holds a's rows at least (a commit appends n to both)."""
    while not stop.is_set():
        first, second = rows(client, "//t/a") or [], rows(client, "//t/b") or []
        assert first == list(range(1, len(first) + 1)), first
        assert second[:len(first)] == first, (first, second)
        reads.append(1)


def removal_seen_whole(client: DevClient, stop: threading.Event, reads: list[int],
                       seed: int) -> None:
    """Two tables of //f in either order: once one is gone (a removal has begun), the other
    is gone too or was made anew by a later commit (newer than any row read before)."""
    order, newest = random.Random(seed), 0
    while not stop.is_set():
        names = [f"//f/{name}" for name in order.sample(range(TABLES), 2)]
        first, second = rows(client, names[0]), rows(client, names[1])
        if first is None and second is not None:
            assert second[0] > newest, (names, newest, second)
        newest = max([newest, *(first or []), *(second or [])])
        reads.append(1)


def race(tmp_path: Path, kind: str, seed: int, commits: int, *, threads: int) -> int:
    root = tmp_path / f"{kind}-{seed}" / ".dev"
    root.mkdir(parents=True)
    reader = DevClient(root)
    if kind == "removal":
        for name in range(TABLES):  # many: removing them takes a while
            reader.write_table(f"//f/{name}", [{"n": 0}])
    stop, reads, failures = threading.Event(), [], []

    def read() -> None:
        try:
            if kind == "appends":
                appends_seen_whole(reader, stop, reads)
            else:
                removal_seen_whole(reader, stop, reads, seed)
        except BaseException as exc:  # noqa: BLE001 - told by the test's thread
            failures.append(exc)
            stop.set()

    workers = [threading.Thread(target=read) for _ in range(threads)]
    for worker in workers:
        worker.start()
    done = subprocess.run([sys.executable, "-c", COMMITTER, str(root), str(commits),
                           str(seed), kind, str(TABLES)], capture_output=True, text=True, timeout=120)
    stop.set()
    for worker in workers:
        worker.join()
    assert done.returncode == 0, done.stderr
    if failures:
        raise failures[0]
    if kind == "appends":  # and the last commit is whole
        assert rows(reader, "//t/a") == rows(reader, "//t/b") == list(range(1, commits + 1))
    return len(reads)


def test_a_reader_in_another_process_never_sees_half_of_a_commit_of_two_appends(tmp_path):
    for seed in range(2):
        assert race(tmp_path, "appends", seed, 60, threads=1) > 0


def test_a_reader_never_sees_half_of_a_folder_removal(tmp_path):
    for seed in range(2):
        assert race(tmp_path, "removal", seed, 24, threads=1) > 0


def test_threads_of_one_process_reading_while_a_stage_of_it_commits(tmp_path):
    """Parallel stages of one run: readers in threads, the committer in the same process."""
    root = tmp_path / ".dev"
    client = DevClient(root)
    stop, reads, failures = threading.Event(), [], []

    def read() -> None:
        try:
            appends_seen_whole(client, stop, reads)
        except BaseException as exc:  # noqa: BLE001 - told by the test's thread
            failures.append(exc)
            stop.set()

    workers = [threading.Thread(target=read) for _ in range(2)]
    for worker in workers:
        worker.start()
    pace = random.Random(7)
    for number in range(1, 81):
        txn = client.begin_transaction(str(number))
        for name in ("a", "b"):
            txn.client.write_table("//t/" + name, [{"n": number}], append=True)
        record = tmp_path / "records" / str(number)
        record.parent.mkdir(exist_ok=True)
        record.write_text(json.dumps(txn.prepare(record)))
        if pace.random() < 0.5:
            threading.Event().wait(pace.random() / 1000)
        txn.commit()
    stop.set()
    for worker in workers:
        worker.join()
    if failures:
        raise failures[0]
    assert reads
    assert rows(client, "//t/b") == list(range(1, 81))

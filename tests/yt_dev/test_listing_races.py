"""A listing racing live dev commits shows each commit whole or not at all. A commit makes its
tables live (or removes them, or makes and removes its folders) one change at a time; a
listing that looked for the commit's markers before the commit began, and listed while it
made its changes, showed some of a commit's new tables without the others, or one of the
tables it removes gone and the next still there. On a cluster a transaction's commit is
atomic, and a listing sees all of it or none."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from yt_pipeline.errors import BackendError, TableNotFound
from yt_pipeline_dev import client as client_module
from yt_pipeline_dev import listing_counters
from yt_pipeline_dev.client import LIST_TRIES, DevClient
from yt_pipeline_dev.paths import table_file
from yt_pipeline_dev.tablelock import apply_marker, read_marker

#: the tables (or folders) each commit makes, and the next one removes
MANY = 12
COMMITTER = """
import json, random, sys, time
from pathlib import Path
from yt_pipeline_dev.client import DevClient

root, commits, seed, kind = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
many = int(sys.argv[5])
client, pace = DevClient(root), random.Random(seed)
for number in range(1, commits + 1):
    txn = client.begin_transaction(str(number))
    for item in range(many):
        if kind == "tables" and number % 2:
            txn.client.write_table(f"//f/x{item}", [{"n": number}])
        elif kind == "tables":
            txn.client.remove(f"//f/x{item}")
        elif number % 2:
            txn.client.create_path(f"//f/x{item}", "map_node")
        else:
            txn.client.remove(f"//f/x{item}", recursive=True)
    record = root.parent / "records" / str(number)
    record.parent.mkdir(exist_ok=True)
    record.write_text(json.dumps(txn.prepare(record)))  # the commit point
    txn.commit()
    time.sleep(pace.random() / 2000)  # listings start anywhere in and between commits
"""


def listings_seen_whole(client: DevClient, stop: threading.Event, listings: list[int]) -> None:
    """Each listing of //f holds every table (or folder) a commit made, or none of them."""
    every = {f"x{item}" for item in range(MANY)}
    while not stop.is_set():
        names = set(client.list("//f"))
        assert "keep" in names, names
        made = names & every
        assert made in (set(), every), f"half a commit listed: {sorted(made)}"
        listings.append(len(made))


def race(tmp_path: Path, kind: str, seed: int, commits: int) -> list[int]:
    """The number of the commit's tables (or folders) each listing held."""
    root = tmp_path / f"{kind}-{seed}" / ".dev"
    root.mkdir(parents=True)
    lister = DevClient(root)
    lister.write_table("//f/keep", [{"n": 0}])
    stop, listings, failures = threading.Event(), [], []

    def watch() -> None:
        try:
            listings_seen_whole(lister, stop, listings)
        except BaseException as exc:  # noqa: BLE001 - told by the test's thread
            failures.append(exc)
            stop.set()

    worker = threading.Thread(target=watch)
    worker.start()
    done = subprocess.run([sys.executable, "-c", COMMITTER, str(root), str(commits),
                           str(seed), kind, str(MANY)], capture_output=True, text=True,
                          timeout=120)
    stop.set()
    worker.join()
    assert done.returncode == 0, done.stderr
    if failures:
        raise failures[0]
    return listings


@pytest.mark.parametrize("kind", ["tables", "folders"])
def test_a_listing_never_shows_part_of_a_commit(tmp_path, kind):
    seen: list[int] = []
    for seed in range(2):
        seen += race(tmp_path, kind, seed, 12)
    # both states were listed: the race was run, not waited out
    assert 0 in seen and MANY in seen, sorted(set(seen))


def listed_while_cut(root: Path, path: str, stage, first_change) -> list[str]:
    """`list(path)` when a commit of `stage` begins right after the listing's look for
    markers and has made `first_change` of its changes when the folder is listed; it ends
    (in another thread) once the listing looks again, or half a second later."""
    lister = DevClient(root)
    txn = lister.begin_transaction("cut")
    stage(txn.client)
    looks, looked_again = [], threading.Event()
    finisher = threading.Thread(target=lambda: (looked_again.wait(0.5), txn.commit()))
    look_for_markers = client_module.settle_before_listing

    def look(dev_root: Path, folder_path: str) -> None:
        if looks:
            looked_again.set()
        look_for_markers(dev_root, folder_path)
        if not looks:
            record = root.parent / "record"
            record.write_text(json.dumps(txn.prepare(record)))  # the commit point
            first_change()
            finisher.start()
        looks.append(folder_path)

    client_module.settle_before_listing = look
    try:
        return lister.list(path)
    finally:
        client_module.settle_before_listing = look_for_markers
        finisher.join()


def test_a_listing_cut_by_a_commit_of_two_tables_lists_both(tmp_path, monkeypatch):
    root = tmp_path / ".dev"
    DevClient(root).write_table("//f/keep", [{"n": 0}])

    def stage(client: DevClient) -> None:
        for name in ("a", "b"):
            client.write_table(f"//f/{name}", [{"n": 1}])

    def first_table_live() -> None:
        apply_marker(root, "//f/a", read_marker(root, "//f/a"))

    assert listed_while_cut(root, "//f", stage, first_table_live) == [
        "a", "b", "keep"]


def test_a_listing_of_a_folder_inside_one_a_commit_removes_finds_it_gone(tmp_path, monkeypatch):
    root = tmp_path / ".dev"
    for name in ("a", "b"):
        DevClient(root).write_table(f"//f/sub/{name}", [{"n": 0}])

    def first_table_removed() -> None:  # the removal of //f (rmtree) has begun
        table_file(root, "//f/sub/a").unlink()

    with pytest.raises(TableNotFound):
        listed_while_cut(root, "//f/sub",
                         lambda client: client.remove("//f", recursive=True),
                         first_table_removed)


def test_a_folder_commits_change_at_every_listing_is_named(tmp_path, monkeypatch):
    client = DevClient(tmp_path / ".dev")
    client.write_table("//f/a", [{"n": 0}])
    commits = iter(range(10**6))
    monkeypatch.setattr(listing_counters, "counts", lambda *_: next(commits))
    with pytest.raises(BackendError) as caught:
        client.list("//f")
    assert str(caught.value) == (f"cannot list //f: dev commits changed it each of the "
                                 f"{LIST_TRIES} times it was listed; list it again")

"""A dev folder's removal is seen whole or not at all, as on a cluster, where `remove` of a
map_node (recursive) is one Cypress operation and a reader sees the whole subtree or none
of it.

A removal outside a transaction (a client a script makes) deleted the folder's files one by
one: a listing racing it showed some of the tables gone and the others still there, and
`exists` answered false for one table and then true for the next. A commit that removes a
folder and makes it again made `exists` of that folder answer false in between.

Each round, a remover (another process) removes a folder while this process reads it; every
answer must be that of the whole folder or of none of it, and once a reader has seen it gone
it must never see any of it again."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from yt_pipeline.errors import TableNotFound
from yt_pipeline_dev.client import DevClient

TABLES = 12  # in the folder, and as many in its subfolder
WHOLE, GONE = "whole", "gone"

REMOVER = """
import random, sys, time
from pathlib import Path
from yt_pipeline_dev.client import DevClient

root, rounds, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
pace = random.Random(seed)
for number in range(rounds):
    started = root.parent / f"reading-{number}"
    while not started.exists():  # the reader reads the folder whole first
        time.sleep(0.0002)
    time.sleep(pace.random() / 500)  # the removal begins anywhere in the reads
    DevClient(root).remove(f"//f{number}", recursive=True)
"""


def fill(client: DevClient, rounds: int) -> None:
    for number in range(rounds):
        for item in range(TABLES):
            client.write_table(f"//f{number}/u{item}", [{"n": item}])
            client.write_table(f"//f{number}/sub/t{item}", [{"n": item}])


def reads(client: DevClient, base: str) -> list[Callable[[], str]]:
    """Reads of folder `base`, each answering WHOLE or GONE, or failing on part of it."""
    tables = {f"u{item}" for item in range(TABLES)}
    sub = {f"t{item}" for item in range(TABLES)}

    def whole_or_gone(what: str, look: Callable[[], Any], whole: Any) -> str:
        try:
            got = look()
        except TableNotFound:
            return GONE
        assert got == whole, f"{what} shows part of the folder: {got}"
        return WHOLE

    def listed(path: str, every: set[str]) -> str:
        return whole_or_gone(f"list {path}", lambda: set(client.list(path)), every)

    def exists(path: str) -> str:
        return WHOLE if client.exists(path) else GONE

    def read(path: str, rows: list[dict[str, int]]) -> str:
        return whole_or_gone(f"read_table {path}", lambda: list(client.read_table(path)), rows)

    found: list[Callable[[], str]] = [
        lambda: listed(base, tables | {"sub"}), lambda: listed(f"{base}/sub", sub),
        lambda: exists(base), lambda: exists(f"{base}/sub")]
    for item in range(TABLES):
        found += [lambda item=item: exists(f"{base}/u{item}"),
                  lambda item=item: exists(f"{base}/sub/t{item}"),
                  lambda item=item: read(f"{base}/sub/t{item}", [{"n": item}])]
    return found


def read_round(client: DevClient, root: Path, number: int, answers: list[str]) -> str | None:
    """Reads folder //f<number> until it is gone (and a while after): what went wrong, if
    anything did."""
    every = reads(client, f"//f{number}")
    (root.parent / f"reading-{number}").touch()
    gone_at, turn = None, 0
    while gone_at is None or turn < gone_at + 2 * len(every):
        try:
            answer = every[turn % len(every)]()
        except AssertionError as exc:
            return str(exc)
        answers.append(answer)
        if answer == GONE and gone_at is None:
            gone_at = turn
        elif answer == WHOLE and gone_at is not None:
            return f"read {turn % len(every)} of //f{number} saw it whole after it was gone"
        turn += 1
    return None


def removal_race(tmp_path: Path, seed: int, rounds: int) -> tuple[list[str], list[str]]:
    """What went wrong in each round that went wrong, and every answer of the reads."""
    root = tmp_path / f"remove-{seed}" / ".dev"
    client = DevClient(root)
    fill(client, rounds)
    remover = subprocess.Popen([sys.executable, "-c", REMOVER, str(root), str(rounds),
                                str(seed)], stderr=subprocess.PIPE, text=True)
    wrong, answers = [], []
    try:
        for number in range(rounds):
            problem = read_round(client, root, number, answers)
            if problem is not None:
                wrong.append(problem)
    finally:
        _, errors = remover.communicate(timeout=120)
    assert remover.returncode == 0, errors
    return wrong, answers


def test_a_removal_outside_a_transaction_is_seen_whole_or_not_at_all(tmp_path):
    wrong, answers = [], []
    for seed in range(2):
        found, seen = removal_race(tmp_path, seed, 25)
        wrong += found
        answers += seen
    assert wrong == []
    assert WHOLE in answers and GONE in answers  # the race was run, not waited out
    # nothing of the folders is left, visible or not
    for seed in range(2):
        root = tmp_path / f"remove-{seed}" / ".dev"
        assert [p.name for p in root.iterdir() if p.is_dir() and p.name[0] != "."] == []
        assert list((root / ".removed").iterdir()) == []


COMMITTER = """
import json, random, sys, time
from pathlib import Path
from yt_pipeline_dev.client import DevClient

root, commits, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
client, pace = DevClient(root), random.Random(seed)
for number in range(1, commits + 1):
    txn = client.begin_transaction(str(number))
    txn.client.remove("//g", recursive=True)
    txn.client.create_path("//g", "map_node")
    txn.client.write_table("//g/keep", [{"n": number}])
    record = root.parent / "records" / str(number)
    record.parent.mkdir(exist_ok=True)
    record.write_text(json.dumps(txn.prepare(record)))  # the commit point
    txn.commit()
    time.sleep(pace.random() / 2000)
"""


def exists_race(tmp_path: Path, seed: int, commits: int) -> tuple[list[str], int]:
    """The false answers of `exists` of //g and //g/keep while commits remove //g and make
    it again, and how many answers there were."""
    root = tmp_path / f"again-{seed}" / ".dev"
    client = DevClient(root)
    client.write_table("//g/keep", [{"n": 0}])
    stop, wrong, checks = threading.Event(), [], [0]

    def watch() -> None:
        while not stop.is_set():
            for path in ("//g", "//g/keep"):
                if not client.exists(path):
                    wrong.append(f"exists {path} answered false")
                checks[0] += 1
            time.sleep(0)

    reader = threading.Thread(target=watch)
    reader.start()
    try:
        done = subprocess.run([sys.executable, "-c", COMMITTER, str(root), str(commits),
                               str(seed)], capture_output=True, text=True, timeout=120)
    finally:
        stop.set()
        reader.join()
    assert done.returncode == 0, done.stderr
    assert [json.loads(line) for line in
            (root / "g" / "keep.jsonl").read_text().splitlines()] == [{"n": commits}]
    return wrong, checks[0]


def test_a_folder_a_commit_removes_and_makes_again_always_exists(tmp_path):
    wrong, checks = [], 0
    for seed in range(3):
        found, count = exists_race(tmp_path, seed, 150)
        wrong += found
        checks += count
    assert checks > 100
    assert wrong == []

"""A write outside a transaction racing the removal of its folder, as on a cluster.

On a cluster the client's write_table creates the table (recursively, as yt-pipeline's prod
client asks: yt_pipeline_prod/client.py) and writes it in one transaction; a `remove` of
the folder (recursive) is one Cypress operation. Either the removal comes first and the
write makes the folder again, or the write comes first and the removal takes its table:
the write never fails for it, and no reader sees part of a write.

In dev, a write made its rows in a temporary file beside the table and renamed it over the
table at the end: a removal of the folder meanwhile took the temporary file with it and the
write failed with a bare FileNotFoundError (about one write in three, with a remover in a
loop), or with FileExistsError from making the folder.

Each trial: another process removes //w again and again, while this one writes, appends and
fails writes of tables in //w and //w/sub, reading each back after it; every answer must be
the rows of a whole write (or of an append on the rows before it), or the table gone."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from yt_pipeline.errors import TableNotFound
from yt_pipeline_dev.client import DevClient

REMOVER = """
import random, sys, time
from pathlib import Path
from yt_pipeline_dev.client import DevClient

root, seed = Path(sys.argv[1]), int(sys.argv[2])
client, pace, stop = DevClient(root), random.Random(seed), root.parent / "stop"
(root.parent / "removing").touch()
while not stop.exists():
    client.remove("//w", recursive=True, force=True)
    time.sleep(pace.random() / 1000)
"""

TABLES = ["//w/t0", "//w/t1", "//w/sub/s0", "//w/sub/deeper/d0"]


class Refused(Exception):
    """What a failing generator raises half-way through its rows."""


def rows_of(write: int, count: int) -> list[dict[str, int]]:
    return [{"write": write, "row": row} for row in range(count)]


def slowly(rows: list[dict[str, int]]):
    """The rows, with a pause half-way (a generator doing work): a removal has the time to
    be made whole while the write goes on."""
    yield from rows[:len(rows) // 2]
    time.sleep(0.002)
    yield from rows[len(rows) // 2:]


def failing(rows: list[dict[str, int]]):
    yield from slowly(rows)
    raise Refused


def read(client: DevClient, path: str) -> list | None:
    try:
        return list(client.read_table(path))
    except TableNotFound:
        return None


def writes_racing_removals(root: Path, seed: int, writes: int) -> tuple[list[str], int]:
    """Problems seen while `writes` writes race the removals of another process, and how
    many of the reads after them found the table removed."""
    client, rng, problems, gone = DevClient(root), random.Random(seed), [], 0
    known: dict[str, list] = {path: [] for path in TABLES}  # the rows as last seen
    remover = subprocess.Popen([sys.executable, "-c", REMOVER, str(root), str(seed)],
                               stderr=subprocess.PIPE, text=True)
    try:
        while not (root.parent / "removing").exists() and remover.poll() is None:
            pass
        for write in range(writes):
            path, rows = rng.choice(TABLES), rows_of(write, rng.randint(1, 40))
            kind = rng.choice(["overwrite", "append", "fail"])
            try:
                if kind == "fail":
                    with pytest.raises(Refused):
                        client.write_table(path, failing(rows), append=rng.random() < .5)
                else:
                    client.write_table(path, slowly(rows), append=kind == "append")
            except Exception as exc:  # noqa: BLE001 - the race's failure is the finding
                problems.append(f"write {write} ({kind}) of {path}: {exc!r}")
                continue
            # removed meanwhile, or the write as made on what the table held before it
            allowed = {"overwrite": [rows], "append": [known[path] + rows, rows],
                       "fail": [known[path], []]}[kind]
            got = read(client, path)
            if got is not None and got not in allowed:
                problems.append(f"write {write} ({kind}) of {path} reads {len(got)} rows "
                                f"that no whole write gives")
            known[path] = got or []
            gone += got is None
    finally:
        (root.parent / "stop").touch()
        _, errors = remover.communicate(timeout=120)
    assert remover.returncode == 0, errors
    return problems, gone


@pytest.mark.parametrize("seed", range(3))
def test_a_write_never_fails_nor_shows_in_part_for_a_removal_of_its_folder(tmp_path, seed):
    root = tmp_path / ".dev"
    problems, gone = writes_racing_removals(root, seed, 400)
    assert problems == []
    assert gone > 0  # the removals raced the writes, not only came before or after
    # with the removals over, every write lands: the folders are made again
    client = DevClient(root)
    for number, path in enumerate(TABLES):
        client.write_table(path, rows_of(number, 3))
    assert sorted(client.list("//w")) == ["sub", "t0", "t1"]
    assert [read(client, path) for path in TABLES] == [
        rows_of(number, 3) for number in range(len(TABLES))]
    # no write's temporary file is left, nor a removed folder
    assert list(root.rglob("*.tmp")) == []
    assert list((root / ".removed").iterdir()) == []


MAKER = """
import sys
from pathlib import Path
from yt_pipeline_dev.client import DevClient

client, made = DevClient(Path(sys.argv[1])), 0
(Path(sys.argv[1]).parent / "making").touch()
while not (Path(sys.argv[1]).parent / "stop").exists():
    client.create_path("//m/a/b", "map_node")
    made += 1
print(made)
"""


def test_making_a_folder_never_fails_for_a_removal_of_one_above_it(tmp_path):
    # Path.mkdir(parents=True, exist_ok=True) raised FileExistsError for a folder removed
    # between its making and its look, and FileNotFoundError for one above removed before
    # the next was made; a cluster's `create map_node --recursive` does neither
    root = tmp_path / ".dev"
    maker = subprocess.Popen([sys.executable, "-c", MAKER, str(root)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    client = DevClient(root)
    try:
        while not (tmp_path / "making").exists() and maker.poll() is None:
            pass
        for _ in range(1500):
            client.remove("//m", recursive=True, force=True)
    finally:
        (tmp_path / "stop").touch()
        made, errors = maker.communicate(timeout=120)
    assert maker.returncode == 0, errors
    assert int(made) > 0
    client.create_path("//m/a/b", "map_node")
    assert client.list("//m/a") == ["b"]

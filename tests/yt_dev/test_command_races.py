"""DevClient commands outside a transaction racing each other from several processes.

On a cluster each Cypress command is one atomic step: `create` with `ignore_existing`
(what create_path asks for in prod) leaves a table that is there as it is; `remove` without
`recursive` checks that the folder has no child and removes it in one request
(TNodeBase::RemoveSelf in yt/yt/core/ytree/node_detail.cpp: "Cannot remove non-empty
composite node"); `remove` with `force` of a node already gone succeeds ("Remove" on the
YTsaurus docs' Cypress commands page); a table's schema is one of its attributes, there
whenever the table is. No command fails with a bare OS error.

In dev, each of these was a look followed by a change: create_path looked for the table,
then wrote an empty one over the rows another process wrote meanwhile; a removal without
`recursive` listed the folder, then took a table written (or a folder made) in it meanwhile;
two removals of one folder failed with TableNotFound for the one that came second; a write
kept its table's schema only after renaming the new file in, so declared_schema read None
between; table_fingerprint and declared_schema of a table removed meanwhile failed with
TableNotFound and a bare FileNotFoundError.

Each test: other processes run one command again and again while this one runs others and
checks every answer."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from yt_pipeline.errors import TableNotFound
from yt_pipeline_dev.client import DevClient

SCHEMA = [{"name": "n", "type": "int64"}]

#: runs one command (argv[2]) in a loop until the file `stop` appears; prints how many times
#: it ran and how many of them a cluster would have refused too (refused)
RACER = """
import random, sys, time
from pathlib import Path
from yt_pipeline.errors import BackendError, InvalidSchema
from yt_pipeline_dev.client import DevClient

root, command, seed = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
client, pace, stop = DevClient(root), random.Random(seed), root.parent / "stop"
done = refused = 0
(root.parent / f"racing-{command}-{seed}").touch()
while not stop.exists():
    try:
        if command == "create_table":
            client.create_path("//c/t", "table")
        elif command == "create_with_schema":
            client.create_path("//c/t", "table", schema=SCHEMA)
        elif command == "remove_flat":
            client.remove("//n", recursive=False, force=True)
        elif command == "remove_deep":
            client.remove("//d", recursive=True, force=True)
        elif command == "rewrite":
            client.write_table("//s/t", [{"n": done}, {"n": done + 1}])
        elif command == "remove_and_make":
            client.remove("//s/t", force=True)
            client.create_path("//s/t", "table", schema=SCHEMA)
    except InvalidSchema:
        refused += 1  # the table exists without this schema: a cluster refuses it too
    except BackendError as exc:
        if "not empty" not in str(exc):
            raise
        refused += 1
    done += 1
    time.sleep(pace.random() / 2000)
print(done, refused)
""".replace("SCHEMA", repr(SCHEMA))


class Racers:
    """Racer processes, each running one command until stopped."""

    def __init__(self, root: Path):
        self.root, self.started = root, []

    def start(self, command: str, seed: int) -> None:
        process = subprocess.Popen(
            [sys.executable, "-c", RACER, str(self.root), command, str(seed)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.started.append(process)
        ready = self.root.parent / f"racing-{command}-{seed}"
        while not ready.exists() and process.poll() is None:
            pass

    def stop(self) -> list[tuple[int, int]]:
        """(times run, times refused) of each racer; each must have ended well."""
        (self.root.parent / "stop").touch()
        counts = []
        for process in self.started:
            out, errors = process.communicate(timeout=120)
            assert process.returncode == 0, errors
            done, refused = out.split()
            counts.append((int(done), int(refused)))
        return counts


def read(client: DevClient, path: str) -> list | None:
    try:
        return list(client.read_table(path))
    except TableNotFound:
        return None


@pytest.mark.parametrize("command", ["create_table", "create_with_schema"])
@pytest.mark.parametrize("seed", range(2))
def test_creating_a_table_never_empties_one_written_meanwhile(tmp_path, command, seed):
    root, rng, problems = tmp_path / ".dev", random.Random(seed), []
    client, racers = DevClient(root), Racers(root)
    racers.start(command, seed)
    try:
        for write in range(300):
            rows = [{"n": write}, {"n": rng.randint(0, 9)}]
            client.remove("//c/t", force=True)
            # made (empty) by the racer or not, the table holds these rows after the write
            client.write_table("//c/t", rows, append=rng.random() < .5)
            got = read(client, "//c/t")
            if got != rows:
                problems.append(f"write {write} reads {got}, not {rows}")
    finally:
        [(made, _)] = racers.stop()
    assert problems == []
    assert made > 0


def test_a_removal_without_recursive_never_takes_what_was_made_in_the_folder(tmp_path):
    root, problems = tmp_path / ".dev", []
    client, racers = DevClient(root), Racers(root)
    racers.start("remove_flat", 0)
    gone = 0
    try:
        for trial in range(300):
            gone += not client.exists("//n")
            if trial % 2:
                # the folder holds the table from the write to its removal below: a removal
                # of the folder meanwhile is refused
                client.write_table("//n/t", [{"n": trial}])
                if (got := read(client, "//n/t")) != [{"n": trial}]:
                    problems.append(f"trial {trial}: the table written reads {got}")
                client.remove("//n/t")
            else:
                client.create_path("//n/sub/deeper", "map_node")
                if not client.exists("//n/sub/deeper"):
                    problems.append(f"trial {trial}: the folder made is gone")
                client.remove("//n/sub", recursive=True)
    finally:
        [(_, refused)] = racers.stop()
    assert problems == []
    assert refused > 0 and gone > 0  # the removals were refused and were made


def test_removals_of_one_folder_racing_each_other_never_fail_with_force(tmp_path):
    root, problems = tmp_path / ".dev", []
    client, racers = DevClient(root), Racers(root)
    for seed in range(2):
        racers.start("remove_deep", seed)
    gone = 0
    try:
        for trial in range(300):
            client.write_table(f"//d/a/t{trial % 3}", [{"n": trial}])
            got = read(client, f"//d/a/t{trial % 3}")
            if got not in ([{"n": trial}], None):
                problems.append(f"trial {trial}: the table written reads {got}")
            gone += got is None
            try:
                client.remove("//d", recursive=True, force=True)
            except Exception as exc:  # noqa: BLE001 - the race's failure is the finding
                problems.append(f"trial {trial}: remove: {exc!r}")
    finally:
        counts = racers.stop()  # each racer ended well: none of its removals failed
    assert problems == []
    assert all(done > 0 for done, _ in counts)
    assert gone > 0  # the racers' removals came between a write and its read


def test_a_table_rewritten_meanwhile_always_has_its_schema(tmp_path):
    root = tmp_path / ".dev"
    client, racers = DevClient(root), Racers(root)
    client.create_path("//s/t", "table", schema=SCHEMA)
    declared = client.declared_schema("//s/t")
    assert declared is not None
    racers.start("rewrite", 0)
    try:
        seen = [client.declared_schema("//s/t") for _ in range(2000)]
    finally:
        [(rewrites, _)] = racers.stop()
    assert rewrites > 0
    assert [schema for schema in seen if schema != declared] == []


def test_a_table_removed_meanwhile_has_no_fingerprint_and_no_schema(tmp_path):
    # prod's table_fingerprint answers None for a table not there; declared_schema fails
    # as a cluster's `get` of its @schema does
    root, problems = tmp_path / ".dev", []
    client, racers = DevClient(root), Racers(root)
    client.create_path("//s/t", "table", schema=SCHEMA)
    declared = client.declared_schema("//s/t")
    racers.start("remove_and_make", 0)
    found = missing = 0
    try:
        for look in range(3000):
            try:
                fingerprint = client.table_fingerprint("//s/t")
                missing += fingerprint is None
                schema = client.declared_schema("//s/t")
                if schema != declared:
                    problems.append(f"look {look}: schema {schema}")
                found += 1
            except TableNotFound:
                missing += 1
            except Exception as exc:  # noqa: BLE001 - the race's failure is the finding
                problems.append(f"look {look}: {exc!r}")
    finally:
        racers.stop()
    assert problems == []
    assert found > 0 and missing > 0

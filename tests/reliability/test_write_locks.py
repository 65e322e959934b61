"""Two stages writing one table at once, in dev and in prod on the fake proxy: the later
writer of an overwrite (or removal) fails with the cluster's lock conflict, naming the
table and the stage holding it, and the table holds the winner's rows; appends share their
locks and all land. The race is forced with flag files: the first writer keeps its
transaction open until the second has tried."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from yt_pipeline.testing import write_pipeline
from yt_pipeline.yamlio import dump_yaml
from yt_pipeline_prod.testing import TEST_PROD_OPTIONS, TEST_TOKEN

TARGET = "//t/target"

RACER = """
import os
import time
from pathlib import Path

from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


def wait_for(path):
    deadline = time.monotonic() + 60
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise RuntimeError(f"waited in vain for {path}")
        time.sleep(0.01)


class Racer(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        cfg = self.config
        flags = Path(cfg.flags)
        rows = [{"stage": self.name, "i": i} for i in range(cfg.rows)]
        if cfg.after:
            wait_for(flags / cfg.after)
        try:
            if cfg.kind == "map":
                yt.write_table(f"//t/in_{self.name}", rows)
                run_map(self, cfg.client.operations.map)
            elif cfg.kind == "remove":
                yt.remove("TARGET")
            elif cfg.kind == "yql":
                yt.run_yql(f"INSERT INTO `TARGET` WITH TRUNCATE SELECT * FROM `//t/q_{self.name}`")
            else:
                yt.write_table("TARGET", rows, append=cfg.kind == "append")
        finally:
            (flags / self.name).touch()
        for other in cfg.hold or []:
            wait_for(flags / other)
        return debug
""".replace("TARGET", TARGET)
MAPPER = """
from ytjobs import read_rows, write_rows

write_rows(read_rows())
"""


def racing_pipeline(root: Path, flags: Path, kinds: dict[str, str], first: str,
                    rows: int = 3, before: bool = True) -> Path:
    """Stages named by `kinds` (stage -> how it writes TARGET), all at once; `first`
    writes first and commits after every other has tried."""
    others = [name for name in kinds if name != first]
    files = {"configs/config.yaml": dump_yaml({
        "pipeline": {"mode": "dev", "workers": len(kinds)},
        "stages": {"graph": {name: [] for name in kinds}},
    })}
    for name, kind in kinds.items():
        files[f"stages/{name}/stage.py"] = RACER
        files[f"stages/{name}/src/mapper.py"] = MAPPER
        files[f"stages/{name}/config.yaml"] = dump_yaml({
            "kind": kind, "rows": rows, "flags": str(flags),
            "after": None if name == first else first,
            "hold": others if name == first else None,
            "client": {"operations": {"map": {
                "input_table": f"//t/in_{name}", "output_table": TARGET,
                "append": False}}},
        })
        files[f".dev/t/q_{name}.jsonl"] = "".join(
            json.dumps({"stage": name, "i": i}) + "\n" for i in range(rows))
    if before:
        files[".dev/t/target.jsonl"] = json.dumps({"stage": "before", "i": -1}) + "\n"
    return write_pipeline(root, files)


def seed_prod(fake_yt: Any, kinds: dict[str, str], rows: int, before: bool) -> None:
    from yt_pipeline_prod.testing import make_prod_client

    client = make_prod_client(fake_yt)
    for name in kinds:
        client.write_table(f"//t/q_{name}", [{"stage": name, "i": i} for i in range(rows)])
    if before:
        client.write_table(TARGET, [{"stage": "before", "i": -1}])


def to_prod(root: Path, fake_yt: Any) -> None:
    (root / "configs" / "secrets.env").write_text(f"YT_PROXY={fake_yt.url}\nYT_TOKEN={TEST_TOKEN}\n")
    config_file = root / "configs" / "config.yaml"
    data = yaml.safe_load(config_file.read_text())
    data["pipeline"].update({"mode": "prod", "prod": TEST_PROD_OPTIONS})
    config_file.write_text(dump_yaml(data))


def race(mode: str, tmp_path: Path, run_cli: Any, fake_yt: Any, monkeypatch: Any,
         kinds: dict[str, str], first: str, rows: int = 3, before: bool = True
         ) -> tuple[Any, list[dict[str, Any]] | None]:
    """Run the race in `mode`; returns the CLI result and TARGET's rows (None: missing)."""
    flags = tmp_path / f"flags-{mode}"
    flags.mkdir()
    root = racing_pipeline(tmp_path / mode, flags, kinds, first, rows, before and mode == "dev")
    if mode == "prod":
        monkeypatch.delenv("YT_PROXY", raising=False)
        monkeypatch.delenv("YT_TOKEN", raising=False)
        seed_prod(fake_yt, kinds, rows, before)
        to_prod(root, fake_yt)
    result = run_cli("run", root)
    if mode == "dev":
        file = root / ".dev" / "t" / "target.jsonl"
        found = ([json.loads(line) for line in file.read_text().splitlines()]
                 if file.exists() else None)
    else:
        node = fake_yt.state.cypress.lookup(TARGET, None)
        found = None if node is None else [dict(row) for row in node.rows]
    return result, found


def normalized(output: str) -> str:
    """The error line of a run, with what differs between runs and modes left out: the
    run and transaction ids, and the client's wrapping of the cluster's answer."""
    line = next(line for line in output.splitlines() if line.startswith("error:"))
    line = line.replace("Received HTTP response with error: ", "")
    line = re.sub(r"concurrent transaction \S+", "concurrent transaction X", line)
    return re.sub(r"yt-pipeline \d{8}-\d{6}-[0-9a-f]+", "yt-pipeline RUN", line)


def rows_of(name: str, rows: int) -> list[dict[str, Any]]:
    return [{"stage": name, "i": i} for i in range(rows)]


def ordered(rows: list[dict[str, Any]] | None) -> list[str] | None:
    return None if rows is None else sorted(json.dumps(r, sort_keys=True) for r in rows)


LOSES = [("write", "write"), ("write", "remove"), ("remove", "write"), ("map", "write"),
         ("write", "map"), ("write", "append"), ("append", "write"), ("yql", "write"),
         ("write", "yql")]


@pytest.mark.parametrize(("first", "second"), LOSES)
def test_the_second_writer_fails_alike_in_dev_and_prod(first, second, tmp_path, run_cli,
                                                         fake_yt, monkeypatch):
    kinds = {"a": first, "b": second}
    errors = {}
    for mode in ("dev", "prod"):
        result, found = race(mode, tmp_path, run_cli, fake_yt, monkeypatch, kinds, "a")
        assert result.exit_code != 0, (mode, result.output)
        errors[mode] = normalized(result.output)
        assert errors[mode].startswith("error: stage b failed: "), (mode, errors[mode])
        assert "//t/target" in errors[mode] and "stage a attempt 1" in errors[mode], errors
        assert "lock" in errors[mode] and "concurrent transaction X" in errors[mode]
        # the winner's rows, whole: a's write, none of b's
        before = [{"stage": "before", "i": -1}] if first == "append" else []
        expected = None if first == "remove" else before + rows_of("a", 3)
        assert ordered(found) == ordered(expected), (mode, found)
    if {first, second} <= {"write", "remove", "append"}:
        assert errors["dev"] == errors["prod"]
    else:  # an operation's or a query's failure wraps the cluster's sentence in prod
        sentence = re.search(r"Cannot take .* concurrent transaction X", errors["dev"])
        assert sentence is not None and sentence.group(0) in errors["prod"], errors


@pytest.mark.parametrize("mode", ["dev", "prod"])
def test_racing_appends_all_land_once(mode, tmp_path, run_cli, fake_yt, monkeypatch):
    kinds = {"a": "append", "b": "append", "c": "append"}
    result, found = race(mode, tmp_path, run_cli, fake_yt, monkeypatch, kinds, "b", rows=4)
    assert result.exit_code == 0, result.output
    expected = [{"stage": "before", "i": -1}] + [r for n in kinds for r in rows_of(n, 4)]
    assert ordered(found) == ordered(expected)


def expected_outcome(kinds: dict[str, str], first: str, rows: int, before: bool
                     ) -> tuple[set[str], list[dict[str, Any]] | None]:
    """What a cluster does: the first writer's lock is taken; the other's conflicts unless
    both append. Returns the failed stages and the table's rows."""
    second = next(n for n in kinds if n != first)
    table: list[dict[str, Any]] | None = [{"stage": "before", "i": -1}] if before else None
    failed = set() if kinds[first] == kinds[second] == "append" else {second}
    for name in [first] + ([] if failed else [second]):
        kind = kinds[name]
        if kind == "remove":
            table = None
        elif kind == "append":
            table = (table or []) + rows_of(name, rows)
        else:
            table = rows_of(name, rows)
    return failed, table


def failed_stages(output: str) -> set[str]:
    return set(re.findall(r"\[(\w+)\] FAILED", output))


@pytest.mark.parametrize("seed", range(12))
def test_seeded_races_in_dev(seed, tmp_path, run_cli, fake_yt, monkeypatch):
    check_seeded(seed, ("dev",), tmp_path, run_cli, fake_yt, monkeypatch)


@pytest.mark.parametrize("seed", range(4))
def test_seeded_races_alike_in_dev_and_prod(seed, tmp_path, run_cli, fake_yt, monkeypatch):
    check_seeded(100 + seed, ("dev", "prod"), tmp_path, run_cli, fake_yt, monkeypatch)


def check_seeded(seed: int, modes: tuple[str, ...], tmp_path: Path, run_cli: Any,
                 fake_yt: Any, monkeypatch: Any) -> None:
    rng = random.Random(seed)
    names = rng.sample(["a", "b", "c", "d"], 2)
    kinds = {n: rng.choice(["write", "append", "remove"]) for n in names}
    first, rows, before = rng.choice(names), rng.randint(1, 5), rng.random() < 0.7
    if not before and "remove" in kinds.values():
        before = True  # a removal of a missing table takes no lock
    failed, table = expected_outcome(kinds, first, rows, before)
    errors = set()
    for mode in modes:
        result, found = race(mode, tmp_path, run_cli, fake_yt, monkeypatch, kinds, first,
                             rows, before)
        context = (seed, mode, kinds, first, result.output)
        assert failed_stages(result.output) == failed, context
        assert ordered(found) == ordered(table), context
        if failed:
            errors.add(normalized(result.output))
    assert len(errors) <= 1, errors


def test_an_ended_attempt_releases_its_locks_and_a_killed_process_holds_none(tmp_path):
    import subprocess
    import sys

    from yt_pipeline_dev.client import DevClient
    from yt_pipeline_dev.txnlocks import LockConflict

    client = DevClient(tmp_path)
    first = client.begin_transaction("yt-pipeline R stage a attempt 1")
    first.client.write_table(TARGET, rows_of("a", 2))
    second = client.begin_transaction("yt-pipeline R stage b attempt 1")
    with pytest.raises(LockConflict, match=r'write_table //t/target: Cannot take lock for '
                       r'child "target" of node //t since this child is locked by concurrent '
                       r"transaction \S+ \(yt-pipeline R stage a attempt 1\)"):
        second.client.write_table(TARGET, rows_of("b", 2))
    first.abort()  # a failed attempt: its lock goes with it
    second.client.write_table(TARGET, rows_of("b", 2))
    second.prepare(tmp_path / "record")
    second.commit()
    assert list(client.read_table(TARGET)) == rows_of("b", 2)

    # a process killed while its transaction holds the lock leaves it behind, stale
    script = (
        "import os, sys\n"
        "from yt_pipeline_dev.client import DevClient\n"
        "txn = DevClient(__import__('pathlib').Path(sys.argv[1])).begin_transaction('killed')\n"
        f"txn.client.write_table('{TARGET}', [{{'stage': 'killed'}}])\n"
        "os.kill(os.getpid(), 9)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], timeout=60)
    assert list((tmp_path / ".locks").glob("*.held/*.exclusive")), "the kill left no lock"
    third = client.begin_transaction("yt-pipeline R stage c attempt 1")
    third.client.write_table(TARGET, rows_of("c", 1))
    third.prepare(tmp_path / "record2")
    third.commit()
    assert list(client.read_table(TARGET)) == rows_of("c", 1)


def test_a_lock_folder_that_cannot_be_made_is_named_not_the_table(tmp_path, run_cli):
    """A stage's write takes its table's lock in `.dev/.locks/` when it starts: when that
    folder cannot be made (here a file is in its place), the error names it, not the table
    (the name a full disk gives, which sent the user looking at the table)."""
    flags = tmp_path / "flags"
    flags.mkdir()
    root = racing_pipeline(tmp_path / "p", flags, {"a": "write"}, "a")
    (root / ".dev" / ".locks").write_text("")
    result = run_cli("run", root)
    assert result.exit_code == 1
    line = next(line for line in result.output.splitlines() if line.startswith("error:"))
    assert line.startswith("error: stage a failed: FileExistsError: [Errno 17] File exists: "
                           f"'{root / '.dev' / '.locks'}'"), line
    lines = (root / ".dev/t/target.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == [{"stage": "before", "i": -1}]


def test_a_transaction_that_appends_then_overwrites_holds_the_exclusive_lock(tmp_path):
    """A transaction takes a table's lock once per mode: its later appends reuse the lock
    it holds, and an overwrite after an append still takes the exclusive one."""
    from yt_pipeline_dev.client import DevClient
    from yt_pipeline_dev.txnlocks import LockConflict

    client = DevClient(tmp_path)
    client.write_table(TARGET, rows_of("base", 1))
    first = client.begin_transaction("yt-pipeline R stage a attempt 1")
    for _ in range(3):
        first.client.write_table(TARGET, rows_of("a", 1), append=True)
    other = client.begin_transaction("yt-pipeline R stage b attempt 1")
    other.client.write_table(TARGET, rows_of("b", 1), append=True)  # two shared locks
    other.abort()
    first.client.write_table(TARGET, rows_of("a", 2))  # now exclusive
    third = client.begin_transaction("yt-pipeline R stage c attempt 1")
    with pytest.raises(LockConflict, match=r'Cannot take "shared" lock for node //t/target '
                       r'since "exclusive" lock is taken by concurrent transaction'):
        third.client.write_table(TARGET, rows_of("c", 1), append=True)
    first.client.write_table(TARGET, rows_of("a", 1), append=True)  # held: no second look
    first.prepare(tmp_path / "record")
    first.commit()
    assert list(client.read_table(TARGET)) == rows_of("a", 2) + rows_of("a", 1)
    assert not list((tmp_path / ".locks").glob("*.held/*")), "the commit left a lock"

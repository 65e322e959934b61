"""SIGKILL while stages append a row at a time to one table (their second and later appends
written in place into their transactions' staged files), then `--resume` or a new run: every
row of a stage comes from one attempt of it, whole, and never from an attempt that was killed
before its commit.

Most kills land on the crash point each append in place passes once its rows are written
(core/crashpoints.py), the others at a seeded time: in the middle of a row, too.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from adversarial_helpers import command, finish, reference_points, start

from yt_pipeline.testing import write_pipeline

STAGES = ["s0", "s1", "s2"]
APPENDS = 120
BASE = 200
HISTORY_CODE = """
import os

from yt_pipeline import BaseStage

APPENDS, BASE = {APPENDS}, {BASE}


class History(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        for i in range(APPENDS):
            yt.write_table("//h/history", [{"stage": self.name, "i": i, "pid": os.getpid()}],
                           append=True)
            if i % 40 == 39:  # the stage reads its own appends back
                assert yt.row_count("//h/history") >= BASE + i + 1
        return debug
"""


def make(root: Path) -> Path:
    files = {"configs/config.yaml": json.dumps({
        "pipeline": {"mode": "dev", "workers": len(STAGES)},
        # s1 appends after s0 committed, s2 alongside both: kills find stages committed
        "stages": {"graph": {"s0": [], "s1": ["s0"], "s2": []}}})}
    for name in STAGES:
        files[f"stages/{name}/stage.py"] = HISTORY_CODE.replace(
            "{APPENDS}", str(APPENDS)).replace("{BASE}", str(BASE))
    files[".dev/h/history.jsonl"] = "".join(
        json.dumps({"stage": "base", "i": i}) + "\n" for i in range(BASE))
    return write_pipeline(root, files)


def history(root: Path) -> list[dict]:
    lines = (root / ".dev/h/history.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def attempts(rows: list[dict], label: str) -> dict[str, Counter]:
    """Per stage, how many rows each attempt (the pid of its run) left; every (stage, pid, i)
    at most once, and the base rows all there, once."""
    assert [r for r in rows if r["stage"] == "base"] == [
        {"stage": "base", "i": i} for i in range(BASE)], f"{label}: base rows changed"
    seen = Counter((r["stage"], r["pid"], r["i"]) for r in rows if r["stage"] != "base")
    doubled = [key for key, count in seen.items() if count > 1]
    assert not doubled, f"{label}: rows doubled {doubled[:3]}"
    found: dict[str, Counter] = {name: Counter() for name in STAGES}
    for stage, pid, i in seen:
        assert 0 <= i < APPENDS, f"{label}: a row no stage wrote: {stage} {i}"
        found[stage][pid] += 1
    return found


@pytest.fixture(scope="module")
def points(tmp_path_factory) -> list[str]:
    root = make(tmp_path_factory.mktemp("reference") / "p")
    points = reference_points(root)
    found = attempts(history(root), "reference")
    assert all(list(found[name].values()) == [APPENDS] for name in STAGES)
    return points


def test_kills_while_appending_in_place_then_resume_or_rerun(tmp_path, points):
    in_place = [n for n, name in enumerate(points, 1) if name == "dev: appended in place"]
    assert len(in_place) >= len(STAGES) * (APPENDS - 1)  # all but each stage's first append
    rng = random.Random(20261204)
    template = make(tmp_path / "template")
    started = time.perf_counter()
    finish(start(command(make(tmp_path / "probe"))))
    elapsed = time.perf_counter() - started
    trials = [("point", rng.choice(in_place)) for _ in range(8)]
    trials += [("time", rng.uniform(0.3, elapsed)) for _ in range(4)]
    outcomes = set()  # which stages had committed when the run was killed
    for trial, (how, when) in enumerate(trials):
        root = tmp_path / f"t{trial}"
        shutil.copytree(template, root)
        resume = trial % 2 == 0
        then = "--resume" if resume else "a new run"
        label = f"trial {trial} (kill at {how} {when:.2f}, then {then})"
        if how == "point":
            killed = start(command(root), env={"YTP_CRASH_AT": str(when)})
        else:
            killed = start(command(root))
            time.sleep(when)
            os.killpg(killed.pid, signal.SIGKILL)
        code, out = finish(killed)
        if code == 0:  # a timed kill after the run ended: nothing to look at
            continue
        assert code == -signal.SIGKILL, f"{label}: {out}"
        after_kill = attempts(history(root), label)  # a killed attempt left no row live
        for name in STAGES:
            assert set(after_kill[name].values()) <= {APPENDS}, f"{label}: {after_kill}"
        again = start(command(root, "--resume") if resume else command(root))
        code, out = finish(again)
        assert code == 0, f"{label}: {out}"
        found = attempts(history(root), label)
        for name in STAGES:
            # whole attempts only: those the killed run committed (its journal record
            # written, the rows live then or once the next run finished the commit), and
            # the last run's
            assert set(found[name].values()) == {APPENDS}, f"{label}: {name} {found[name]}"
            assert set(found[name]) <= {killed.pid, again.pid}, f"{label}: {name}"
            # the rows a committed attempt made live stay, once
            assert all(found[name][pid] == n for pid, n in after_kill[name].items()), label
            if resume:  # each stage committed once
                assert len(found[name]) == 1, f"{label}: {name} {found[name]}"
            else:  # a new run runs every stage again
                assert found[name][again.pid] == APPENDS, f"{label}: {name}"
        outcomes.add(tuple(bool(after_kill[name]) for name in STAGES))
        left = list((root / ".dev/.txn").glob("*/*.jsonl"))
        assert left == [], f"{label}: staged files left {left}"
        shutil.rmtree(root)
    assert len(outcomes) > 1, f"every kill found the same stages committed: {outcomes}"

"""Stages appending in place to one shared table from parallel_map threads, with appends
whose generators fail or append to another table, a first attempt failing part-way and being
retried, and SIGKILLs at seeded moments followed by `--resume` or a new run: the committed
table holds each committed attempt's rows exactly once, whole, and no row of a failed append
or a failed attempt."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import time
from collections import Counter
from pathlib import Path

from adversarial_helpers import command, finish, start

from yt_pipeline.testing import write_pipeline
from yt_pipeline_dev.client import DevClient

BASE = 50
THREADS, PER_THREAD = 4, 25
SERIAL = 60
STAGE_CODE = """
import os
import uuid
from pathlib import Path

from yt_pipeline import BaseStage, parallel_map
from yt_pipeline.errors import BackendError

THREADS, PER_THREAD, SERIAL, FAIL_AT = {THREADS}, {PER_THREAD}, {SERIAL}, {FAIL_AT}
FAIL_ONCE = Path(__file__).resolve().parents[2] / "fail-once-{NAME}"


class Doomed(Exception):
    pass


class Appender(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        token = uuid.uuid4().hex
        failing = FAIL_ONCE.exists()
        written = [0]

        def row(thread, i, **extra):
            return {"stage": self.name, "token": token, "t": thread, "i": i, **extra}

        def doomed(thread, i):  # a failed append: none of its rows may stay
            yield row(thread, i, doomed=True)
            yield row(thread, i, doomed=True)
            raise Doomed()

        def append(thread, i):
            if i % 7 == 3:
                try:
                    yt.write_table("//h/history", doomed(thread, i), append=True)
                except Doomed:
                    pass
            if i % 5 == 1:  # a generator appending to another table as it goes
                def rows():
                    yt.write_table("//h/other", [row(thread, i)], append=True)
                    yield row(thread, i)
                yt.write_table("//h/history", rows(), append=True)
            else:
                yt.write_table("//h/history", [row(thread, i)], append=True)
            written[0] += 1
            if failing and written[0] == FAIL_AT:
                FAIL_ONCE.unlink()
                raise BackendError("the first attempt fails part-way")
            if i % 9 == 8:
                seen = list(yt.read_table("//h/history"))
                assert not any(r.get("doomed") for r in seen), "a failed append's row read"
                # other threads append meanwhile: the count read after is no smaller
                assert len(seen) <= yt.row_count("//h/history")

        if THREADS > 1:
            parallel_map(lambda t: [append(t, i) for i in range(PER_THREAD)],
                         range(THREADS), workers=THREADS)
        else:
            for i in range(SERIAL):
                append(0, i)
        return debug
"""
STAGES = {"p": (THREADS, 17), "s": (1, 23), "q": (1, 41)}


def full(stage: str) -> int:
    threads, _ = STAGES[stage]
    return threads * PER_THREAD if threads > 1 else SERIAL


def make(root: Path) -> Path:
    files = {"configs/config.yaml": json.dumps({
        "pipeline": {"mode": "dev", "workers": 2},
        "stages": {"graph": {"p": [], "s": [], "q": ["p"]}}})}
    for name, (threads, fail_at) in STAGES.items():
        code = STAGE_CODE
        for key, value in {"THREADS": threads, "PER_THREAD": PER_THREAD, "SERIAL": SERIAL,
                           "FAIL_AT": fail_at, "NAME": name}.items():
            code = code.replace("{" + key + "}", str(value))
        files[f"stages/{name}/stage.py"] = code
        files[f"stages/{name}/config.yaml"] = json.dumps(
            {"retry": {"max_attempts": 3, "backoff_s": 0.01, "max_backoff_s": 0.02}})
        files[f"fail-once-{name}"] = ""
    files[".dev/h/history.jsonl"] = "".join(
        json.dumps({"stage": "base", "i": i}) + "\n" for i in range(BASE))
    return write_pipeline(root, files)


def table(root: Path, name: str) -> list[dict]:
    """The rows of table //h/<name> as a reader of the folder sees them: after a kill
    between the renames of a commit, the files alone hold half of it (see
    test_half_made_commit_read.py)."""
    client = DevClient(root / ".dev")
    if not client.exists(f"//h/{name}"):
        return []
    return list(client.read_table(f"//h/{name}"))


def attempts(root: Path, label: str) -> dict[str, Counter]:
    """Per stage, the rows each attempt (its token) left in the history table: the base rows
    once each, every (attempt, thread, i) at most once, no row of a failed append; and the
    other table holding exactly the rows of the attempts the history table holds."""
    rows = table(root, "history")
    assert [r for r in rows if r["stage"] == "base"] == [
        {"stage": "base", "i": i} for i in range(BASE)], f"{label}: base rows changed"
    assert not [r for r in rows if r.get("doomed")], f"{label}: a failed append's rows"
    mine = [r for r in rows if r["stage"] != "base"]
    seen = Counter((r["stage"], r["token"], r["t"], r["i"]) for r in mine)
    doubled = [key for key, count in seen.items() if count > 1]
    assert not doubled, f"{label}: rows doubled {doubled[:3]}"
    found: dict[str, Counter] = {name: Counter() for name in STAGES}
    for stage, token, _, _ in seen:
        found[stage][token] += 1
    other = Counter((r["stage"], r["token"], r["t"], r["i"]) for r in table(root, "other"))
    assert set(other.values()) <= {1}, f"{label}: other table rows doubled"
    assert set(other) == {key for key in seen if key[3] % 5 == 1}, f"{label}: other table"
    return found


def test_retried_and_killed_stages_appending_from_threads(tmp_path):
    template = make(tmp_path / "template")
    probe = shutil.copytree(template, tmp_path / "probe")
    started = time.perf_counter()
    code, out = finish(start(command(probe)))
    elapsed = time.perf_counter() - started
    assert code == 0, out
    found = attempts(probe, "uninterrupted")
    # each stage: its failed first attempt left nothing, its retry all its rows
    assert {name: list(found[name].values()) for name in STAGES} == {
        name: [full(name)] for name in STAGES}
    rng = random.Random(int(os.environ.get("APPEND_RETRY_SEED", "20261205")))
    trials = int(os.environ.get("APPEND_RETRY_TRIALS", "6"))
    for trial in range(trials):
        root = shutil.copytree(template, tmp_path / f"t{trial}")
        when = rng.uniform(0.2, elapsed)
        resume = trial % 2 == 0
        label = f"trial {trial} (kill at {when:.2f}s, then {'--resume' if resume else 'a run'})"
        killed = start(command(root))
        time.sleep(when)
        os.killpg(killed.pid, signal.SIGKILL)
        code, out = finish(killed)
        if code == 0:
            continue
        after_kill = attempts(root, label)
        for name in STAGES:
            assert set(after_kill[name].values()) <= {full(name)}, f"{label}: {after_kill}"
        code, out = finish(start(command(root, "--resume") if resume else command(root)))
        assert code == 0, f"{label}: {out}"
        found = attempts(root, label)
        for name in STAGES:
            assert set(found[name].values()) == {full(name)}, f"{label}: {name} {found}"
            assert all(found[name][t] == n for t, n in after_kill[name].items()), label
            if resume:
                assert len(found[name]) == 1, f"{label}: {name} {found[name]}"
        assert list((root / ".dev/.txn").glob("*/*.jsonl")) == [], f"{label}: staged left"
        shutil.rmtree(root)

"""A cached pipeline whose tables were damaged or replaced by hand between runs (a half last
line, a last line without its newline, an extra row, other rows, a removed table), at seeded
places. The cache goes by the stage's fingerprint and by its outputs existing, not by their
content (docs/dag-resume-cache.md#cache): the producer stays CACHED. What must hold: nothing
appends twice while its stage is cached, a reader of the damaged table (declared input)
runs again and sees exactly the damaged content or fails naming the table, a failed rerun
leaves every table as it was, and the rows are never silently lost."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from adversarial_helpers import seeded, tables

from yt_pipeline.testing import write_pipeline

GEN = """
from yt_pipeline import BaseStage


class Gen(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        yt.write_table("//c/out", ({"i": i} for i in range(20)))
        yt.write_table("//c/acc", ({"i": i} for i in range(5)), append=True)
        return debug
"""
USE = """
from yt_pipeline import BaseStage


class Use(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        rows = list(yt.read_table("//c/out"))
        yt.write_table("//c/sum", [{"n": len(rows), "s": sum(r["i"] for r in rows)}])
        yt.write_table("//c/seen", ({"i": r["i"]} for r in rows), append=True)
        return debug
"""


def make(root: Path) -> Path:
    return write_pipeline(root, {
        "configs/config.yaml": "pipeline: {mode: dev, cache: true}\n"
                               "stages: {enabled_stages: [gen, use]}\n",
        "stages/gen/stage.py": GEN,
        "stages/gen/config.yaml": "outputs: [//c/out, //c/acc]\n",
        "stages/use/stage.py": USE,
        "stages/use/config.yaml": "inputs: [//c/out]\noutputs: [//c/sum, //c/seen]\n",
    })


def run(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "yt_pipeline", "run", str(root)],
                          capture_output=True, text=True, timeout=120)


DAMAGES = ["half_last_line", "no_final_newline", "extra_row", "other_rows", "removed",
           "acc_half_last_line"]


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_table_of_a_cached_stage_never_doubles_and_is_never_hidden(tmp_path, damage):
    rng = seeded(f"20261203-{damage}")
    root = make(tmp_path / "p")
    first = run(root)
    assert first.returncode == 0, first.stderr
    assert run(root).returncode == 0  # all cached
    out = root / ".dev/c/out.jsonl"
    acc = root / ".dev/c/acc.jsonl"
    lines = out.read_text().splitlines()
    if damage == "half_last_line":
        cut = rng.randint(1, len(lines[-1]) - 1)
        out.write_text("\n".join(lines[:-1] + [lines[-1][:cut]]))
    elif damage == "no_final_newline":
        out.write_text("\n".join(lines))
    elif damage == "extra_row":
        out.write_text(out.read_text() + json.dumps({"i": 1000}) + "\n")
    elif damage == "other_rows":
        out.write_text("".join(json.dumps({"i": rng.randint(0, 99)}) + "\n" for _ in lines))
    elif damage == "removed":
        out.unlink()
    elif damage == "acc_half_last_line":
        text = acc.read_text()
        acc.write_text(text[: -rng.randint(2, 6)])
    before = {path.name: path.read_bytes() for path in (root / ".dev/c").glob("*.jsonl")}
    again = run(root)
    got = tables(root / ".dev")
    acc_rows = got["//c/acc"]
    if damage == "removed":
        # a missing output is a cache miss: gen runs again, and appends again, as documented
        assert again.returncode == 0, again.stderr
        assert "cache miss: output //c/out is missing" in again.stderr
        assert acc_rows == Counter({json.dumps({"i": i}): 2 for i in range(5)})
        return
    if damage == "acc_half_last_line":
        # gen's output exists and its fingerprint is the same: cached, nothing appended
        assert again.returncode == 0, again.stderr
        assert {p.name: p.read_bytes() for p in (root / ".dev/c").glob("*.jsonl")} == before
        return
    assert acc_rows == Counter(json.dumps({"i": i}) for i in range(5)), "gen appended again"
    assert "[gen] cache hit" in again.stderr, again.stderr
    if damage == "half_last_line":
        # use reads //c/out again (its content changed) and fails naming the table: the
        # half row is not read as a row, not dropped, and nothing use writes lands
        assert again.returncode == 1
        assert "//c/out" in again.stderr and "not JSON" in again.stderr, again.stderr
        assert {p.name: p.read_bytes() for p in (root / ".dev/c").glob("*.jsonl")} == before
        return
    assert again.returncode == 0, again.stderr
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert got["//c/sum"] == Counter([json.dumps({"n": len(rows), "s": sum(r["i"] for r in rows)},
                                                 sort_keys=True)])
    seen = got["//c/seen"]
    # use ran twice: its first run's rows once, and the damaged table's rows once
    first_rows = Counter(json.dumps({"i": i}) for i in range(20))
    assert seen == first_rows + Counter(json.dumps({"i": r["i"]}) for r in rows)
    assert "[use] cache miss: input //c/out changed" in again.stderr

"""Two runs of different pipelines sharing one dev folder (`.dev` a link to one folder), each
appending a map's and a reduce's output to the same tables at once: both succeed, and each
table holds the rows of both operations exactly, every row checked. Their operations have
the same stage, name and tables, so the same sandbox name: the second's launch used to clear
the first's sandbox under its running jobs (launcher.sandbox_for, sandbox_claim.py)."""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from pathlib import Path

from adversarial_helpers import command, finish, row, start, tables

from yt_pipeline.testing import write_pipeline

TRIALS = int(os.environ.get("YTP_ADV_TRIALS", "3"))
KEYS = 13

STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map, run_reduce


class Both(BaseStage):
    def run(self, debug):
        ops = self.config.client.operations
        run_map(self, ops.map)
        run_reduce(self, ops.reduce)
        return debug
"""
MAPPER = """
import os
from ytjobs import read_rows, write_rows

write_rows({**r, "by": os.environ["WHO"]} for r in read_rows())
"""
REDUCER = """
import os
from ytjobs import groups, read_rows, write_rows

write_rows({"k": k, "n": len(list(rs)), "by": os.environ["WHO"]}
           for k, rs in groups(read_rows(), "k"))
"""


def make(root: Path, who: str) -> Path:
    def op(output: str, **more) -> dict:
        return {"input_table": "//r/in", "output_table": output, "append": True,
                "env": {"WHO": who}, "resources": {"job_count": 3}, **more}

    return write_pipeline(root, {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev"},
                                           "stages": {"graph": {"both": []}}}),
        "stages/both/stage.py": STAGE,
        "stages/both/src/mapper.py": MAPPER,
        "stages/both/src/reducer.py": REDUCER,
        "stages/both/config.yaml": json.dumps({"client": {"operations": {
            "map": op("//r/mapped"), "reduce": op("//r/counts", reduce_by=["k"])}}}),
    })


def test_two_pipelines_sharing_a_dev_folder_run_one_operation_at_once(tmp_path):
    rng = random.Random(20261205_1)
    for trial in range(TRIALS):
        shared = tmp_path / f"t{trial}" / "shared"
        (shared / "r").mkdir(parents=True)
        rows = [{"k": rng.randrange(KEYS), "i": i} for i in range(rng.randint(5000, 20000))]
        (shared / "r/in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        roots = [make(tmp_path / f"t{trial}" / who, who) for who in "ab"]
        for root in roots:
            (root / ".dev").symlink_to(shared)
        runs = [start(command(root)) for root in roots]
        results = [finish(run) for run in runs]
        for code, out in results:
            assert code == 0, f"trial {trial}: {out[-3000:]}"
        got = tables(shared)
        counts = Counter(r["k"] for r in rows)
        assert got["//r/mapped"] == Counter(row(**r, by=who) for who in "ab" for r in rows)
        assert got["//r/counts"] == Counter(row(k=k, n=n, by=who) for who in "ab"
                                            for k, n in counts.items())
        left = [p.name for p in shared.iterdir() if "sandbox" in p.name]
        assert left == [], f"trial {trial}: sandboxes left {left}"

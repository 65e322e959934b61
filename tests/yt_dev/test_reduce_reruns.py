"""A reduce, a reduce with a foreign table and a map_reduce (its mappers too) whose jobs fail on their first
attempt after writing part of their rows (to stdout and to a second output table) and pass
on the next: every output table holds each row once, from the attempt that passed."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from yt_pipeline_dev.launcher import launch

#: a reducer writing each group's count to table 0 and each row to table 1 (through a table
#: switch, or on fd 4 with FD4), failing its first attempt at row CUT of its input
FLAKY_REDUCER = """
    import os, sys
    from ytjobs import groups, read_rows
    from ytjobs.tables import table_switch
    job = os.environ["YT_JOB_COOKIE"]
    marks = os.environ["MARKS"]
    attempt = 1 + sum(1 for name in os.listdir(marks) if name.startswith(f"{os.environ['PHASE']}{job}."))
    open(os.path.join(marks, f"{os.environ['PHASE']}{job}.{attempt}"), "w").close()
    cut = int(os.environ["CUT"])
    fd4 = os.fdopen(4, "w") if os.environ.get("FD4") else None
    seen = 0
    out = sys.stdout.buffer
    for key, rows in groups(read_rows(), "k"):
        rows = list(rows)
        for row in rows:
            seen += 1
            if attempt == 1 and seen == cut:
                out.flush()
                if fd4:
                    fd4.flush()
                raise SystemExit(f"job {job} gives up at row {seen}")
            if fd4:
                fd4.write(json.dumps({**row, "copy": 1}) + "\\n")
            else:
                out.write(table_switch(1) + json.dumps({**row, "copy": 1}).encode()
                          + b"\\n" + table_switch(0))
        out.write(json.dumps({"k": key, "n": len(rows)}).encode() + b"\\n")
""".replace("import os, sys", "import json, os, sys")
#: a mapper failing its first attempt after writing CUT rows
MAPPER = """
    import os, sys
    from ytjobs import read_rows, write_rows
    job = os.environ["YT_JOB_COOKIE"]
    marks = os.environ["MARKS"]
    attempt = 1 + sum(1 for name in os.listdir(marks) if name.startswith(f"m{job}."))
    open(os.path.join(marks, f"m{job}.{attempt}"), "w").close()
    for number, row in enumerate(read_rows()):
        if attempt == 1 and number == int(os.environ["CUT"]):
            sys.stdout.flush()
            raise SystemExit(f"map job {job} gives up at row {number}")
        write_rows([{"k": row["k"], "v": row["v"]}])
"""


def _rows(client, table):
    return Counter(json.dumps(r, sort_keys=True) for r in client.read_table(table))


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("kind", ["reduce", "join_reduce", "map_reduce"])
@pytest.mark.parametrize("fd4", [False, True])
def test_a_first_attempt_failing_midway_leaves_no_row_behind(dev_client, stages, tmp_path,
                                                            kind, fd4, seed):
    rng = random.Random(seed)
    rows = [{"k": rng.randint(0, 9), "v": i} for i in range(300)]
    dev_client.write_table("//in/t", rows)
    dev_client.write_table("//in/f", [{"k": k, "name": f"n{k}"} for k in range(10)])
    marks = tmp_path / "marks"
    marks.mkdir()
    stages("flaky", {"src/reducer.py": FLAKY_REDUCER, "src/mapper.py": MAPPER})
    env = {"MARKS": str(marks), "CUT": str(rng.randint(1, 100)), "PHASE": "r"}
    if fd4:
        env["FD4"] = "1"
    fields = dict(input_tables=["//in/t"], output_tables=["//out/n", "//out/copy"],
                  reducer="src/reducer.py", reduce_by=["k"], sort_by=["k"], env=env,
                  max_failed_job_count=10)
    if kind == "join_reduce":
        fields.update(input_tables=["//in/t", "<foreign=%true>//in/f"], join_by=["k"])
    if kind == "map_reduce":
        fields["mapper"] = "src/mapper.py"
    spec = stages.spec("map_reduce" if kind == "map_reduce" else "reduce", "flaky",
                       job_count=3, **fields)
    launch(dev_client, spec)
    ran = {mark.name for mark in marks.iterdir()}
    assert any(name.startswith("r") and name.endswith(".2") for name in ran), ran
    if kind == "map_reduce":
        assert any(name.startswith("m") and name.endswith(".2") for name in ran), ran
    by_key = Counter(r["k"] for r in rows)
    if kind == "join_reduce":  # each key's group starts with its foreign row
        by_key.update(set(by_key))
    assert _rows(dev_client, "//out/n") == Counter(
        json.dumps({"k": k, "n": n}, sort_keys=True) for k, n in by_key.items())
    copied = [r for r in rows]
    if kind == "join_reduce":
        copied = [{"k": k, "name": f"n{k}"} for k in {r["k"] for r in rows}] + copied
    want = Counter(json.dumps({**r, "copy": 1}, sort_keys=True) for r in copied)
    assert _rows(dev_client, "//out/copy") == want

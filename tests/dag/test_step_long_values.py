"""Values Python cannot write as JSON text as they are: an int of more than
`sys.get_int_max_str_digits()` digits (4300 by default), and context values whose dict keys
are of mixed types. Handed on, kept for --resume and hashed for the cache like any other."""

from __future__ import annotations

import json

from yt_pipeline import Pipeline, step

LONG = {"pos": 10 ** 5000 + 7, "neg": -(10 ** 5000), "small": 5, "edge": 2 ** 2000}


@step(outputs=["value"])
def make():
    return LONG


@step(inputs=["value"], outputs=["same"], cache=True)
def check(value, table):
    return value == LONG and len(table)


def pipeline(folder, table):
    return Pipeline("long", folder=folder, context={"table": table}) \
        .add_step(make).add_step(check)


def test_a_long_int_is_handed_on_kept_and_hashed(tmp_path):
    table = {1: "one", "two": 2, 10 ** 6000: "long key"}
    fresh = pipeline(tmp_path, table).run()
    assert fresh.success, fresh.error
    assert (fresh["value"], fresh["same"]) == (LONG, 3)
    kept = json.loads((tmp_path / ".runs/stages.long.dev.json").read_text())
    assert kept["make"]["debug"]["value"]["small"] == 5  # short ints stay plain JSON
    resumed = pipeline(tmp_path, table).run(resume=True)
    assert resumed["value"] == LONG
    cached = pipeline(tmp_path, dict(reversed(table.items()))).run()
    assert cached.step_results["check"].cached and cached["same"] == 3
    changed = pipeline(tmp_path, {**table, 10 ** 6000: "other"}).run()
    assert not changed.step_results["check"].cached and changed["same"] == 3

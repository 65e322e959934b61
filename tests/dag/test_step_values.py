"""What function steps hand each other: a step's own outputs, each reader its own copy."""

from __future__ import annotations

import json

from yt_pipeline import Pipeline, step


@step(outputs=["raw"])
def produce():
    return [3, 1, 2]


@step(inputs=["raw"], outputs=["smallest"])
def sort_in_place(raw):
    raw.sort()  # a reader that changes what it was given
    return raw[0]


@step(inputs=["raw"], outputs=["first"])
def first(raw):
    return raw[0]


@step(inputs=["smallest", "first"], outputs=["both"])
def both(smallest, first):
    return [smallest, first]


def diamond(folder):
    return Pipeline("diamond", folder=folder, workers=1).add_step(produce) \
        .add_step(sort_in_place).add_step(first).add_step(both)


def test_a_step_changing_its_input_changes_it_for_no_other_step(tmp_path):
    """A fresh run gives each step what a resumed run would: the value as its producer
    returned it (not sorted by the step that ran before it)."""
    fresh = diamond(tmp_path).run()
    assert fresh.success, fresh.error
    assert fresh.outputs == {"raw": [3, 1, 2], "smallest": 1, "first": 3, "both": [1, 3]}
    again = diamond(tmp_path).run(only=["first", "both"])
    assert again.outputs["first"] == 3 and again.outputs["both"] == [1, 3]


def test_each_step_keeps_only_its_own_outputs(tmp_path):
    """An output is kept once, by its producer, not again by every step after it: a chain of
    steps after a large value does not make the state file grow with each step."""
    assert diamond(tmp_path).run().success
    kept = json.loads((tmp_path / ".runs/stages.diamond.dev.json").read_text())
    assert {name: entry["debug"] for name, entry in kept.items()} == {
        "produce": {"raw": [3, 1, 2]}, "sort_in_place": {"smallest": 1},
        "first": {"first": 3}, "both": {"both": [1, 3]}}

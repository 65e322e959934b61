"""Prod as a stock cluster runs it: every example, and a pipeline of every operation kind,
give the same rows on the strict fake proxy as in dev."""

from __future__ import annotations

from pathlib import Path

import pytest
from both_modes import compare_tables, run_both

REPO = Path(__file__).resolve().parents[2]
#: every example that is a pipeline (07_plugin is a plugin package, run by tests/docs)
EXAMPLES = sorted(p.name for p in (REPO / "examples").iterdir()
                  if (p / "configs" / "config.yaml").is_file())


def test_every_pipeline_example_is_here():
    assert {"01_hello_world", "03_yql", "04_map", "05_vanilla", "06_reduce"} <= set(EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_gives_the_same_tables_in_prod_and_dev(example, tmp_path, fake_yt, run_cli,
                                                       monkeypatch):
    dev_dir, _ = run_both(REPO / "examples" / example, tmp_path, fake_yt, run_cli, monkeypatch)
    # 04_map writes which job handled a row: the scheduler's choice, not the data's
    compared = compare_tables(dev_dir, fake_yt, scheduler_columns=("job",))
    if example != "05_vanilla":  # its tasks write no table
        assert compared >= 1

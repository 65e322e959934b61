"""Every example pipeline runs through the command line on a copy, and its rows are checked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def run_example(tmp_path, run_cli):
    def run(name: str) -> Path:
        copy = tmp_path / name
        shutil.copytree(EXAMPLES / name, copy, ignore=shutil.ignore_patterns(".dev", ".build"))
        result = run_cli("run", copy)
        assert result.exit_code == 0, result.output
        return copy

    return run


def table(root: Path, path: str) -> list[dict]:
    text = (root / ".dev" / (path.lstrip("/") + ".jsonl")).read_text()
    return [json.loads(line) for line in text.splitlines()]


def test_01_hello_world(run_example):
    root = run_example("01_hello_world")
    assert [r["greeting"] for r in table(root, "//tmp/hello_world/greetings")] == [
        "Hello, world!", "Hello, YTsaurus!", "Hello, data engineers!"]


def test_02_multi_stage_passes_debug(run_example):
    root = run_example("02_multi_stage")
    assert [r["n"] for r in table(root, "//tmp/multi_stage/even")] == [2, 4, 6, 8, 10]
    assert table(root, "//tmp/multi_stage/summary") == [
        {"generated": 10, "kept": 5, "sum_of_even_squares": 220}]


def test_03_yql(run_example):
    root = run_example("03_yql")
    assert table(root, "//tmp/yql/revenue_by_category") == [
        {"category": "books", "orders": 3, "revenue": 40.0},
        {"category": "games", "orders": 2, "revenue": 90.0}]


def test_04_map_with_two_jobs(run_example):
    root = run_example("04_map")
    rows = table(root, "//tmp/map/greetings")
    assert [r["id"] for r in rows] == list(range(6))
    assert rows[0]["greeting"] == "Hello, Ada!" and rows[5]["greeting"] == "Hello, Ken!"
    jobs = [r["job"] for r in rows]
    assert jobs == sorted(jobs) and set(jobs) == {0, 1}
    assert not list((root / ".dev").glob(".sandboxes/sandbox_*"))


def test_05_vanilla(run_example):
    root = run_example("05_vanilla")
    log = (root / ".dev/crunch.log").read_text()
    assert "task 0: sum=250000" in log and "task 1: sum=250500" in log
    assert "task 1 done" in log


def test_06_reduce_word_count(run_example):
    root = run_example("06_reduce")
    counts = {r["word"]: r["count"] for r in table(root, "//tmp/reduce/word_counts")}
    assert counts == {"the": 3, "dog": 2, "fox": 2, "a": 1, "brown": 1, "jumps": 1, "lazy": 1,
                      "over": 1, "quick": 1, "runs": 1, "sleeps": 1}
    assert list(counts) == sorted(counts)  # reducer output arrives in key order
    ordered = table(root, "//tmp/reduce/words_by_count")
    assert [r["word"] for r in ordered][-3:] == ["dog", "fox", "the"]
    assert [r["count"] for r in ordered] == sorted(r["count"] for r in ordered)

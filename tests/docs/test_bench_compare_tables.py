"""bench/compare/examples.py: how yt-framework's tables and ours are matched and compared.

yt-framework's dev client keeps `//any/folder/name` in `.dev/name.jsonl`
(yt_framework/yt/clients/client_dev.py, `_table_basename`); ours keeps the whole path. Each
of our tables is matched with the file yt-framework kept it in, by its whole path."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "compare"
sys.path.insert(0, str(BENCH))

import examples  # noqa: E402


def _dev(root: Path, tables: dict[str, list[dict]]) -> Path:
    for relative, rows in tables.items():
        path = root / ".dev" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return root


def test_our_tables_are_named_by_their_whole_path(tmp_path):
    ours = _dev(tmp_path, {"tmp/a/users.jsonl": [{"id": 1}], "tmp/b/users.jsonl": [],
                           "sandbox-1/x.jsonl": [{"id": 9}]})
    assert examples.tables(ours) == {"//tmp/a/users": Counter({'{"id": 1}': 1}),
                                     "//tmp/b/users": Counter()}


def test_the_same_rows_under_the_matching_file_are_equal(tmp_path):
    theirs = examples.tables(_dev(tmp_path / "ytf", {"users.jsonl": [{"id": 1}, {"id": 2}],
                                                     "empty.jsonl": []}))
    ours = examples.tables(_dev(tmp_path / "ours", {"tmp/a/users.jsonl": [{"id": 2}, {"id": 1}],
                                                    "tmp/a/empty.jsonl": []}))
    assert examples.differences(theirs, ours) == []


def test_two_of_our_tables_with_one_last_part_are_a_difference(tmp_path):
    # yt-framework wrote both to .dev/users.jsonl: the last one written is all it kept, so
    # matching by the last part compared one of ours and dropped the other
    theirs = examples.tables(_dev(tmp_path / "ytf", {"users.jsonl": [{"id": 1}]}))
    ours = examples.tables(_dev(tmp_path / "ours", {"tmp/a/users.jsonl": [{"id": 1}],
                                                    "tmp/b/users.jsonl": [{"id": 7}]}))
    assert examples.differences(theirs, ours) == [
        "//tmp/a/users, //tmp/b/users: yt-framework keeps them all in users.jsonl, so they "
        "cannot be compared"]


def test_a_table_empty_or_missing_on_one_side_is_a_difference(tmp_path):
    theirs = examples.tables(_dev(tmp_path / "ytf", {"out.jsonl": [{"id": 1}],
                                                     "only_theirs.jsonl": []}))
    ours = examples.tables(_dev(tmp_path / "ours", {"tmp/out.jsonl": [],
                                                    "tmp/only_ours.jsonl": []}))
    assert examples.differences(theirs, ours) == [
        "//tmp/only_ours: only yt-pipeline wrote it (0 rows)",
        "//tmp/out: rows differ (yt-framework 1, yt-pipeline 0, one side empty)",
        "//only_theirs: only yt-framework wrote it (0 rows)",
    ]


def test_a_failed_run_is_told_by_its_error_and_the_jobs_exception_not_the_resume_hint():
    stderr = ("06:47:47 ERROR [run_vanilla] FAILED after 0.38s (attempt 1): stage failed\n"
              "error: stage run_vanilla failed: vanilla task 1 of 1 failed (exit code 1)\n"
              "--- stderr (last lines) ---\n"
              "Traceback (most recent call last):\n"
              '  File "vanilla.py", line 12, in <module>\n'
              "    from omegaconf import OmegaConf\n"
              "ModuleNotFoundError: No module named 'omegaconf'\n"
              "to resume: yt-pipeline run /tmp/p --resume\n")
    assert examples.failure_line(stderr) == (
        "error: stage run_vanilla failed: vanilla task 1 of 1 failed (exit code 1) | job: "
        "ModuleNotFoundError: No module named 'omegaconf'")
    assert examples.failure_line("error: configs/x.yaml: configuration file does not exist\n") \
        == "error: configs/x.yaml: configuration file does not exist"

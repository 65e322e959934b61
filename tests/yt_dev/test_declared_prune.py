"""The schemas kept for versions of a table file that are gone are removed as a run starts
(yql_schema.prune_declared): each write of a YQL-written table keeps its schema under the new
version's identity and bytes, and a stage appending a row at a time left two files a row."""

from __future__ import annotations

import os
import time
from pathlib import Path

from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.staging import TXN_DIR
from yt_pipeline_dev.yql_schema import (
    BY_CONTENT,
    DECLARED_DIR,
    PRUNE_ABOVE,
    PRUNE_AFTER_S,
    declared,
    prune_declared,
)

TABLE = "//h/t"


def _grown(tmp_path: Path, appends: int) -> DevClient:
    """A YQL-written table appended to a row at a time, outside any transaction: each
    append renames a new file over the table, which keeps its schema under new entries."""
    client = DevClient(tmp_path / ".dev")
    client.write_table("//h/src", [{"k": i, "who": f"r{i}"} for i in range(5)])
    client.run_yql(f"INSERT INTO `{TABLE}` WITH TRUNCATE SELECT k, who FROM `//h/src`")
    for i in range(appends):
        client.write_table(TABLE, [{"k": 100 + i, "who": f"a{i}"}], append=True)
    return client


def _entries(root: Path) -> list[Path]:
    kept = root / DECLARED_DIR
    return [*kept.glob("*.json"), *(kept / BY_CONTENT).glob("*.json")]


def _age(entries: list[Path], seconds: float) -> None:
    then = time.time() - seconds
    for entry in entries:
        os.utime(entry, (then, then))


def test_old_entries_of_gone_versions_go_and_the_live_schema_stays(tmp_path: Path):
    client = _grown(tmp_path, PRUNE_ABOVE)
    root, live = client.root, client.table_path(TABLE)
    before = _entries(root)
    assert len(before) > 2 * PRUNE_ABOVE  # every append left two
    _age(before, PRUNE_AFTER_S + 60)
    removed = prune_declared(root, now=time.time())
    after = _entries(root)
    # left: the live table's entry by identity, and by its bytes (plus any other file's)
    assert removed == len(before) - len(after)
    assert len(after) <= 4, sorted(e.name for e in after)
    assert declared(root, live) == [("k", "BIGINT"), ("who", "VARCHAR")]
    # a query still reads the table with the columns YQL gave it
    rows = client.run_yql(f"SELECT COUNT(*) AS n, MAX(k) AS top FROM `{TABLE}`")
    assert rows == [{"n": 5 + PRUNE_ABOVE, "top": 100 + PRUNE_ABOVE - 1}]


def test_young_entries_and_few_entries_stay(tmp_path: Path):
    client = _grown(tmp_path, PRUNE_ABOVE)
    root = client.root
    before = {e.name for e in _entries(root)}
    assert prune_declared(root, now=time.time()) == 0  # all younger than PRUNE_AFTER_S
    assert {e.name for e in _entries(root)} == before
    few = _grown(tmp_path / "few", 3)
    _age(_entries(few.root), PRUNE_AFTER_S + 60)
    kept = sorted(_entries(few.root))
    assert prune_declared(few.root, now=time.time()) == 0  # too few to look at
    assert sorted(_entries(few.root)) == kept


def test_nothing_goes_while_a_transaction_is_under_way(tmp_path: Path):
    client = _grown(tmp_path, PRUNE_ABOVE)
    root = client.root
    entries = _entries(root)
    _age(entries, PRUNE_AFTER_S + 60)
    (root / TXN_DIR / "1-2-3").mkdir(parents=True)  # another process's transaction
    assert prune_declared(root, now=time.time()) == 0
    assert sorted(_entries(root)) == sorted(entries)

"""`yt-pipeline table schema` prints the same lines in dev and in prod (the fake proxy) for
the same pipeline: the declared schema of a table a YQL query wrote, the inferred columns
of one write_table wrote."""

from __future__ import annotations

import json
from pathlib import Path

from both_modes import run_both

REPO = Path(__file__).resolve().parents[2]
# examples/03_yql: load_orders writes //tmp/yql/orders with write_table; revenue writes
# //tmp/yql/revenue_by_category with a YQL INSERT of COUNT(*) and SUM(amount) by category
ORDERS, REVENUE = "//tmp/yql/orders", "//tmp/yql/revenue_by_category"


def schema_lines(run_cli, folder: Path, path: str, *args: str) -> list[str]:
    result = run_cli("table", "schema", path, "-C", str(folder), *args)
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_schema_shows_the_declared_schema_of_a_yql_table_alike_in_both_modes(
        tmp_path, fake_yt, run_cli, monkeypatch):
    dev_dir, prod_dir = run_both(REPO / "examples" / "03_yql", tmp_path, fake_yt, run_cli,
                                 monkeypatch)
    for path in (ORDERS, REVENUE):
        for args in ((), ("--format", "table")):
            assert schema_lines(run_cli, dev_dir, path, *args) == \
                schema_lines(run_cli, prod_dir, path, *args), (path, args)
    # COUNT(*) is a uint64 in the schema YQL declares, and required (a Uint64, not Optional), though its values read as int64
    assert [json.loads(line) for line in schema_lines(run_cli, prod_dir, REVENUE)] == [
        # the example's INSERT ends ORDER BY category: YQL leaves the table sorted by it
        # (test_prod_yql_sorted_inserts)
        {"column": "category", "type": "string", "sort_order": "ascending",
         "schema": "declared"},
        {"column": "orders", "type": "uint64", "required": True, "schema": "declared"},
        {"column": "revenue", "type": "double", "schema": "declared"}]
    view = schema_lines(run_cli, dev_dir, REVENUE, "--format", "table")
    assert view[0] == f"{REVENUE}: declared schema (strict)"
    assert any(line.split() == ["│", "orders", "│", "uint64", "│", "│", "true", "│"]
               for line in view)
    assert any(line.split() == ["│", "category", "│", "string", "│", "ascending", "│", "│"]
               for line in view)
    assert [json.loads(line) for line in schema_lines(run_cli, dev_dir, ORDERS)] == [
        {"column": "order_id", "types": "int64", "schema": "inferred"},
        {"column": "customer", "types": "string", "schema": "inferred"},
        {"column": "category", "types": "string", "schema": "inferred"},
        {"column": "amount", "types": "double", "schema": "inferred"}]
    assert schema_lines(run_cli, prod_dir, ORDERS, "--format", "table")[0] == (
        f"{ORDERS}: columns of the first 1,000 rows, inferred from values")

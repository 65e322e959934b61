"""Dev tables of strict schema beside tables of none, on 1,000,000 rows.

A table of strict schema (create_path with a schema, or written by YQL) has every row a write
or a map's job gives it checked against the schema, as a cluster's table writer does, and a
table sorted by its schema the order of their keys too. Printed for a write_table and for a
map (job_count 2) into such a table, and a write_table into a sorted one: the time beside the
same work into a table of no schema (the floor: no check at all), and beside them the checks
alone done row by row in Python over the same file (column_types.refused_row, and the key
order as sorted_schema compares it: what each row cost before the typed checks), measured in
the same run.

    python bench/strict_tables/run.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

SCHEMA = [{"name": "id", "type": "int64", "required": True},
          {"name": "name", "type": "string"}, {"name": "score", "type": "double"}]
MAPPER = """
from ytjobs import read_rows, write_rows

write_rows({**row, "score": row["score"] * 2} for row in read_rows())
"""


def rows(n: int):
    for i in range(n):
        yield {"id": i, "name": f"user{i}", "score": (i % 1000) / 4}


def one_round(n: int) -> dict[str, float]:
    from yt_pipeline import column_types
    from yt_pipeline.operations import OperationSpec, Resources
    from yt_pipeline_dev.client import DevClient
    from yt_pipeline_dev.launcher import launch
    from yt_pipeline_dev.sorted_schema import _first_violation
    from ytjobs.codec import iter_rows

    work = Path(tempfile.mkdtemp(prefix="ytp-strict-"))
    try:
        stage_dir = work / "stages" / "double"
        (stage_dir / "src").mkdir(parents=True)
        (stage_dir / "src" / "mapper.py").write_text(MAPPER)
        client = DevClient(work / ".dev")
        times: dict[str, float] = {}
        for kind in ("plain", "strict"):
            if kind == "strict":
                client.create_path("//strict/rows", "table", schema=SCHEMA)
                client.create_path("//strict/doubled", "table", schema=SCHEMA)
            started = time.perf_counter()
            client.write_table(f"//{kind}/rows", rows(n))
            times[f"write, {kind}"] = time.perf_counter() - started
            started = time.perf_counter()
            launch(client, OperationSpec(
                kind="map", stage_name="double", name="map", stage_dir=stage_dir,
                pipeline_dir=work, input_tables=[f"//{kind}/rows"],
                output_tables=[f"//{kind}/doubled"], mapper="src/mapper.py",
                resources=Resources(job_count=2)))
            times[f"map, {kind}"] = time.perf_counter() - started
        client.create_path("//sorted/rows", "table", schema=[{**SCHEMA[0], "sort_order": "ascending"},
                                                              *SCHEMA[1:]])
        started = time.perf_counter()
        client.write_table("//sorted/rows", rows(n))
        times["write, sorted"] = time.perf_counter() - started
        assert client.row_count("//strict/doubled") == client.row_count("//sorted/rows") == n
        columns = column_types.SchemaColumns(
            {column["name"]: column["type"] for column in SCHEMA}, ["id"])
        started = time.perf_counter()
        with client.table_path("//strict/rows").open("rb") as handle:
            assert all(column_types.refused_row(columns, row) is None
                       for row in iter_rows(handle))
        times["check row by row"] = time.perf_counter() - started
        started = time.perf_counter()
        assert _first_violation(client.table_path("//sorted/rows"), ["id"], 0) is not None
        times["key order row by row"] = time.perf_counter() - started
        return times
    finally:
        shutil.rmtree(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rounds = [one_round(args.rows) for _ in range(args.repeat)]
    median = {name: statistics.median(r[name] for r in rounds) for name in rounds[0]}
    print(f"strict tables, {args.rows:,} rows, medians of {args.repeat} runs")
    for what in ("write", "map"):
        strict, plain = median[f"{what}, strict"], median[f"{what}, plain"]
        print(f"  {what + ' into a strict table':<28} {strict:6.2f} s   no schema (the floor) "
              f"{plain:6.2f} s   the check {strict - plain:+6.2f} s")
    sorted_write = median["write, sorted"]
    print(f"  {'write into a sorted table':<28} {sorted_write:6.2f} s   no schema (the floor) "
          f"{median['write, plain']:6.2f} s   the checks "
          f"{sorted_write - median['write, plain']:+6.2f} s")
    print(f"  {'the check, row by row':<28} {median['check row by row']:6.2f} s   "
          "(Python over the written table: what each strict write cost before)")
    print(f"  {'the key order, row by row':<28} {median['key order row by row']:6.2f} s   "
          "(what each sorted write cost before, besides the check)")


if __name__ == "__main__":
    main()

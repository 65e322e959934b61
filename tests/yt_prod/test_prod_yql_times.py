"""Date, Datetime and Timestamp columns a YQL INSERT writes are the same in dev and on the fake
proxy, and as a cluster gives them: the table's schema types them date, datetime and
timestamp; read_table, a job's rows and a query's result give the counts of days, seconds
and microseconds since 1970 a cluster keeps (the JSON format has no time_mode, so it writes
the unsigned integer: yt/yt/client/formats/config.cpp registers time_mode for YSON only,
TJsonConsumer::OnUint64Scalar in yt/yt/core/json/json_writer.cpp; the types and their units
in yt/docs/en/_includes/user-guide/storage/data-types.md, ytsaurus/ytsaurus); a later query
reads them as dates and times again."""

from __future__ import annotations

import datetime

import pytest
from test_prod_dev_parity import Backends

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")

# 2026-03-01 is day 20513; 10:15:00 that day is second 1772360100
INSERT = """PRAGMA yt.InferSchema;
INSERT INTO `//tmp/times` WITH TRUNCATE
SELECT k, CAST(20513 + k AS Date) AS d, CAST(1772360100 + k AS Datetime) AS dt,
       CAST(1772360100000000 + k AS Timestamp) AS ts, CAST(NULL AS Date) AS none
FROM `//tmp/keys` ORDER BY k"""

# what each value is, in Python, from its count: a job computes it from the row it reads
MAPPER = """
import datetime
from ytjobs import read_rows, write_row

epoch = datetime.datetime(1970, 1, 1)
for row in read_rows():
    write_row({"k": row["k"], "kinds": [type(row[c]).__name__ for c in ("d", "dt", "ts")],
               "day": str((epoch + datetime.timedelta(days=row["d"])).date()),
               "moment": (epoch + datetime.timedelta(microseconds=row["ts"])).isoformat()})
"""


def _count(moment: datetime.datetime, unit: datetime.timedelta) -> int:
    return (moment - datetime.datetime(1970, 1, 1)) // unit


def test_dates_and_times_a_yql_insert_writes_read_alike_in_dev_and_on_the_fake(
        tmp_path, prod_client, fake_yt):
    both = Backends(tmp_path, prod_client, fake_yt, {"src/mapper.py": MAPPER})
    for client in (both.dev, both.prod):
        client.write_table("//tmp/keys", [{"k": 1}, {"k": 2}])
        client.run_yql(INSERT)

    schemas = [client.declared_schema("//tmp/times") for client in (both.dev, both.prod)]
    assert schemas[0] == schemas[1]
    assert {c["name"]: c["type"] for c in schemas[0]["columns"]} == {
        "k": "int64", "d": "date", "dt": "datetime", "ts": "timestamp", "none": "date"}

    dev, prod = (list(client.read_table("//tmp/times")) for client in (both.dev, both.prod))
    assert dev == prod
    moment = datetime.datetime(2026, 3, 1, 10, 15)
    assert dev[0] == {"k": 1, "d": _count(moment, datetime.timedelta(days=1)) + 1,
                      "dt": _count(moment, datetime.timedelta(seconds=1)) + 1,
                      "ts": _count(moment, datetime.timedelta(microseconds=1)) + 1,
                      "none": None}

    both.run(both.spec("map", mapper="src/mapper.py", input_tables=["//tmp/times"],
                       output_tables=["//tmp/mapped"]))
    dev_mapped, prod_mapped = both.rows("//tmp/mapped")
    assert dev_mapped == prod_mapped
    assert dev_mapped[1] == {"k": 2, "kinds": ["int", "int", "int"], "day": "2026-03-03",
                             "moment": "2026-03-01T10:15:00.000002"}

    # a later query reads the columns as dates and times: compared with a Date, cast to text
    query = ("SELECT k, CAST(d AS Utf8) AS day, d > CAST(20514 AS Date) AS late, dt, "
             "ts - CAST(1772360100000000 AS Timestamp) < CAST(1772360100000002 AS Timestamp) "
             "- CAST(1772360100000000 AS Timestamp) AS early FROM `//tmp/times` ORDER BY k")
    dev_rows, prod_rows = both.dev.run_yql(query), both.prod.run_yql(query)
    assert dev_rows == prod_rows == [
        {"k": 1, "day": "2026-03-02", "late": False, "dt": 1772360101, "early": True},
        {"k": 2, "day": "2026-03-03", "late": True, "dt": 1772360102, "early": False}]

    # and a table it writes from them keeps their types and counts
    for client in (both.dev, both.prod):
        client.run_yql("INSERT INTO `//tmp/later` WITH TRUNCATE "
                       "SELECT k, d, dt, ts FROM `//tmp/times` WHERE d > CAST(20514 AS Date)")
    dev_later, prod_later = (list(client.read_table("//tmp/later"))
                             for client in (both.dev, both.prod))
    assert dev_later == prod_later == [{key: dev[1][key] for key in ("k", "d", "dt", "ts")}]

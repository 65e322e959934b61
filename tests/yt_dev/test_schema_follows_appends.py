"""The schema a YQL INSERT gave a table (yql_schema.declare), sorted or not, follows a stage's
appends made in place into its staged file without reading the rows already there: the
entry kept by the file's bytes (for a copied `.dev` folder) is made once, when the
transaction is prepared, and is the digest of the file's own bytes after many appends, a
failed one, and across stages; a file changed by anything else has no schema; and YQL reads
the appended table with its columns' types."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from txn_helpers import commit

from yt_pipeline.errors import BackendError
from yt_pipeline_dev.client import DevClient
from yt_pipeline_dev.yql_schema import BY_CONTENT, DECLARED_DIR, declare, declared

TABLE = "//h/t"
ROWS = 20_000


def columns_of(client: DevClient, path: str = TABLE) -> list[tuple[str, str, str | None]]:
    schema = client.declared_schema(path)
    assert schema is not None, f"{path} lost the schema YQL gave it"
    return [(c["name"], c["type"], c.get("sort_order")) for c in schema["columns"]]


def content_entries(root: Path) -> set[str]:
    return {entry.name for entry in (root / DECLARED_DIR / BY_CONTENT).glob("*.json")}


def entry_name(table_file: Path) -> str:
    """The name of the entry kept by the bytes of `table_file` (yql_schema._content_file)."""
    data = table_file.read_bytes()
    return f"{len(data)}-{hashlib.sha256(data).hexdigest()}.json"


def bytes_read() -> int:
    with open("/proc/self/io") as stats:  # every byte read by a system call, cached or not
        return next(int(line.split()[1]) for line in stats if line.startswith("rchar"))


@pytest.fixture(params=[None, ["k"]], ids=["unsorted", "sorted"])
def client(request, tmp_path) -> DevClient:
    client = DevClient(tmp_path / ".dev")
    client.write_table("//h/src", ({"k": i, "who": f"r{i}", "x": i / 2} for i in range(ROWS)))
    client.run_yql(f"INSERT INTO `{TABLE}` WITH TRUNCATE SELECT k, who, x FROM `//h/src`")
    if request.param:  # a sort makes the strict schema sorted by k (sorted_schema.py)
        live = client.table_path(TABLE)
        declare(client.root, live, declared(client.root, live), request.param)
    return client


def expected_columns(client: DevClient) -> list[tuple[str, str, str | None]]:
    if client.sort_order(TABLE):
        return [("k", "int64", "ascending"), ("who", "string", None), ("x", "double", None)]
    return [("k", "int64", None), ("who", "string", None), ("x", "double", None)]


def test_appends_in_place_keep_the_schema_without_reading_the_table_again(client, tmp_path):
    want = expected_columns(client)
    assert columns_of(client) == want
    size = client.table_path(TABLE).stat().st_size
    txn = client.begin_transaction("appends")
    inside = txn.client
    before = bytes_read()
    for i in range(200):
        inside.write_table(TABLE, [{"k": ROWS + i, "who": "new", "x": 0.5}], append=True)
    read = bytes_read() - before
    # the first append copies the table; the others read their own rows only (each
    # hashed the whole file before: 200 times the table)
    assert read < 4 * size, f"200 appends of a row read {read} bytes of a {size}-byte table"
    assert columns_of(inside) == want
    commit(txn, tmp_path)  # the staged file's bytes are hashed once, as it is prepared
    assert columns_of(client) == want
    assert client.row_count(TABLE) == ROWS + 200
    assert entry_name(client.table_path(TABLE)) in content_entries(client.root)


def test_the_schema_follows_appends_across_stages_and_a_copy_of_the_folder(client, tmp_path):
    want = expected_columns(client)
    k = ROWS
    for stage in range(3):
        txn = client.begin_transaction(f"s{stage}")
        for _ in range(30):
            txn.client.write_table(TABLE, [{"k": k, "who": f"s{stage}", "x": 1.5}],
                                   append=True)
            k += 1
        commit(txn, tmp_path)
        assert columns_of(client) == want, f"after stage {stage}"
    copy = DevClient(shutil.copytree(client.root, tmp_path / "copy" / ".dev"))
    assert columns_of(copy) == want  # found by the file's bytes
    assert copy.row_count(TABLE) == k
    # YQL reads it with the schema's types: the appended rows with the others
    rows = copy.run_yql(f"SELECT who, COUNT(*) AS n, SUM(x) AS sx, MAX(k) AS mk FROM `{TABLE}` "
                        "WHERE who LIKE 's%' GROUP BY who ORDER BY who")
    assert rows == [{"who": f"s{s}", "n": 30, "sx": 45.0, "mk": ROWS + 30 * s + 29}
                    for s in range(3)]
    assert isinstance(rows[0]["sx"], float) and isinstance(rows[0]["mk"], int)


def test_a_failed_append_among_many_finds_the_schema_it_had(client, tmp_path):
    want = expected_columns(client)
    txn = client.begin_transaction("t")
    inside = txn.client
    for i in range(20):
        inside.write_table(TABLE, [{"k": ROWS + i, "who": "a", "x": 0.0}], append=True)
    staged = inside.visible_file(TABLE)
    good = staged.read_bytes()
    with pytest.raises(BackendError, match="schema"):  # a column the strict schema lacks
        inside.write_table(TABLE, [{"k": ROWS + 20, "who": "b", "x": 0.0},
                                   {"k": ROWS + 21, "extra": 1}], append=True)
    assert staged.read_bytes() == good
    assert columns_of(inside) == want
    for i in range(20, 40):
        inside.write_table(TABLE, [{"k": ROWS + i, "who": "c", "x": 0.0}], append=True)
    assert columns_of(inside) == want
    commit(txn, tmp_path)
    assert columns_of(client) == want
    assert entry_name(client.table_path(TABLE)) in content_entries(client.root)
    copy = DevClient(shutil.copytree(client.root, tmp_path / "copy" / ".dev"))
    assert columns_of(copy) == want
    assert [r["who"] for r in copy.read_table(TABLE)][ROWS:] == ["a"] * 20 + ["c"] * 20


def test_a_staged_file_changed_by_anything_else_has_no_schema(client, tmp_path):
    txn = client.begin_transaction("t")
    inside = txn.client
    for i in range(5):
        inside.write_table(TABLE, [{"k": ROWS + i, "who": "a", "x": 0.0}], append=True)
    staged = inside.visible_file(TABLE)
    with staged.open("ab") as out:  # grown by another writer: not the file dev wrote
        out.write(b'{"k": 99999999, "who": "edit", "x": 0.0}\n')
    inside.write_table(TABLE, [{"k": ROWS + 5, "who": "a", "x": 0.0}], append=True)
    assert inside.declared_schema(TABLE) is None
    assert entry_name(staged) not in content_entries(client.root)
    commit(txn, tmp_path)
    assert client.declared_schema(TABLE) is None
    copy = DevClient(shutil.copytree(client.root, tmp_path / "copy" / ".dev"))
    assert copy.declared_schema(TABLE) is None


def test_a_live_table_edited_after_appends_loses_its_schema_in_a_copy_too(client, tmp_path):
    txn = client.begin_transaction("t")
    for i in range(5):
        txn.client.write_table(TABLE, [{"k": ROWS + i, "who": "a", "x": 0.0}], append=True)
    commit(txn, tmp_path)
    live = client.table_path(TABLE)
    data = live.read_bytes()
    live.write_bytes(data.replace(b'"who":"a"', b'"who":"b"', 1))  # same size, other bytes
    assert client.declared_schema(TABLE) is None
    copy = DevClient(shutil.copytree(client.root, tmp_path / "copy" / ".dev"))
    assert copy.declared_schema(TABLE) is None


def test_an_append_to_a_sorted_table_whose_last_row_is_long_is_checked_against_it(tmp_path):
    # the last row is looked for in the table's last few KiB first, then further back
    client = DevClient(tmp_path / ".dev")
    client.write_table("//h/src", [{"k": 1, "who": "a"}, {"k": 5, "who": "b" * 20_000}])
    client.run_yql(f"INSERT INTO `{TABLE}` WITH TRUNCATE SELECT k, who FROM `//h/src`")
    live = client.table_path(TABLE)
    declare(client.root, live, declared(client.root, live), ["k"])
    txn = client.begin_transaction("t")
    txn.client.write_table(TABLE, [{"k": 6, "who": "c" * 9000}], append=True)
    with pytest.raises(BackendError, match=r"Sort order violation: \[6\] > \[4\]"):
        txn.client.write_table(TABLE, [{"k": 4, "who": "d"}], append=True)
    txn.client.write_table(TABLE, [{"k": 6, "who": "e"}], append=True)
    commit(txn, tmp_path)
    assert [(r["k"], r["who"][0]) for r in client.read_table(TABLE)] == [
        (1, "a"), (5, "b"), (6, "c"), (6, "e")]
    assert client.sort_order(TABLE) == ["k"]

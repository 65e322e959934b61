"""DevClient tables: paths, atomic writes and appends, exact round-trips, listing, the log."""

from __future__ import annotations

import pytest

from yt_pipeline.errors import BackendError, InvalidTablePath, TableNotFound
from yt_pipeline_dev.client import DevClient

ROWS = [
    {"id": 1, "big": 2**63 + 7, "huge": -(2**63), "name": "Zoë ✓"},
    {"id": 2, "nested": {"a": [1, {"b": None}], "c": {"d": [True]}}, "none": None},
]


@pytest.fixture
def client(tmp_path):
    return DevClient(tmp_path / ".dev")


def test_whole_path_maps_to_a_file(client, tmp_path):
    client.write_table("//a/users", [{"x": 1}])
    client.write_table("//b/users", [{"x": 2}])
    assert (tmp_path / ".dev/a/users.jsonl").read_text() == '{"x":1}\n'
    assert list(client.read_table("//b/users")) == [{"x": 2}]


@pytest.mark.parametrize("bad", ["tmp/x", "/tmp/x", "//tmp/../x", "//tmp//x", "//a/./b",
                                 "//t{a,b}", "//t[#1:2]", "<append=true>//t", "//", 5])
def test_bad_paths_rejected(client, bad):
    with pytest.raises(InvalidTablePath):
        client.write_table(bad, [])


def test_round_trip_exact_from_a_generator(client):
    written = client.write_table("//tmp/t", (row for row in ROWS))
    assert written == 2
    back = client.read_table("//tmp/t")
    assert not isinstance(back, list)
    assert list(back) == ROWS
    assert client.row_count("//tmp/t") == 2


def test_append_and_overwrite(client):
    client.write_table("//tmp/t", [{"n": 1}])
    client.write_table("//tmp/t", [{"n": 2}], append=True)
    assert [r["n"] for r in client.read_table("//tmp/t")] == [1, 2]
    client.write_table("//tmp/t", [{"n": 3}])
    assert [r["n"] for r in client.read_table("//tmp/t")] == [3]
    client.write_table("//tmp/new", [{"n": 4}], append=True)
    assert client.row_count("//tmp/new") == 1


def _failing(after: int):
    for i in range(10_000):
        if i == after:
            raise RuntimeError("generator broke")
        yield {"i": i}


@pytest.mark.parametrize("append", [False, True])
def test_failed_write_leaves_table_as_it_was(client, append):
    client.write_table("//tmp/t", [{"keep": 1}])
    before = client.table_path("//tmp/t").read_bytes()
    with pytest.raises(RuntimeError, match="generator broke"):
        client.write_table("//tmp/t", _failing(6000), append=append)
    assert client.table_path("//tmp/t").read_bytes() == before
    assert [p.name for p in client.table_path("//tmp/t").parent.iterdir()] == ["t.jsonl"]


def test_failed_first_write_leaves_no_table(client):
    with pytest.raises(BackendError, match="rows must be dicts"):
        client.write_table("//tmp/t", [{"a": 1}, [1, 2]])
    assert not client.exists("//tmp/t")


def test_missing_table_errors_name_the_path(client):
    with pytest.raises(TableNotFound, match="//tmp/nope"):
        client.read_table("//tmp/nope")
    with pytest.raises(TableNotFound, match="//tmp/nope"):
        client.row_count("//tmp/nope")


def test_exists_remove_list_create(client):
    assert not client.exists("//tmp/t")
    client.create_path("//tmp/dir/sub")
    client.write_table("//tmp/t", [])
    client.write_table("//tmp/dir/x", [{"a": 1}])
    assert client.exists("//tmp/t") and client.exists("//tmp/dir/sub")
    assert client.row_count("//tmp/t") == 0
    assert client.list("//tmp") == ["dir", "t"]
    assert client.list("//tmp/dir") == ["sub", "x"]
    with pytest.raises(BackendError, match="not empty"):
        client.remove("//tmp/dir")
    client.remove("//tmp/dir", recursive=True)
    client.remove("//tmp/t")
    assert not client.exists("//tmp/t") and client.list("//tmp") == []
    client.remove("//tmp/gone")  # force: a missing path is fine
    with pytest.raises(TableNotFound):
        client.remove("//tmp/gone", force=False)
    with pytest.raises(BackendError, match="is a table"):
        client.write_table("//tmp/t2", []) or client.list("//tmp/t2")


def test_row_count_without_final_newline(client):
    path = client.table_path("//tmp/raw")
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"a":1}\n{"a":2}')
    assert client.row_count("//tmp/raw") == 2
    client.write_table("//tmp/raw", [{"a": 3}], append=True)
    assert [r["a"] for r in client.read_table("//tmp/raw")] == [1, 2, 3]


def test_bad_json_names_the_table(client):
    path = client.table_path("//tmp/broken")
    path.parent.mkdir(parents=True)
    path.write_bytes(b'{"a":1}\nnot json\n')
    with pytest.raises(BackendError, match="//tmp/broken"):
        list(client.read_table("//tmp/broken"))


def test_fingerprint_follows_content(client):
    assert client.table_fingerprint("//tmp/t") is None
    client.write_table("//tmp/t", [{"a": 1}])
    first = client.table_fingerprint("//tmp/t")
    client.write_table("//tmp/t", [{"a": 2}])
    assert client.table_fingerprint("//tmp/t") != first


def test_operation_log_records_writes(client, tmp_path):
    client.write_table("//tmp/t", [{"a": 1}, {"a": 2}])
    client.write_table("//tmp/t", [{"a": 3}], append=True)
    lines = (tmp_path / ".dev/operation.log").read_text().splitlines()
    assert "write_table //tmp/t rows=2 duration=" in lines[0]
    assert "append_table //tmp/t rows=1 duration=" in lines[1]


def test_table_path_keyword_as_yt_framework_names_it(client):
    assert client.write_table(table_path="//tmp/kw", rows=[{"n": 1}, {"n": 2}]) == 2
    client.write_table(table_path="//tmp/kw", rows=[{"n": 3}], append=True)
    assert list(client.read_table(table_path="//tmp/kw")) == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert client.row_count(table_path="//tmp/kw") == 3
    with pytest.raises(TypeError, match="got the table twice"):
        client.write_table("//tmp/kw", table_path="//tmp/other", rows=[])
    assert not client.exists("//tmp/other")


@pytest.mark.parametrize("append", [False, True])
def test_a_row_over_the_row_weight_limit_is_refused_and_the_table_kept(client, append):
    client.write_table("//tmp/heavy", [{"keep": 1}])
    rows = [{"n": 1}, {"n": 2}, {"blob": "x" * (16 * 1024 * 1024 - 7), "n": 1}, {"n": 4}]
    with pytest.raises(BackendError, match=r"write_table //tmp/heavy: row 3 is 16777218 bytes "
                                           r"of data, over the row weight limit of 16777216 b"):
        client.write_table("//tmp/heavy", iter(rows), append=append)
    assert list(client.read_table("//tmp/heavy")) == [{"keep": 1}]
    # a writer takes only a row lighter than its limit (ValidateRowWeight: `weight <
    # MaxRowWeight`, yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp, the weight
    # counted from 1 by UpdateDataWeight there): exactly the limit is refused, one byte less
    # is a row like any other, its column names and escapes not counted
    with pytest.raises(BackendError, match=r"row 1 is 16777216 bytes of data"):
        client.write_table("//tmp/heavy", [{"blob": "x" * (16 * 1024 * 1024 - 1)}])
    light = {"blob": "\x01" * (16 * 1024 * 1024 - 2)}
    assert client.write_table("//tmp/heavy", [light]) == 1
    assert client.row_count("//tmp/heavy") == 1


def test_a_heavy_row_after_many_batches_is_named_by_its_number(client):
    # rows are counted from the file only when one is refused: every batch before it is there
    client.write_table("//tmp/heavy", [{"keep": 1}] * 3)
    rows = [{"n": n} for n in range(1499)] + [{"blob": "x" * (16 * 1024 * 1024 + 1)}]
    with pytest.raises(BackendError, match=r"write_table //tmp/heavy: row 1500 is 16777218 "):
        client.write_table("//tmp/heavy", iter(rows), append=True)
    assert client.row_count("//tmp/heavy") == 3


@pytest.mark.parametrize("text", ["\x01" * (3 * 1024 * 1024), '"' * (9 * 1024 * 1024)],
                         ids=["control characters", "quotes"])
def test_a_row_whose_text_is_over_the_limit_but_data_under_it_is_written(client, text):
    # YT weighs a row by its data: escapes make the JSON text 2 to 6 times longer
    assert client.write_table("//tmp/escaped", [{"doc": text}]) == 1
    assert list(client.read_table("//tmp/escaped")) == [{"doc": text}]


def test_yt_framework_client_keywords(client):
    client.create_path("//home/x", node_type="map_node")
    client.write_table(table_path="//home/x/t", rows=[{"a": 1}], replication_factor=1)
    assert list(client.read_table(table_path="//home/x/t")) == [{"a": 1}]
    client.create_path("//home/x/empty", node_type="table")
    assert client.exists("//home/x/empty") and client.row_count("//home/x/empty") == 0
    client.create_path("//home/x/t", node_type="table")  # an existing table keeps its rows
    assert client.row_count("//home/x/t") == 1
    with pytest.raises(BackendError, match="dev mode creates a map_node or a table, not a file"):
        client.create_path("//home/x/f", node_type="file")
    assert client.run_yql("SELECT COUNT(*) AS n FROM `//home/x/t`", pool="research",
                          max_row_weight="128M") == [{"n": 1}]


def test_a_run_removes_the_temporary_files_a_killed_run_left(tmp_path, run_cli):
    import os
    import time

    from yt_pipeline.testing import write_pipeline

    stage = ("from yt_pipeline import BaseStage\n\nclass W(BaseStage):\n"
             "    def run(self, debug):\n"
             "        self.deps.yt_client.write_table('//tmp/w/out', [{'n': 1}])\n"
             "        return debug\n")
    root = write_pipeline(tmp_path / "p", {"stages/w/stage.py": stage},
                          config={"pipeline": {"mode": "dev"},
                                  "stages": {"enabled_stages": ["w"]}})
    left = root / ".dev/tmp/w/.out.jsonl.k1ll3d.tmp"
    # a failed operation's sandbox is kept
    kept = root / ".dev/.sandboxes/sandbox_a_to_b/.notes.tmp"
    for path in (left, kept):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('{"half": ')
        os.utime(path, (time.time() - 60, time.time() - 60))
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    assert not left.exists() and kept.exists()
    assert [p.name for p in (root / ".dev/tmp/w").iterdir()] == ["out.jsonl"]

"""A stage's second and later appends of a table write its staged file in place: the table is
copied once per transaction, a failed append leaves the staged table as it was (its bytes,
its staging record, its schema), and readers of the stage never see an append half-written."""

from __future__ import annotations

import errno
import itertools
import random
import threading
import time

import pytest
from txn_helpers import commit

import yt_pipeline_dev.client as client_module
import yt_pipeline_dev.txn as txn_module
from yt_pipeline.errors import BackendError
from yt_pipeline_dev.client import DevClient, UnsortedWrite
from yt_pipeline_dev.yql_schema import declare

TABLE = "//h/history"
BASE = [{"k": i, "who": "base"} for i in range(40)]


@pytest.fixture
def live(tmp_path) -> DevClient:
    client = DevClient(tmp_path / ".dev")
    client.write_table(TABLE, BASE)
    return client


def rows(client: DevClient) -> list[dict]:
    return list(client.read_table(TABLE))


def record_of(txn) -> tuple:
    entry = txn.staging.tables[TABLE]
    return entry.kind, entry.file, entry.base, entry.offset


def test_a_stage_appending_a_row_at_a_time_copies_the_table_once(live, tmp_path, monkeypatch):
    copied: list[int] = []
    copy = txn_module.copy_table
    monkeypatch.setattr(txn_module, "copy_table",
                        lambda source, out: copied.append(copy(source, out)) or copied[-1])
    txn = live.begin_transaction("t")
    mine = [{"k": 100 + i, "who": "stage"} for i in range(200)]
    for row in mine:
        txn.client.write_table(TABLE, [row], append=True)
    assert copied == [live.table_path(TABLE).stat().st_size]  # the first append only
    assert rows(txn.client) == BASE + mine
    assert txn.client.row_count(TABLE) == len(BASE) + len(mine)
    assert rows(live) == BASE
    commit(txn, tmp_path)
    assert rows(live) == BASE + mine


class DiskFull:
    """weighed_writer whose file system fills up after `room` bytes: the write that finds
    it full writes what fits (part of a row), then fails."""

    def __init__(self, room: int):
        self.room = room

    def __call__(self, out, path):
        def write(data):
            if len(data) > self.room:
                out.write(bytes(data[:self.room]))
                out.flush()
                raise OSError(errno.ENOSPC, "No space left on device")
            self.room -= len(data)
            return out.write(data)
        return write


def failing_append(rng: random.Random, start: int, sorted_table: bool):
    """(rows, what goes wrong, the error's type, words the message holds) for an append that
    fails after some of its rows were written."""
    good = [{"k": start + i, "who": "failed"} for i in range(rng.randint(1, 300))]
    kind = rng.choice(["not a row", "generator", "disk full"] + ["unsorted"] * sorted_table)
    if kind == "not a row":
        return [*good, 7, *good], kind, BackendError, "rows must be dicts, got int"
    if kind == "unsorted" and rng.random() < 0.5:  # in order, but before the last row
        return [{"k": -i, "who": "failed"} for i in range(len(good), 0, -1)], kind, \
            UnsortedWrite, "Sort order violation"
    if kind == "unsorted":  # in order after the last row, then a row before the one before
        return [*good, {"k": start, "who": "failed"}], kind, UnsortedWrite, \
            "Sort order violation"

    def then_fail():
        yield from good
        raise RuntimeError("the generator broke")
    if kind == "generator":
        return then_fail(), kind, RuntimeError, "generator broke"
    return good, kind, OSError, TABLE


@pytest.mark.parametrize("sorted_table", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_failed_appends_leave_the_staged_table_as_it_was(live, tmp_path, monkeypatch, seed,
                                                         sorted_table):
    rng = random.Random(seed * 2 + sorted_table)
    if sorted_table:  # a strict schema a sort made sorted by k (sorted_schema.py)
        declare(live.root, live.table_path(TABLE), [("k", "int64"), ("who", "string")], ["k"])
    txn = live.begin_transaction("t")
    inside = txn.client
    theirs: list[dict] = []
    model = list(BASE)
    k = 1000
    inside.write_table(TABLE, [{"k": k, "who": "stage"}], append=True)
    model.append({"k": k, "who": "stage"})
    for step in range(25):
        if rng.random() < 0.5:
            batch = [{"k": k + 1 + i, "who": "stage"} for i in range(rng.randint(1, 400))]
            k += len(batch)
            assert inside.write_table(TABLE, batch, append=True) == len(batch)
            model += batch
        else:
            staged = inside.visible_file(TABLE)
            before = (staged.read_bytes(), record_of(txn), inside.table_fingerprint(TABLE),
                      inside.sort_order(TABLE), inside.vouched_for(TABLE))
            data, kind, error, words = failing_append(rng, k + 1, sorted_table)
            if kind == "disk full":
                # each row is more than 20 bytes: the disk fills before the last one
                room = rng.randint(0, 20 * len(data) - 1)
                monkeypatch.setattr(client_module, "weighed_writer", DiskFull(room))
            with pytest.raises(error) as raised:
                inside.write_table(TABLE, data, append=True)
            monkeypatch.undo()
            label = f"seed {seed} step {step} ({kind})"
            assert words in str(raised.value), label
            after = (staged.read_bytes(), record_of(txn), inside.table_fingerprint(TABLE),
                     inside.sort_order(TABLE), inside.vouched_for(TABLE))
            assert after == before, label
        assert rows(inside) == model, f"seed {seed} step {step}"
        assert inside.row_count(TABLE) == len(model)
        if not sorted_table and rng.random() < 0.2:  # another stage appends and commits
            other = live.begin_transaction("other")
            extra = [{"k": -step, "who": "other"}]
            other.client.write_table(TABLE, extra, append=True)
            commit(other, tmp_path)
            theirs += extra
    commit(txn, tmp_path)
    # the rows others appended meanwhile come first (the commit's rebase), then the stage's
    assert rows(live) == BASE + theirs + model[len(BASE):]
    if sorted_table:
        assert live.sort_order(TABLE) == ["k"]


def test_a_read_inside_the_appending_generator_sees_the_table_before_the_append(live):
    txn = live.begin_transaction("t")
    inside = txn.client
    wide = "x" * 300_000  # rows wider than the write buffer: the file holds part of a batch
    first = [{"k": 1, "who": wide}]
    inside.write_table(TABLE, first, append=True)
    print_before = inside.table_fingerprint(TABLE)
    seen = []

    def produce():
        for i in range(8):
            seen.append((rows(inside), inside.row_count(TABLE), inside.table_fingerprint(TABLE),
                         inside.visible_file(TABLE).stat().st_size))
            yield {"k": 2 + i, "who": wide}

    inside.write_table(TABLE, produce(), append=True)
    assert seen[-1][3] > 3 * 300_000  # the staged file had grown under the readers
    for got, count, fingerprint, _ in seen:
        assert got == BASE + first and count == len(BASE) + 1
        assert fingerprint == print_before
    assert rows(inside) == BASE + first + [{"k": 2 + i, "who": wide} for i in range(8)]


def test_a_thread_reading_while_another_appends_sees_whole_appends(live):
    txn = live.begin_transaction("t")
    inside = txn.client
    wide = "y" * 100_000
    batches = [[{"k": b, "n": n, "who": wide} for n in range(3)] for b in range(40)]
    inside.write_table(TABLE, batches[0], append=True)
    done = threading.Event()
    reads: list[list[dict]] = []

    def read():
        while not done.is_set():
            reads.append(rows(inside))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for batch in batches[1:]:
            inside.write_table(TABLE, batch, append=True)
            # the reader gets a turn between two appends, however loaded the machine (it
            # may wait long for the interpreter's lock): reads then fall before, during and
            # after appends alike
            before, deadline = len(reads), time.monotonic() + 5
            while len(reads) == before and time.monotonic() < deadline:
                time.sleep(0.001)
    finally:
        done.set()
        reader.join()
    expected = BASE + [row for batch in batches for row in batch]
    assert len(reads) > 3
    for got in reads:
        # a whole number of appends, each whole: never a part of one
        assert (len(got) - len(BASE)) % 3 == 0 and got == expected[:len(got)]


def test_a_write_of_a_table_from_the_generator_of_an_append_to_it_is_refused(live):
    txn = live.begin_transaction("t")
    inside = txn.client
    inside.write_table(TABLE, [{"k": 1}], append=True)

    def produce():
        yield {"k": 2}
        inside.write_table(TABLE, [{"k": 3}], append=True)

    with pytest.raises(BackendError, match=f"write_table {TABLE}: the table is being written"):
        inside.write_table(TABLE, produce(), append=True)
    assert rows(inside) == [*BASE, {"k": 1}]


def test_a_query_reading_its_stage_s_insert_during_an_append_sees_the_table_before_it(live):
    txn = live.begin_transaction("t")
    inside = txn.client
    # a table an INSERT of the stage filled whole, which its later queries may read
    inside.run_yql("INSERT INTO `//h/view` WITH TRUNCATE SELECT 1 AS k, 'a' AS who")
    wide = "z" * 300_000
    counted = []

    def produce():
        for i in range(6):
            counted.append(inside.run_yql("SELECT COUNT(*) AS n FROM `//h/view`"))
            yield {"k": 2 + i, "who": wide}

    inside.write_table("//h/view", produce(), append=True)
    assert counted == [[{"n": 1}]] * 6  # DuckDB reads the file to its end: never a part
    got = list(inside.read_table("//h/view"))
    assert got == [{"k": 1, "who": "a"}] + [{"k": 2 + i, "who": wide} for i in range(6)]


def test_a_query_s_sorted_merge_that_fails_leaves_the_staged_table_as_it_was(
        live, tmp_path, monkeypatch):
    import yt_pipeline_dev.yql_duckdb as yql_duckdb

    declare(live.root, live.table_path(TABLE), [("k", "int64"), ("who", "string")], ["k"])
    live.write_table("//h/more", [{"k": 5, "who": "query"}, {"k": 500, "who": "query"}])
    txn = live.begin_transaction("t")
    inside = txn.client
    mine = [{"k": 1000, "who": "stage"}]
    inside.write_table(TABLE, mine, append=True)
    before = inside.visible_file(TABLE).read_bytes()
    merge = yql_duckdb.merge_in

    def merged_then_failed(*args, **kwargs):
        merge(*args, **kwargs)  # the file replaced by the merged one
        raise KeyboardInterrupt

    monkeypatch.setattr(yql_duckdb, "merge_in", merged_then_failed)
    with pytest.raises(KeyboardInterrupt):
        inside.run_yql(f"INSERT INTO `{TABLE}` SELECT k, who FROM `//h/more`")
    assert inside.visible_file(TABLE).read_bytes() == before
    assert rows(inside) == BASE + mine
    monkeypatch.undo()
    inside.run_yql(f"INSERT INTO `{TABLE}` SELECT k, who FROM `//h/more`")
    merged = sorted([*BASE, *mine, {"k": 5, "who": "query"}, {"k": 500, "who": "query"}],
                    key=lambda row: row["k"])
    assert rows(inside) == merged
    commit(txn, tmp_path)
    assert rows(live) == merged


MAPPER = """
    import os, sys
    from ytjobs import read_rows, write_rows
    job = int(os.environ["YT_JOB_COOKIE"])
    rows = [{**row, "mapped": job} for row in read_rows()]
    write_rows(rows[:1])
    if os.environ.get("BAD_SWITCH") == str(job):  # the job fails, on every attempt
        sys.stdout.write('{"$attributes":{"table_index":5},"$value":null}\\n')
    write_rows(rows[1:])
"""


def test_an_operation_appending_to_its_own_staged_input_in_place(dev_client, stages,
                                                                  monkeypatch):
    from yt_pipeline.errors import OperationFailed
    from yt_pipeline_dev.launcher import launch

    stages("m", {"src/mapper.py": MAPPER})
    dev_client.write_table(TABLE, BASE)
    txn = dev_client.begin_transaction("t")
    inside = txn.client
    mine = [{"k": 100 + i, "who": "stage"} for i in range(3)]
    inside.write_table(TABLE, mine[:1], append=True)
    inside.write_table(TABLE, mine[1:], append=True)
    spec = stages.spec("map", "m", job_count=2, input_tables=[TABLE], output_tables=[TABLE],
                       mapper="src/mapper.py", append=True, max_failed_job_count=1)
    monkeypatch.setenv("BAD_SWITCH", "1")
    before = inside.visible_file(TABLE).read_bytes()
    with pytest.raises(OperationFailed, match="Invalid table index 5: expected integer in range"):
        launch(inside, spec)  # job 0 ended well, job 1 failed: none of their rows is placed
    assert inside.visible_file(TABLE).read_bytes() == before
    monkeypatch.delenv("BAD_SWITCH")
    launch(inside, spec)  # reads the table as it was when it started, appends to it
    got = list(inside.read_table(TABLE))
    staged = BASE + mine
    assert got[:len(staged)] == staged
    assert [{k: v for k, v in row.items() if k != "mapped"} for row in got[len(staged):]] \
        == staged
    assert {row["mapped"] for row in got[len(staged):]} == {0, 1}


def test_a_read_begun_before_a_later_append_ends_where_the_table_was(live):
    txn = live.begin_transaction("t")
    inside = txn.client
    inside.write_table(TABLE, [{"k": 100, "who": "stage"}], append=True)  # the copy
    reading = iter(inside.read_table(TABLE))
    first = next(reading)
    inside.write_table(TABLE, [{"k": 101, "who": "stage"}], append=True)  # in place
    # as a read of the version before a copied append was: that version to its end only
    assert [first, *reading] == [*BASE, {"k": 100, "who": "stage"}]
    assert rows(inside) == [*BASE, {"k": 100, "who": "stage"}, {"k": 101, "who": "stage"}]


def test_an_append_of_a_table_s_own_rows_read_before_it_began_adds_each_once(live):
    txn = live.begin_transaction("t")
    inside = txn.client
    wide = "w" * 1000  # a table of several read blocks (atomic.CHUNK): read on as it grows
    mine = [{"k": 1000 + i, "who": wide} for i in range(3000)]
    inside.write_table(TABLE, mine, append=True)
    reading = iter(inside.read_table(TABLE))
    first = next(reading)
    copied: list[dict] = []

    def again():
        for row in itertools.chain([first], reading):
            if len(copied) > 2 * (len(BASE) + len(mine)):
                raise AssertionError("the generator reads the rows it appends")
            copied.append(row)
            yield row

    inside.write_table(TABLE, again(), append=True)
    assert copied == BASE + mine
    assert rows(inside) == (BASE + mine) * 2
    assert inside.row_count(TABLE) == 2 * (len(BASE) + len(mine))


@pytest.mark.parametrize("removed", [TABLE, "//h"])
def test_a_removal_of_a_table_from_the_generator_of_an_append_to_it_is_refused(
        live, tmp_path, removed):
    txn = live.begin_transaction("t")
    inside = txn.client
    inside.write_table(TABLE, [{"k": 1}], append=True)

    def produce():
        yield {"k": 2}
        # it deleted the staged file being appended to: the append reported its rows
        # written and the table was gone
        inside.remove(removed, recursive=True)
        yield {"k": 3}

    with pytest.raises(BackendError, match=f"remove {removed}: table {TABLE} is being written"):
        inside.write_table(TABLE, produce(), append=True)
    assert rows(inside) == [*BASE, {"k": 1}]
    commit(txn, tmp_path)
    assert rows(live) == [*BASE, {"k": 1}]


def test_another_thread_sees_the_schema_of_a_table_during_an_append_in_place(live):
    columns = [("k", "int64"), ("who", "string")]
    declare(live.root, live.table_path(TABLE), columns, ["k"])  # sorted strict schema
    txn = live.begin_transaction("t")
    inside = txn.client
    inside.write_table(TABLE, [{"k": 100, "who": "stage"}], append=True)
    before = (inside.sort_order(TABLE), inside.declared_schema(TABLE))
    assert before[0] == ["k"] and before[1] is not None
    growing, looked = threading.Event(), threading.Event()
    seen = []

    def produce():
        for i in range(6):  # past the write buffer (atomic.CHUNK): the staged file grows
            yield {"k": 101 + i, "who": "w" * 300_000}
        growing.set()
        looked.wait(10)
        yield {"k": 200, "who": "stage"}

    def look():
        growing.wait(10)
        seen.append((inside.sort_order(TABLE), inside.declared_schema(TABLE),
                     inside.row_count(TABLE)))
        looked.set()

    other = threading.Thread(target=look)
    other.start()
    inside.write_table(TABLE, produce(), append=True)
    other.join()
    assert seen == [(*before, len(BASE) + 1)]
    assert (inside.sort_order(TABLE), inside.declared_schema(TABLE)) == before
    assert inside.row_count(TABLE) == len(BASE) + 8


def test_appends_in_place_to_a_table_of_schema_hash_it_once_and_a_copy_keeps_it(
        live, tmp_path, monkeypatch):
    import shutil

    import yt_pipeline_dev.yql_schema as schema_module

    columns = [("k", "int64"), ("who", "string")]
    declare(live.root, live.table_path(TABLE), columns, ["k"])
    hashed: list[str] = []
    content_file = schema_module._content_file
    monkeypatch.setattr(schema_module, "_content_file", lambda root, table_file, *rest: (
        hashed.append(table_file.parent.parent.name), content_file(root, table_file, *rest))[1])
    txn = live.begin_transaction("t")
    mine = [{"k": 100 + i, "who": "stage"} for i in range(30)]
    for row in mine:
        txn.client.write_table(TABLE, [row], append=True)
    # each append hashed the whole staged file to key its schema by its bytes
    assert hashed == []
    schema = txn.client.declared_schema(TABLE)
    commit(txn, tmp_path)
    assert hashed == [".txn"]  # once, the version committed
    copy = DevClient(shutil.copytree(live.root, tmp_path / "copy" / ".dev"))
    assert list(copy.read_table(TABLE)) == BASE + mine
    assert copy.declared_schema(TABLE) == schema == live.declared_schema(TABLE)
    assert copy.sort_order(TABLE) == ["k"]

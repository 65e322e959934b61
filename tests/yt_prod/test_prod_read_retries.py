"""A prod table read whose connection breaks half-way goes on where it stopped, in its own
transaction and by the node it locked, and gives every row once.

ytsaurus-client retries a read (`ReadIterator` in yt/wrapper/heavy_commands.py) from the
row after the last one it parsed (`_ReadTableRetriableState` in yt/wrapper/
table_commands.py): the first row's index comes from the response's `start_row_index`,
and a path of several ranges is read with the `row_index` and `range_index` control rows on,
telling it where each range begins; it miscounts those in JSON, and prod reads such a path
a range at a time (table_reads._one_range_each). The fake answers as a cluster's driver
does (TReadTableCommand::DoExecute in yt/yt/client/driver/table_commands.cpp), writes the
control rows as a cluster's format writer does, and reads a path's single range given as
top-level `lower_limit`/`upper_limit` attributes, which a retry of a path without ranges
sends (TRichYPath::GetRanges, yt/yt/client/ypath/rich.cpp).
"""

from __future__ import annotations

from typing import Any

import pytest

from yt_pipeline_prod.client import ProdClient
from yt_pipeline_prod.settings import ProdSettings
from yt_pipeline_prod.testing import TEST_TOKEN

TABLE = "//tmp/read_retries"
ROWS = [{"a": n, "b": f"v{n}"} for n in range(40)]


@pytest.fixture
def retrying(fake_yt):
    retries = {"enable": True, "count": 4, "total_timeout": None,
               "backoff": {"policy": "constant_time", "constant_time": 10}}
    client = ProdClient(ProdSettings(proxy=fake_yt.url, token=TEST_TOKEN, retries=True,
                                     yt_config={"read_retries": retries,
                                                "proxy": {"retries": retries},
                                                "transaction_sleep_period": 5}))
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def asked(monkeypatch) -> list[tuple[Any, Any]]:
    """The transaction and path of every read_table request the fake answers."""
    from yt_pipeline_prod.fake import dispatch
    from yt_pipeline_prod.fake.cypress_commands import transaction_of

    seen: list[tuple[Any, Any]] = []
    handle = dispatch.HANDLERS["read_table"]

    def recording(state: Any, request: Any) -> Any:
        seen.append((transaction_of(request), request.param("path")))
        return handle(state, request)

    monkeypatch.setitem(dispatch.HANDLERS, "read_table", recording)
    return seen


@pytest.mark.parametrize("path, columns, expected", [
    (TABLE, None, ROWS),
    (TABLE, ["b"], [{"b": row["b"]} for row in ROWS]),
    (TABLE + "[#5:#33]", None, ROWS[5:33]),
    (TABLE + "{a}[#2:#9,#20:#38]", None,
     [{"a": row["a"]} for row in ROWS[2:9] + ROWS[20:38]]),
    (TABLE + "[#30:,#0:#12]", None, ROWS[30:] + ROWS[:12]),
    (TABLE + "[#0:#1,#3:#4,#39:,#1:#39]", None, ROWS[0:1] + ROWS[3:4] + ROWS[39:] + ROWS[1:39]),
])
def test_a_read_cut_half_way_gives_every_row_once(retrying, fake_yt, asked, path, columns,
                                                  expected):
    fake_yt.put_table(TABLE, ROWS)
    node_id = str(fake_yt.state.cypress.lookup(TABLE, None).id)
    fake_yt.faults.cut_next("read_table")
    rows = retrying.read_columns(path, columns)
    assert list(iter(rows)) == expected
    assert fake_yt.faults.fired["read_table"] == 1
    # a request a range (several ranges are read one at a time: table_reads.py), and the
    # one sent again, all in the read's one transaction, by the node it locked
    assert len(asked) == max(1, path.count(",") + 1) + 1
    assert len({transaction for transaction, _ in asked}) == 1 and asked[0][0] is not None
    assert {str(path) for _, path in asked} == {"#" + node_id}
    assert fake_yt.transaction_count() == 0


# -- the fake answers a read as a cluster does ------------------------------------------

def _raw_read(yt, path: str, **options: Any) -> tuple[list[str], dict[str, Any]]:
    """The lines of a read's answer, and its response parameters."""
    parameters: dict[str, Any] = {}
    stream = yt.read_table(path, format="json", raw=True, response_parameters=parameters,
                           **options)
    return stream.read().decode().splitlines(), parameters


def test_a_read_names_its_first_rows_index_when_it_has_rows(yt, fake_yt):
    # TReadTableCommand::DoExecute: `start_row_index` only when the reader has rows
    fake_yt.put_table(TABLE, ROWS)
    assert _raw_read(yt, TABLE + "[#7:#9]") == (['{"a":7,"b":"v7"}', '{"a":8,"b":"v8"}'],
                                               {"approximate_row_count": 2,
                                                "start_row_index": 7})
    assert _raw_read(yt, TABLE + "[#7:#7]") == ([], {"approximate_row_count": 0})


def test_a_read_writes_the_row_and_range_indexes_asked(yt, fake_yt):
    # TSchemalessFormatWriterBase::WriteControlAttributes (yt/yt/client/formats/
    # schemaless_writer_adapter.cpp): each control attribute an entity of its own, the
    # row index after every range index and wherever rows do not follow each other
    fake_yt.put_table(TABLE, ROWS)
    lines, _ = _raw_read(yt, TABLE + "{a}[#1:#3,#3:#4,#9:#10]", control_attributes={
        "enable_row_index": True, "enable_range_index": True})
    assert lines == [
        '{"$attributes":{"range_index":0},"$value":null}',
        '{"$attributes":{"row_index":1},"$value":null}', '{"a":1}', '{"a":2}',
        '{"$attributes":{"range_index":1},"$value":null}',
        '{"$attributes":{"row_index":3},"$value":null}', '{"a":3}',
        '{"$attributes":{"range_index":2},"$value":null}',
        '{"$attributes":{"row_index":9},"$value":null}', '{"a":9}']


def test_a_read_takes_a_single_range_as_top_level_limits(yt, fake_yt):
    # TRichYPath::GetRanges: `lower_limit`/`upper_limit` on the path make its one range,
    # and a path may not have both them and `ranges`
    import yt.wrapper as ytw

    fake_yt.put_table(TABLE, ROWS)
    path = ytw.TablePath(TABLE, attributes={"lower_limit": {"row_index": 38}}, client=yt)
    assert list(yt.read_table(path, format="json")) == ROWS[38:]
    # the client makes both into ranges itself (TablePath): the fake is asked directly
    from yt_pipeline_prod.fake.protocol import YtFakeError
    from yt_pipeline_prod.fake.tables import path_ranges

    with pytest.raises(YtFakeError, match="cannot be annotated with both multiple"):
        path_ranges({"ranges": [{}], "upper_limit": {"row_index": 3}})


def test_a_reads_data_is_streamed_in_chunks(yt, fake_yt):
    # THttpOutput::Write (yt/yt/core/http/stream.cpp): a streamed answer announces no
    # length; a connection broken half-way is then an error the client sees and retries,
    # not a short answer it takes for the whole
    fake_yt.put_table(TABLE, ROWS)
    stream = yt.read_table(TABLE, format="json", raw=True)
    headers = stream._get_response().headers
    assert headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in headers
    assert len(stream.read().splitlines()) == len(ROWS)


@pytest.mark.parametrize("change", ["remove", "replace", "overwrite", "move"])
def test_a_read_cut_after_its_table_changed_goes_on_in_its_snapshot(retrying, fake_yt,
                                                                    monkeypatch, change):
    # the request sent again asks for the locked node by its id, in the read's
    # transaction, whose snapshot lock keeps the node as it was, even once removed (the
    # "Locks" section of the Transactions page of the Cypress docs; a node only a snapshot
    # keeps is reached by its id: test_snapshot_lock of yt/yt/tests/integration/cypress/
    # test_cypress_locks.py)
    from yt_pipeline_prod.fake import dispatch

    fake_yt.put_table(TABLE, ROWS)
    onlooker = retrying.new_yt()
    handle = dispatch.HANDLERS["read_table"]
    answered: list[int] = []

    def changing(state: Any, request: Any) -> Any:
        answer = handle(state, request)
        if not answered:  # once the first request was answered, before its answer is cut
            if change in ("remove", "replace"):
                onlooker.remove(TABLE)
            if change == "replace":
                onlooker.write_table(TABLE, [{"new": 1}], format="json")
            if change == "overwrite":
                onlooker.write_table(TABLE, [{"new": 1}], format="json")
            if change == "move":
                onlooker.move(TABLE, TABLE + "_moved")
        answered.append(1)
        return answer

    monkeypatch.setitem(dispatch.HANDLERS, "read_table", changing)
    fake_yt.faults.cut_next("read_table")
    assert list(iter(retrying.read_table(TABLE))) == ROWS
    assert fake_yt.faults.fired["read_table"] == 1 and len(answered) == 2
    assert fake_yt.transaction_count() == 0

"""Appends from many transactions at once all land, each row exactly once.

On a cluster an append takes a shared lock, which other appends share, and its commit adds
the transaction's rows to the table as it is at commit time (the "Locks" and "Versioning"
sections of the Transactions page of the Cypress docs). An operation writes its outputs in
an output transaction nested in its own, locking `<append=%true>` outputs shared as well.
The rows go through ytsaurus-client's `write_table` (`append=True` becomes
`<append=%true>` on the path: `TablePath` in yt/wrapper/ypath.py).
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from prod_packages import build_package
from test_prod_operations import MAPPER, launch, spec_for

from yt_pipeline_prod.testing import make_prod_client

WRITERS = 8
BATCHES = 5


@pytest.fixture
def package(tmp_path):
    return build_package(tmp_path / ".build", {"clean": {"src/mapper.py": MAPPER}})


def _run_all(target, count: int) -> list[BaseException]:
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait()
            target(index)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _exactly_once(rows, expected):
    counts = Counter((row["w"], row["i"]) for row in rows)
    assert set(counts) == expected and set(counts.values()) == {1}


def test_clients_appending_at_once_keep_every_row(prod_client, fake_yt):
    prod_client.write_table("//tmp/log/t", [])  # appenders do not race to create it

    def append(writer: int) -> None:
        client = make_prod_client(fake_yt)
        try:
            for batch in range(BATCHES):
                client.write_table("//tmp/log/t", [{"w": writer, "i": batch * 10 + n}
                                                   for n in range(10)], append=True)
        finally:
            client.close()

    assert _run_all(append, WRITERS) == []
    _exactly_once(fake_yt.rows("//tmp/log/t"),
                  {(w, i) for w in range(WRITERS) for i in range(BATCHES * 10)})
    assert fake_yt.transaction_count() == 0


def test_one_client_appending_from_many_threads_keeps_every_row(prod_client, fake_yt):
    """Parallel stages share one client; each thread has its own transactions."""
    prod_client.write_table("//tmp/t", [{"w": -1, "i": 0}])

    def append(writer: int) -> None:
        for i in range(BATCHES):
            prod_client.write_table("//tmp/t", [{"w": writer, "i": i}], append=True)

    assert _run_all(append, WRITERS) == []
    _exactly_once(fake_yt.rows("//tmp/t"), {(-1, 0)} | {
        (w, i) for w in range(WRITERS) for i in range(BATCHES)})


def test_an_append_lands_on_the_table_as_it_is_at_commit(prod_client, fake_yt):
    """Commit order opposite to start order: the first transaction's copy of the table is
    older than what is committed when it commits, and nothing is lost."""
    prod_client.write_table("//tmp/t", [{"w": 0, "i": 0}])
    first, second = make_prod_client(fake_yt).yt(), make_prod_client(fake_yt).yt()
    with first.Transaction():
        first.write_table("<append=%true>//tmp/t", [{"w": 1, "i": 0}], format="json")
        with second.Transaction():
            second.write_table("<append=%true>//tmp/t", [{"w": 2, "i": 0}], format="json")
        prod_client.write_table("//tmp/t", [{"w": 3, "i": 0}], append=True)
        # inside, the transaction sees its own rows on the table as it was when it began
        assert [r["w"] for r in first.read_table("//tmp/t", format="json")] == [0, 1]
    assert [r["w"] for r in fake_yt.rows("//tmp/t")] == [0, 2, 3, 1]


def test_operations_appending_at_once_keep_every_row(prod_client, fake_yt, package, tmp_path):
    fake_yt.put_table("//tmp/out", [{"id": -1, "name": "OLD"}])
    for writer in range(4):
        fake_yt.put_table(f"//tmp/in{writer}", [{"id": writer * 100 + n, "name": "x"}
                                                for n in range(5)])

    def run_map(writer: int) -> None:
        launch(prod_client, spec_for("map", package, tmp_path, name=f"append{writer}",
                                     input_tables=[f"//tmp/in{writer}"],
                                     output_tables=["//tmp/out"], mapper="src/mapper.py",
                                     append=True))

    assert _run_all(run_map, 4) == []
    ids = Counter(row["id"] for row in fake_yt.rows("//tmp/out"))
    assert set(ids) == {-1} | {w * 100 + n for w in range(4) for n in range(5)}
    assert set(ids.values()) == {1}
    assert {str(spec["output_table_paths"][0]["$attributes"]["append"])
            for spec in fake_yt.specs} == {"True"}


def test_operations_overwriting_one_table_at_once_do_not_both_win(prod_client, fake_yt, package,
                                                                  tmp_path):
    """Without append, an operation locks its output exclusively: of two started at once
    one fails preparing (lock conflict) or waits for the other's commit; never are the
    rows of both mixed."""
    fake_yt.put_table("//tmp/in", [{"id": 1, "name": "a"}])

    def run_map(writer: int) -> None:
        launch(prod_client, spec_for("map", package, tmp_path, name=f"overwrite{writer}",
                                     input_tables=["//tmp/in"], output_tables=["//tmp/out"],
                                     mapper="src/mapper.py", env={"SUFFIX": str(writer)}))

    errors = _run_all(run_map, 2)
    rows = fake_yt.rows("//tmp/out")
    assert len(rows) == 1 and rows[0]["name"] in ("A0", "A1")
    for error in errors:
        assert "Cannot take" in str(error) and "concurrent transaction" in str(error)

"""The locks writes take on a table YQL wrote and a sort sorted, in dev and in prod (the real
client against the fake proxy), as a cluster takes them.

- An append without `sorted_by` to a table of strong sorted schema takes an exclusive lock,
  not the shared one of other appends (GetTableUploadOptions in yt/yt/ytlib/table_client/
  table_upload_options.cpp: "append, no sorted_by, strong": `LockMode = schema.IsSorted() &&
  !dynamic ? Exclusive : Shared`), so two transactions appending to it conflict.
- A write locks its table before a row reaches the table writer (BeginUpload in
  yt/yt/server/master/chunk_server/chunk_owner_node_proxy.cpp locks the node; the writer
  that refuses a row of the wrong schema opens only after it), so a write that conflicts
  with another transaction's lock reports the conflict, whatever its rows.
"""

from __future__ import annotations

import re

import pytest
from test_prod_dev_sorted_tables import both, same_rows  # noqa: F401 - the fixture

from yt_pipeline.errors import BackendError

CONFLICT = re.compile(r'Cannot take "(\w+)" lock for node (\S+) since "(\w+)" lock is taken '
                      r"by concurrent transaction")


def conflict(error: BaseException) -> tuple[str, ...]:
    found = CONFLICT.search(str(error))
    assert found, str(error)
    return found.groups()


def second_writer_fails(client, first_rows: list, second_rows: list, append: bool
                        ) -> BaseException:
    """Transaction 1 writes `first_rows` to //t/s and stays open while transaction 2
    writes `second_rows`; returns transaction 2's error. Both end aborted."""
    first = client.begin_transaction("stage one")
    second = client.begin_transaction("stage two")
    try:
        first.client.write_table("//t/s", first_rows, append=append)
        with pytest.raises(BackendError) as caught:
            second.client.write_table("//t/s", second_rows, append=append)
        return caught.value
    finally:
        second.abort()
        first.abort()


def test_appends_to_a_sorted_strict_table_conflict_in_both_modes(both):  # noqa: F811
    errors = [second_writer_fails(client, [{"k": 7, "v": "g"}], [{"k": 8, "v": "h"}],
                                  append=True)
              for client in (both.dev, both.prod)]
    assert [conflict(error) for error in errors] == \
        [("exclusive", "//t/s", "exclusive")] * 2
    assert same_rows(both) == [1, 3, 5]


def test_appends_to_a_table_of_no_schema_share_their_locks(both):  # noqa: F811
    both.put("//t/w", [{"k": 1}])
    for client in (both.dev, both.prod):
        first = client.begin_transaction("stage one")
        second = client.begin_transaction("stage two")
        first.client.write_table("//t/w", [{"k": 2}], append=True)
        second.client.write_table("//t/w", [{"k": 3}], append=True)
        second.abort()
        first.abort()


def test_a_conflicting_write_of_a_bad_row_reports_the_lock_in_both_modes(both):  # noqa: F811
    bad = [{"k": 2, "v": "b", "unknown": 1}]  # a column the strict schema lacks
    errors = [second_writer_fails(client, [{"k": 1, "v": "a"}], bad, append=False)
              for client in (both.dev, both.prod)]
    assert [conflict(error) for error in errors] == \
        [("exclusive", "//t/s", "exclusive")] * 2
    # without the conflict, the same row is refused by the schema, in both modes
    for client in (both.dev, both.prod):
        with pytest.raises(BackendError, match='Unknown column "unknown"|unknown'):
            client.write_table("//t/s", bad)
    assert same_rows(both) == [1, 3, 5]

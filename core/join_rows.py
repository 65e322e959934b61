"""What one job of a join reduce reads: its primary rows, each join_by key's with the rows of
the foreign tables that have the key. Dev (yt_pipeline_dev.join_reduce, rows as lines of
files) and the fake YT proxy (yt_pipeline_prod.fake.foreign, rows as dicts) both join
through `join_items`, so the two cannot give a job different rows.

As a cluster's job reads them (TSchemalessJoiningReader::Read in yt/yt/ytlib/table_client/
schemaless_sorted_merging_reader.cpp): the primary rows are one stream, merged by sort_by
and then by table index, taking the table index of its first row; each foreign table is a
stream of its own, sorted by join_by. The streams are merged by the join_by key alone, the
streams of one key in table index order, and a foreign row whose key no primary row of the
job has is dropped. So, for each join_by key of the job's primary rows: the key's rows of
the foreign tables listed before the primary stream, table by table, then the key's primary
rows, then those of the foreign tables listed after it (YTsaurus docs, Reduce: join_by; the
expected rows of test_reduce_with_foreign_join_one_job and test_reduce_with_foreign_skip_
joining_rows in yt/yt/tests/integration/tests/controller/test_reduce_operation.py, and
test_join_reduce_control_attributes_yson in test_scheduler_join_reduce.py). A foreign key
shared by two jobs' primary rows (join_by shorter than reduce_by) reaches both jobs.

Every row keeps the index of the table it comes from. Keys are compared as the caller's
`key_of` makes them (yt_pipeline.column_types.sort_key: YT's order of value types).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

#: a row as the caller holds it: a dict, or a line of a file
R = TypeVar("R")


class _ForeignStream(Generic[R]):
    """One foreign table's rows, sorted by join_by, taken key by key in ascending order."""

    def __init__(self, table_index: int, rows: Iterable[R], key_of: Callable[[R], Any]) -> None:
        self.table_index = table_index
        self._rows = iter(rows)
        self._key_of = key_of
        self._next: tuple[Any, R] | None = None
        self._advance()

    def _advance(self) -> None:
        for row in self._rows:
            self._next = (self._key_of(row), row)
            return
        self._next = None

    def take(self, key: Any) -> Iterator[tuple[int, R]]:
        """The rows of `key`, each with the table's index; the rows of smaller keys (no
        primary row of the job has them) are dropped."""
        while self._next is not None and self._next[0] < key:
            self._advance()
        while self._next is not None and self._next[0] == key:
            yield self.table_index, self._next[1]
            self._advance()


def join_items(primary: Iterable[tuple[int, R]], foreign: Sequence[tuple[int, Iterable[R]]],
               key_of: Callable[[R], Any]) -> Iterator[tuple[int, R]]:
    """One job's input as (table index, row): `primary`, the job's primary rows with their
    table index, sorted by sort_by (which starts with join_by) and then by table index;
    `foreign`, each foreign table's index and its rows sorted by join_by; `key_of`, a
    row's join_by key. Rows are read lazily, as the result is."""
    rows = iter(primary)
    first = next(rows, None)
    if first is None:
        return
    streams = sorted((_ForeignStream(index, table, key_of) for index, table in foreign),
                     key=lambda stream: stream.table_index)
    # the primary stream stands at its first row's table index among the foreign ones
    before = [stream for stream in streams if stream.table_index < first[0]]
    after = [stream for stream in streams if stream.table_index > first[0]]
    for key, group in itertools.groupby(itertools.chain([first], rows),
                                        key=lambda item: key_of(item[1])):
        for stream in before:
            yield from stream.take(key)
        yield from group
        for stream in after:
            yield from stream.take(key)

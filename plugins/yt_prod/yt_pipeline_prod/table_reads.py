"""Table reads in a transaction of ours, titled with secrets masked.

ytsaurus-client reads a table in a transaction it starts and titles "Python wrapper: read
<path>" (`make_read_request` in yt/wrapper/heavy_commands.py): a cluster shows a
transaction's title to any user (the transactions under //sys/transactions, the
`winner_transaction` a lock conflict names), and a path, its columns or its ranges may hold
a secret. Asked not to (`read_retries/create_transaction_and_take_snapshot_lock` off), the
client reads in its current transaction instead, and we give it ours, with what the client's
own gave the read:

- a snapshot lock on the table, taken in the read's transaction, and the read made by the
  locked node's id: the rows are the table as it was when the read began, whatever is
  written or removed meanwhile, retries included;
- the client's read retries (its `ReadIterator`), every request in the read's transaction;
  a path of several ranges is read a range at a time (`_one_range_each`);
- the transaction ends when the read ends, is closed, or is dropped unclosed (a
  finalizer), and when opening the read fails.

The client keeps its current transaction in the client object, and a read's requests go on
while the stage makes other calls (a stage reads two tables side by side, or writes while it
reads): each open read has a client of its own. Clients cost a copy of the whole
configuration to make, so those of reads that ended are kept for the next ones.
"""

from __future__ import annotations

import itertools
import logging
import threading
import weakref
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any, cast

from yt_pipeline.errors import BackendError
from yt_pipeline_prod.stage_txn import start_transaction

if TYPE_CHECKING:
    from yt_pipeline_prod.client import ProdClient

log = logging.getLogger("yt_pipeline.prod.reads")


class TableRead:
    """One read of table `path`: the transaction holding its snapshot lock, the response
    `stream` being read, and the paths of the node's ranges left to read after it, each
    by a request of its own (`_one_range_each`). Closing it ends the read."""

    def __init__(self, path: str, reader: Any, transaction: Any, stream: Any,
                 ranges_left: list[Any], end: _ReadEnd):
        self.path = path
        self.transaction = transaction
        self.stream = stream
        self._reader = reader
        self._ranges_left = ranges_left
        self._end = end
        #: set by `close`: rows asked for after it are refused, not cut short
        self.closed = False

    def rows(self, fmt: Any) -> Iterator[dict[str, Any]]:
        """The rows parsed as `fmt` gives them. The read stops once its transaction could
        not be pinged: the snapshot lock may be gone, and the client's own read stops then
        too ("Transaction pinger failed, read interrupted": `ReadIterator._iterator`). Rows
        asked for once the read was closed under its reader (its stage ended) are refused:
        the closed stream would end early, without an error, after the rows it had."""
        transaction = self.transaction
        while True:
            for row in fmt.load_rows(self.stream):
                if self.closed or not transaction.is_pinger_alive():
                    raise BackendError(self._stopped())
                yield row
            if self.closed:
                raise BackendError(self._stopped())
            if not self._ranges_left:
                return
            done, self.stream = self.stream, self._reader.read_table(
                self._ranges_left.pop(0), format=fmt, raw=True)
            done.close()

    def close(self) -> None:
        """Stop reading (read to its end, or not), and end the read's transaction."""
        self.closed = True
        try:
            self.stream.close()
        finally:
            self._end.closed(from_delete=False)

    def _stopped(self) -> str:
        if self.closed:
            return (f"read_table {self.path}: the read was closed before its last row (a "
                    "read in a stage ends with the stage); no more rows were read")
        return (f"read_table {self.path}: the read's transaction could not be pinged and "
                "has ended; the read stopped")


class ReadPass(itertools.chain):  # type: ignore[type-arg]
    """A read's rows as a pass of TableRows: given out by itertools from `rows` (a
    generator that ends the read once it finishes or is closed), so that nothing is paid a
    row, and closed as a whole by `close`: a generator closed before its first row runs no
    `finally`, and the read would end only with its finalizer, from a thread."""

    _rows: Generator[dict[str, Any], None, None]
    _ended: Callable[[], None]

    @classmethod
    def of(cls, rows: Generator[dict[str, Any], None, None],
           ended: Callable[[], None]) -> ReadPass:
        made = cast(ReadPass, cls.from_iterable([rows]))
        made._rows, made._ended = rows, ended
        return made

    def close(self) -> None:
        try:
            self._rows.close()
        finally:
            self._ended()


def open_read(root: ProdClient, yt: Any, path: str, columns: list[str] | None,
              fmt: Any) -> TableRead:
    """Start reading table `path` (only `columns`, when given), in a transaction nested in
    the current one of the `YtClient` `yt` (a stage's, or none)."""
    import yt.wrapper as ytw

    transaction = start_transaction(yt, f"yt-pipeline read {path}")
    reader = _take_reader(root)
    try:
        ytw.config.set_command_param("transaction_id", transaction.transaction_id, reader)
        table = ytw.TablePath(path, columns=columns, client=reader)
        locked = reader.lock(table, mode="snapshot")
        node_id = locked.get("node_id") if isinstance(locked, dict) else None
        if not node_id:  # the v3 API answers with the lock's id alone
            node_id = reader.get(table + "/@id")
        first, *ranges_left = _one_range_each(ytw.TablePath(
            "#" + str(node_id), attributes=dict(table.attributes), client=reader), reader)
        stream = reader.read_table(first, format=fmt, raw=True)
    except BaseException:
        _ReadEnd(root, reader, transaction).closed(from_delete=False)
        raise
    end = _ReadEnd(root, reader, transaction)
    # made by a frame of its own: this one, on the stack while the client was called, may
    # outlive the call with its locals (see ProdClient._opened_read)
    return _ending_when_dropped(TableRead(path, reader, transaction, stream, ranges_left, end),
                                end)


def _one_range_each(path: Any, reader: Any) -> list[Any]:
    """`path` as paths of one range each, read one after the other: the client's retries
    of a read of several ranges in JSON lose or repeat rows. It reads them with the
    `row_index` and `range_index` control rows on, and takes each control row, once
    stripped of its attribute, for a row of the table (`JsonControlRowFormat.has_payload`
    of the `null` its `dump_control_row` gives, in `_ReadTableRetriableState` of
    yt/wrapper/table_commands.py): the row it reads again from is one further on for each
    control row before it. A read of one range needs no control rows: the client counts on
    from the response's `start_row_index`."""
    import yt.wrapper as ytw

    ranges = path.attributes.get("ranges")
    if not isinstance(ranges, list) or len(ranges) < 2:
        return [path]
    return [ytw.TablePath(str(path), attributes={**path.attributes, "ranges": [each]},
                          client=reader) for each in ranges]


def _ending_when_dropped(read: TableRead, end: _ReadEnd) -> TableRead:
    """A read dropped unclosed (a read whose rows were never asked for) ends when its
    TableRead goes: the stream the client returns has no __del__ to run its close
    actions, and it is freed only by a collection of its cycles."""
    finalizer = weakref.finalize(read, end.closed, from_delete=True)
    finalizer.atexit = False  # at exit the pingers stop, and the leases end the rest
    return read


class _ReadEnd:
    """Ends a read once: its transaction aborted, its client kept for the next read."""

    def __init__(self, root: ProdClient, reader: Any, transaction: Any):
        self._root = root
        self._reader = reader
        self._transaction = transaction
        #: emptied by the one call that ends the read: a list's pop is atomic, where a
        #: stage's commit may close the read as a finalizer runs (no lock, see _give_back)
        self._pending = [True]

    def closed(self, from_delete: bool) -> None:
        """The read was closed (read to its end, or not), or is being collected
        (`from_delete`): then the abort is sent from a thread of its own, as the client
        leaves its own read's to a thread (`add_transaction_to_abort`, whose thread looks
        every 10 s), since a collection may run while this thread holds anything."""
        try:
            self._pending.pop()
        except IndexError:
            return  # ended already
        _give_back(self._root, self._reader)
        if from_delete:
            threading.Thread(target=_abort, args=(self._transaction,), daemon=True,
                             name="yt-pipeline: end a dropped read").start()
        else:
            _abort(self._transaction)


def _abort(transaction: Any) -> None:
    try:
        transaction.abort()
    except Exception as error:  # noqa: BLE001 - its lease ends it, pinged no more
        log.debug("could not end the transaction of a read: %s", type(error).__name__)


def _take_reader(root: ProdClient) -> Any:
    """A client for one read: one a read that ended left, or a new one that reads in its
    current transaction rather than one of its own."""
    try:
        return root.idle_readers.pop()
    except IndexError:
        reader = root.new_yt()
        retries = reader.config["read_retries"]
        retries["create_transaction_and_take_snapshot_lock"] = False
        if not retries["enable"]:
            # with its retries off the client sends the read in the null transaction
            # (`FakeTransaction` in heavy_commands.make_read_request), not in the one its
            # command parameters name: the read would miss what the stage wrote and the
            # snapshot its lock holds. One attempt of the retrying read is the same read,
            # sent in ours (`ReadIterator.get_response` leaves the transaction to them).
            retries["enable"], retries["count"] = True, 1
        return reader


def _give_back(root: ProdClient, reader: Any) -> None:
    # no lock: a list's append is atomic, and a finalizer may run here while this thread
    # holds one
    root.idle_readers.append(reader)


def read_whole(root: ProdClient, yt: Any, path: str, fmt: Any) -> list[dict[str, Any]]:
    """Every row of table `path`, read to its end before this returns."""
    read = open_read(root, yt, path, None, fmt)
    try:
        return list(read.rows(fmt))
    finally:
        read.close()

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
- the transaction ends when the stream ends, is closed, or is dropped unclosed (the
  stream's close actions, and a finalizer), and when opening the read fails.

The client keeps its current transaction in the client object, and a read's requests go on
while the stage makes other calls (a stage reads two tables side by side, or writes while it
reads): each open read has a client of its own. Clients cost a copy of the whole
configuration to make, so those of reads that ended are kept for the next ones.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from yt_pipeline.errors import BackendError
from yt_pipeline_prod.stage_txn import start_transaction

if TYPE_CHECKING:
    from yt_pipeline_prod.client import ProdClient

log = logging.getLogger("yt_pipeline.prod.reads")


class TableRead:
    """One read of table `path`: the response `stream` (closing it ends the read) and the
    transaction holding its snapshot lock."""

    def __init__(self, path: str, stream: Any, transaction: Any):
        self.path = path
        self.stream = stream
        self.transaction = transaction

    def rows(self, fmt: Any) -> Iterator[dict[str, Any]]:
        """The rows parsed as `fmt` gives them. The read stops once its transaction could
        not be pinged: the snapshot lock may be gone, and the client's own read stops then
        too ("Transaction pinger failed, read interrupted": `ReadIterator._iterator`)."""
        transaction = self.transaction
        for row in fmt.load_rows(self.stream):
            if not transaction.is_pinger_alive():
                raise BackendError(f"read_table {self.path}: the read's transaction could "
                                   "not be pinged and has ended; the read stopped")
            yield row


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
        by_id = ytw.TablePath("#" + str(node_id), attributes=dict(table.attributes),
                              client=reader)
        stream = reader.read_table(by_id, format=fmt, raw=True)
    except BaseException:
        _ReadEnd(root, reader, transaction).closed(from_delete=False)
        raise
    end = _ReadEnd(root, reader, transaction)
    stream.add_close_action(end.closed)
    # made by a frame of its own: this one, on the stack while the client was called, may
    # outlive the call with its locals (see ProdClient._opened_read)
    return _ending_when_dropped(TableRead(path, stream, transaction), end)


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
        #: stage's commit may close the stream as a finalizer runs (no lock, see _give_back)
        self._pending = [True]

    def closed(self, from_delete: bool) -> None:
        """The stream was closed (read to its end, or not), or is being collected
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
        read.stream.close()

"""A stage attempt is a transaction: its table writes become visible when it commits.

A backend offers transactions through two optional client methods:

- `begin_transaction(title) -> StageTransaction`: the attempt's transaction. Its `client` is
  what the stage is given: every write through it is staged, and reads through it see the
  stage's own writes.
- `finish_commit(token) -> bool`: completes a commit whose journal record exists but whose
  process died before the writes were all visible (called when the next run starts).
  Idempotent. False when the commit can no longer happen (a YT transaction that ended
  without it): the writes are gone, and the stage counts as not run.

A client without them (a third-party backend) runs stages without a transaction: its writes
are visible at once, as before.

The commit (`commit_stage`) is three steps: `prepare(record)` does all the work that can
fail (takes the table locks, builds the new tables) and returns a token; writing the journal
record with that token and the stage's state entry is the commit; `commit()` then makes the
writes visible. `finish_commit(token)` repeats that last step after a crash.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from yt_pipeline.errors import CommitIncomplete
from yt_pipeline.journal import Journal, Record

if TYPE_CHECKING:
    from yt_pipeline.client import TableClient

log = logging.getLogger("yt_pipeline.txn")


class StageTransaction(Protocol):
    #: the client the stage uses inside the transaction
    client: TableClient

    def prepare(self, record: Path) -> Any:
        """Everything that can fail before the commit; returns what `finish_commit` needs
        (JSON data), or None when the attempt wrote nothing. `record` is the journal record
        that will exist if, and only if, the commit happens."""

    def commit(self) -> None:
        """Make the writes visible (after the journal record is written)."""

    def abort(self) -> None:
        """Drop every staged write; the tables stay as they were."""

    # optional: `tables_written() -> Iterable[str]`, the tables the attempt wrote; the
    # cache and --resume then run the stage again when one of them is gone (see
    # `written_tables`); `paths_removed() -> Iterable[str]`, the tables and folders it
    # removed, so that a table a later stage removed is not taken for one lost


class NoTransaction:
    """For clients that offer no transactions: writes are visible at once."""

    def __init__(self, client: TableClient):
        self.client = client

    def prepare(self, record: Path) -> Any:
        return None

    def commit(self) -> None:
        pass

    def abort(self) -> None:
        pass


def written_tables(txn: StageTransaction) -> list[str]:
    """The tables the attempt wrote (made, replaced or appended to), for a backend whose
    transaction can tell (an optional `tables_written()` method); [] otherwise."""
    written = getattr(txn, "tables_written", None)
    return sorted(written()) if callable(written) else []


def removed_paths(txn: StageTransaction) -> list[str]:
    """The tables and folders the attempt removed, for a backend whose transaction can tell
    (an optional `paths_removed()` method); [] otherwise."""
    removed = getattr(txn, "paths_removed", None)
    return sorted(removed()) if callable(removed) else []


def begin(client: TableClient, title: str) -> StageTransaction:
    start = getattr(client, "begin_transaction", None)
    return start(title) if callable(start) else NoTransaction(client)


def finish_commit(client: TableClient, token: Any) -> bool:
    """True when the recorded commit is (now) complete, False when it was lost."""
    finish = getattr(client, "finish_commit", None)
    if token is not None and callable(finish):
        return finish(token) is not False
    return True


def commit_stage(journal: Journal, txn: StageTransaction, stage: str,
                 entry: dict[str, Any]) -> Record | None:
    """Commit a stage attempt together with the state entry that records its success.

    Returns the journal record (None when the attempt wrote nothing, so that only the
    state files need its entry). Raises before the commit point with the tables untouched,
    or CommitIncomplete after it (the stage has succeeded; the next run finishes the job).
    """
    path = journal.new_path()
    try:
        token = txn.prepare(path)
        record = journal.write(path, stage, entry, token) if token is not None else None
    except BaseException:
        txn.abort()
        raise
    try:
        txn.commit()
    except Exception as exc:  # noqa: BLE001 - the commit stands; say that it is unfinished
        log.debug("commit of stage %s did not finish", stage, exc_info=exc)
        from yt_pipeline.logs import masked

        # masked, and not chained to `exc` (logged above, masked): a run from Python raises
        # this to the program, and an uncaught script's traceback printed the error it was
        # raised from as it was, a table's file named after a secret in it
        failure = CommitIncomplete(masked(
            f"stage {stage} succeeded, but its tables could not all be made visible ({exc!r}); "
            "the next run of this pipeline finishes that before anything else"
        ))
        failure.record = record  # type: ignore[attr-defined]
        raise failure from None
    return record

"""The process that runs YQL on DuckDB for the dev client.

DuckDB runs here rather than in the pipeline's process, so its memory (which grows with the
tables it reads) never adds to the driver's, and a crash in it cannot take the run down. The
query comes on stdin; the rows of a SELECT go to stdout as JSON lines; an error goes to
stderr as one JSON object and the exit code is ERROR_EXIT.

    python -m yt_pipeline_dev.yql_worker <.dev folder> [<transaction>]

With a transaction (the name of its folder under .dev/.txn), tables are read as the stage
sees them and INSERTs are staged in it, as the stage's own writes are.
"""

from __future__ import annotations

import datetime
import decimal
import json
import subprocess
import sys
import uuid
from typing import Any

from yt_pipeline.errors import QueryFailed, YtPipelineError
from yt_pipeline_dev.yql_doubles import stringified
from ytjobs.codec import loads_line

ERROR_EXIT = 3


def _plain(value: Any) -> Any:
    """Values JSON has no type for, as YT's query results give them: text."""
    if isinstance(value, (datetime.date, datetime.time, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID, datetime.timedelta)):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"cannot return a {type(value).__name__} from YQL")


def _dump(row: dict[str, Any]) -> bytes:
    row = stringified(row)  # NaN and infinities as prod reads a result (yql_doubles)
    try:
        import orjson

        return orjson.dumps(row, default=_plain, option=orjson.OPT_APPEND_NEWLINE)
    except (ImportError, TypeError):
        return (json.dumps(row, default=_plain, ensure_ascii=False) + "\n").encode()


def run_in_worker(root: Any, query: str, txn: str | None = None) -> list[dict[str, Any]]:
    """Run `query` in a worker process over the tables under `root` (in transaction `txn`);
    return SELECT rows."""
    from yt_pipeline_dev.yql_translate import translate

    translate(query)  # unsupported constructs are reported without starting DuckDB
    done = subprocess.run(
        [sys.executable, "-m", "yt_pipeline_dev.yql_worker", str(root), *([txn] if txn else [])],
        input=query.encode(), capture_output=True,
    )
    if done.returncode == ERROR_EXIT:
        raise QueryFailed(json.loads(done.stderr.decode().strip().splitlines()[-1])["error"])
    if done.returncode != 0:
        tail = "\n".join(done.stderr.decode(errors="replace").strip().splitlines()[-10:])
        raise QueryFailed(f"the YQL worker (DuckDB) failed with exit code {done.returncode}: "
                          f"{tail}")
    return [loads_line(line) for line in done.stdout.splitlines() if line.strip()]


def main() -> int:
    from yt_pipeline_dev.client import DevClient
    from yt_pipeline_dev.yql_duckdb import Executor

    client = DevClient(sys.argv[1])
    if len(sys.argv) > 2:
        from yt_pipeline_dev.txn import DevTransaction

        client = client.in_transaction(DevTransaction(client.root, sys.argv[2], owner=False))
    query = sys.stdin.buffer.read().decode()
    try:
        executor = Executor(client)
        try:
            rows = executor.run(query)
        finally:
            executor.close()
    except YtPipelineError as exc:
        sys.stderr.write(json.dumps({"error": str(exc)}) + "\n")
        return ERROR_EXIT
    out = sys.stdout.buffer
    for row in rows:
        out.write(_dump(row))
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

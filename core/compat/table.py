"""yt-framework's table helpers for stage code, `(client, path, logger)` first: each logs
what it does and calls the client. New code calls the client itself
(`self.deps.yt_client.row_count(path)`, `read_table(path)`).

A table that is not there raises TableNotFound here (yt-framework's dev client gave 0 rows).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any


def get_row_count(yt_client: Any, table_path: str, logger: logging.Logger) -> int:
    """The number of rows of `table_path`, logged."""
    count = int(yt_client.row_count(table_path))
    logger.info("%s: %s row(s)", table_path, count)
    return count


def read_table(yt_client: Any, table_path: str, logger: logging.Logger) -> list[dict[str, Any]]:
    """Every row of `table_path`, in a list (for a table that fits in memory)."""
    rows = list(yt_client.read_table(table_path))
    logger.info("read %s row(s) from %s", len(rows), table_path)
    return rows


def download_table(yt_client: Any, table_path: str, output_file: Path | str,
                   logger: logging.Logger) -> None:
    """Write the rows of `table_path` to the local file `output_file`, one JSON object a
    line."""
    output = Path(output_file)
    count = 0
    with output.open("w", encoding="utf-8") as handle:
        for row in yt_client.read_table(table_path):
            handle.write(json.dumps(row) + "\n")
            count += 1
    logger.info("wrote %s row(s) of %s to %s", count, table_path, output)

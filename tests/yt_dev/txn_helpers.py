"""What dev tests of stage transactions share."""

from __future__ import annotations

import json
from pathlib import Path


def commit(txn, tmp_path: Path) -> None:
    """Commit a stage's transaction as the runner does: prepared, then the journal record
    written (the commit point), then committed."""
    record = tmp_path / "record.json"
    token = txn.prepare(record)
    record.write_text(json.dumps(token))
    txn.commit()

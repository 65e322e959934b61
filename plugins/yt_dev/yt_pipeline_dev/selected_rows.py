"""The rows and columns a rich input path selects (`//t{a,b}[#10:#20]`), as a cluster feeds
them to an operation's jobs: the rows of each range in the order the ranges are given, each
row with the selected columns only (a selected column the row lacks stays absent)."""

from __future__ import annotations

import json
from pathlib import Path

from yt_pipeline.table_paths import TablePath
from yt_pipeline_dev.whole_lines import vouch


def select_rows(snapshot: Path, selected: TablePath, root: Path) -> tuple[Path, int]:
    """Write the selection of `snapshot` next to it; return that file and the rows of the
    table (which place its ranges' rows: job_controls.selection_places)."""
    with snapshot.open("rb") as source:
        lines = [line for line in source if line.strip()]
    total = len(lines)
    if selected.ranges is not None:
        lines = [line for first, end in selected.ranges for line in lines[first:end]]
    target = snapshot.with_name(snapshot.stem + ".selected.jsonl")
    with target.open("wb") as out:
        for line in lines:
            if selected.columns is not None:
                row = json.loads(line)
                kept = {name: row[name] for name in row if name in selected.columns}
                line = json.dumps(kept, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
            elif not line.endswith(b"\n"):
                line += b"\n"
            out.write(line)
    snapshot.unlink()
    vouch(root, target)
    return target, total

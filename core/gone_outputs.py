"""--resume and the tables of stages that succeeded earlier: one that is gone since (removed
by hand, `.dev/` deleted) makes its stage run again, with the stages after it.

Skipped, such a stage would leave the table missing while the run reports the pipeline
done, and a stage after it that reads the table would fail naming it. The tables asked
about are those its last success left: the tables it wrote (kept in its entry as `wrote`,
where the backend's transaction tells) and those of its declared `outputs` and its
operations' output tables that existed as it ended (`made`: one it never made, an operation
it let fail, running it again would not make either).
Not counted as gone: a table a stage that succeeded after it removed (kept as `removed`):
a scratch table a later stage deletes is the pipeline's own doing, and running the writer
again would run, and append, everything after it again; and a path kept masked (it held a
secret), which cannot be asked about.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from yt_pipeline.events import SUCCESS
from yt_pipeline.secret_forms import MASK
from yt_pipeline.units import RunTarget

log = logging.getLogger("yt_pipeline.runner")


def stages_with_gone_tables(target: RunTarget, names: Iterable[str],
                            statuses: Mapping[str, str | None],
                            memory: Mapping[str, dict[str, Any]], client: Any) -> set[str]:
    """Of `names` (stages --resume would skip), those that succeeded and a table of which is
    gone; each is logged with the table and the run it succeeded in."""
    gone = set()
    for name in names:
        if statuses.get(name) != SUCCESS:
            continue
        entry = memory.get(name) or {}
        unit = target.units[name]
        removed_later = _removed_after(entry, memory)
        for path in _tables_made(entry, [*unit.outputs, *unit.writes]):
            if MASK in path or _inside_any(path, removed_later) or client.exists(path):
                continue
            log.warning("[%s] succeeded in run %s, but table %s it writes is missing: it "
                        "runs again, with the stages after it", name,
                        entry.get("run_id", "?"), path)
            gone.add(name)
            break
    return gone


def _tables_made(entry: Mapping[str, Any], declared: list[str]) -> list[str]:
    """The tables its last success left: those it wrote, and those it declares that
    existed as it ended (`made`). An entry without `made` (kept by an older version) has
    its declared tables all asked about."""
    made = entry.get("made")
    kept = [*(entry.get("wrote") or ()), *(declared if made is None else made)]
    return list(dict.fromkeys(kept))


def _removed_after(entry: Mapping[str, Any], memory: Mapping[str, dict[str, Any]]
                   ) -> list[str]:
    """The paths stages that succeeded after this entry's stage removed."""
    finished = entry.get("finished_at") or 0
    return [path for other in memory.values()
            if other is not entry and other.get("status") == SUCCESS
            and (other.get("finished_at") or 0) >= finished
            for path in other.get("removed") or ()]


def _inside_any(path: str, folders: list[str]) -> bool:
    return any(path == folder or path.startswith(folder.rstrip("/") + "/")
               for folder in folders)

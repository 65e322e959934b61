"""What of a pipeline folder is never packed, whatever `upload_paths` says: the run state
(state.<mode>.yml), run records and locks (.runs/), the dev tables and sandboxes
(`pipeline.dev_dir`, wherever it points), the build output (.build/) and the secrets file.
`upload_paths: ['.']` would otherwise send all of them to the cluster. Files named as
secrets (copies of secrets.env, .env files) are left out by name wherever they are: see
leaks.py."""

from __future__ import annotations

import os
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import msgspec

from yt_pipeline.packaging import BUILD_DIR_NAME
from yt_pipeline.state import RUNS_DIR

#: run state at the top of the pipeline folder, and the temporary files it is written
#: through: matched by name, as a run of the other mode may write them while a build lists
STATE_PATTERNS = ("state.*.yml", ".state.*.yml.*.tmp")


class Private(msgspec.Struct, frozen=True):
    """The real paths under `root` never to be packed, nor anything under them."""

    root: Path
    paths: frozenset[Path] = frozenset()

    def holds(self, real: Path) -> bool:
        return self.reason(real) is not None

    def reason(self, real: Path) -> Path | None:
        """The private path `real` is or lies in (the deepest, when it lies in several), or
        None.

        Compared as text, a private path and the same followed by a separator: a build asks
        this of every file and folder it walks, twice, and comparing Path objects (each of
        the path's parents made and hashed) cost a build some 3 ms of its 25."""
        text = str(real)
        found = [path for path in self.paths
                 if text == str(path) or text.startswith(os.path.join(str(path), ""))]
        # a run's state file at the top of the folder, or anything under a folder so named
        top = os.path.join(str(self.root), "")
        if text.startswith(top) and len(text) > len(top):
            first = text[len(top):].split(os.sep, 1)[0]
            if any(fnmatch(first, pattern) for pattern in STATE_PATTERNS):
                found.append(self.root / first)
        return max(found, key=lambda path: len(str(path)), default=None)


NOTHING_PRIVATE = Private(Path("/nonexistent"))


def private_paths(pipeline_dir: Path, settings: Any) -> Private:
    """What of `pipeline_dir` is never packed."""
    pipeline_dir = pipeline_dir.resolve()
    found = {pipeline_dir / RUNS_DIR, pipeline_dir / BUILD_DIR_NAME, pipeline_dir / ".dev",
             pipeline_dir / "configs" / "secrets.env"}
    dev_dir = settings.get("pipeline.dev_dir") if settings is not None else None
    if isinstance(dev_dir, str) and dev_dir.strip():
        found.add(pipeline_dir / dev_dir)
    configured = getattr(settings, "secrets_file", None)
    if configured:
        found.add(Path(configured))
    return Private(pipeline_dir, frozenset(path.resolve() for path in found))

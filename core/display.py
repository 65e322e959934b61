"""How paths appear in messages: relative to the pipeline folder when inside it."""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: Path, base: Path | None) -> str:
    """`stages/x/config.yaml` rather than an absolute path, so errors read like the docs."""
    if base is not None:
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            pass
        except (RuntimeError, OSError):  # a link that leads back to itself: named as written
            try:
                return str(Path(os.path.abspath(path)).relative_to(os.path.abspath(base)))
            except ValueError:
                pass
    return str(path)

"""`stage_src_path(self.stage_dir)`: import modules of a stage's src/ folder in its stage.py
(`with stage_src_path(self.stage_dir): from helpers import parse`), as yt-framework's
helper of that name did. The folder is first on `sys.path` inside the block only, so two
stages' modules of one name do not shadow each other.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def stage_src_path(stage_dir: Path | str) -> Iterator[None]:
    folder = str(Path(stage_dir) / "src")
    while folder in sys.path:
        sys.path.remove(folder)
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        while folder in sys.path:
            sys.path.remove(folder)

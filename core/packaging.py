"""What the code-packaging hook returns, shared by the uploader, dev and prod."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ARCHIVE_NAME = "source.tar.gz"
BUILD_DIR_NAME = ".build"


def wrapper_name(stage: str, operation: str) -> str:
    """The file name of the wrapper script that runs one operation's job."""
    return f"operation_wrapper_{stage}_{operation}.sh"


@dataclass(frozen=True)
class CodePackage:
    """A built code archive.

    `content_hash` is a hash of the archive's bytes; the prod backend stores the archive
    under `remote_name` so an unchanged pipeline uploads nothing on its next run.
    """

    archive_path: Path
    content_hash: str
    size: int
    file_count: int
    #: (stage, operation) -> wrapper script name at the archive root
    wrappers: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def remote_name(self) -> str:
        return f"source-{self.content_hash[:16]}.tar.gz"

    @property
    def build_dir(self) -> Path:
        return self.archive_path.parent

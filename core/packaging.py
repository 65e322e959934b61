"""What the code-packaging hook returns, shared by the uploader, dev and prod."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from yt_pipeline.digests import sha256
from yt_pipeline.errors import PackagingError

ARCHIVE_NAME = "source.tar.gz"
BUILD_DIR_NAME = ".build"


#: the folder the wrapper extracts the archive into, next to it in the job's sandbox
CODE_DIR_NAME = "_ytp_code"
#: environment a wrapper honours: YTP_CODE_DIR (the archive is already extracted there; skip
#: extraction), YTP_ARCHIVE (archive file, default source.tar.gz), YTP_PYTHON (interpreter,
#: default python3), YTP_SKIP_REQUIREMENTS=1 (do not pip-install requirements.txt).
WRAPPER_ENV = ("YTP_CODE_DIR", "YTP_ARCHIVE", "YTP_PYTHON", "YTP_SKIP_REQUIREMENTS")

_ROLE_OF_SCRIPT = {"mapper.py": "map", "reducer.py": "reduce", "vanilla.py": "vanilla"}


def script_role(script: str) -> str:
    """The operation name a job script gets in wrapper names.

    src/mapper.py -> map, src/reducer.py -> reduce, src/vanilla.py -> vanilla, and any other
    script its file stem (src/clean_rows.py -> clean_rows). The uploader names wrappers by
    it and the backends find them by it.
    """
    name = script.replace("\\", "/").rsplit("/", 1)[-1]
    return _ROLE_OF_SCRIPT.get(name, name[:-3] if name.endswith(".py") else name)


def wrapper_name(stage: str, operation: str) -> str:
    """The file name of the wrapper script that runs one operation's job:
    `operation_wrapper_<stage>_<operation>.sh`, where operation is `script_role(script)`."""
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

    def check_unchanged(self, handle: BinaryIO) -> None:
        """Raise PackagingError unless the open archive file holds the bytes this package
        was built with: a run of the other mode may rebuild .build meanwhile, and a run must
        never ship or run code other than its own. Leaves the file at its start."""
        digest = sha256(os.fstat(handle.fileno()).st_size)
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
        handle.seek(0)
        if digest.hexdigest() != self.content_hash:
            raise PackagingError(
                f"the code archive {self.archive_path} changed after this run built it "
                "(another run of this pipeline rebuilt it with other code); run again"
            )

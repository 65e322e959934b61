"""A stage's requirements.txt read as pip reads it, so that a line pip refuses is found when
the run starts, in both modes, instead of by the job's pip minutes later on a cluster (where
every job of the operation fails with pip's error).

Each line is one of: a comment or blank; a pip option (`-r other.txt`, `--index-url ...`,
`-e ...`); a path, URL, archive or `${VARIABLE}`, which only pip can judge; or a PEP 508
requirement, optionally followed by per-line options (`--hash=...`). The last kind is parsed
with `packaging`, the parser pip itself uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from yt_pipeline.errors import ConfigError

#: a line pip reads as a path, a URL, an archive or a ${VARIABLE}: not a name, left to pip
_NOT_A_NAME = re.compile(
    r"^(?:[.~$]|\S*[/\\]|\S*://|\S+\.(?:whl|zip|tar\.gz|tgz|tar\.bz2)(?:\s|$))")
#: a comment, as pip strips it: a `#` at the start or after a blank (a URL's `#egg=` stays)
_COMMENT = re.compile(r"(?:^|\s)#")
#: where pip's per-line options begin (` --hash=sha256:...`, ` --config-settings ...`)
_LINE_OPTIONS = re.compile(r"\s--?[A-Za-z]")


def requirement_names(requirements: Path) -> Iterator[str]:
    """The distribution named by each requirement line of `requirements`, in order; a line
    pip cannot read is a ConfigError naming the file and the line."""
    from packaging.requirements import InvalidRequirement, Requirement

    text = requirements.read_text(encoding="utf-8")
    for number, raw in enumerate(text.splitlines(), 1):
        line = _COMMENT.split(raw, 1)[0].strip()
        if not line or line.startswith("-") or _NOT_A_NAME.match(line):
            continue
        option = _LINE_OPTIONS.search(line)
        requirement = line[:option.start()] if option else line
        try:
            yield Requirement(requirement).name
        except InvalidRequirement:
            raise ConfigError(f"line {number}: {line!r} is not a requirement pip can read "
                              "(write name, name==1.2 or name>=1.2)",
                              file=requirements) from None

"""Parsed YAML files kept between runs, so that a run whose configuration did not change
never imports the YAML library.

Importing PyYAML costs a command about 25 ms (a large pattern compiled at import), an eighth
of a hello-world run, to read two or three small files that rarely change. So the value a
file parsed to is kept beside its text in the pipeline's own `.runs/yaml/`, one small JSON
file per YAML file: read again, a file whose text is exactly the kept text gives the kept
value. The folder is the pipeline's, where the files themselves are: nothing is copied
anywhere the configuration was not already.

Only a value JSON gives back exactly is kept (text, whole numbers, finite decimals, true and
false, null, lists, mappings with text keys); a file holding a date, a set or a number as a
key is parsed every time. A folder that cannot be written only costs the parse.
"""

from __future__ import annotations

import json
import math
import threading
import zlib
from pathlib import Path
from typing import Any

from yt_pipeline.digests import blake2b

#: under a pipeline folder: where its parsed YAML files are kept
MEMO_DIR = Path(".runs") / "yaml"
MISSING = object()
#: entry file -> its JSON text, kept since the last `write_kept`: also what a read of the same
#: file in this process finds first (a run reads each stage's config.yaml three or four
#: times); text, so that a caller changing the value it was given changes no later read
_kept: dict[Path, str] = {}
_lock = threading.Lock()


def _entry(folder: Path, source: Path) -> Path:
    # the name only spreads files out: the kept path's digest and text are compared before use
    key = str(source)
    return folder / f"{zlib.crc32(key.encode()):08x}-{len(key)}.json"


def _source_digest(source: Path) -> str:
    """What an entry keeps of its file's path: a file's name is the user's to write and may
    hold a secret (`--config configs/<token>.yaml`), which `.runs` must not hold in the
    clear; the text is that of the file, already in the folder under that name."""
    return blake2b(str(source).encode("utf-8", "surrogateescape")).hexdigest()


def recall(folder: Path, source: Path, text: str) -> Any:
    """The value `text` (the content of `source`) parsed to when last kept in `folder`, or
    MISSING."""
    entry = _entry(folder, source)
    try:
        with _lock:
            written = _kept.get(entry)
        kept = json.loads(written if written is not None else entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return MISSING
    if (not isinstance(kept, dict) or kept.get("source_blake2b") != _source_digest(source)
            or kept.get("text") != text):
        return MISSING
    return kept.get("value")


def keep(folder: Path, source: Path, text: str, value: Any) -> None:
    """Keep in `folder` what `text` parsed to, when JSON gives the value back exactly; it is
    written by `write_kept`, once a run has started (a command that only reads, or a run
    refused before it starts, writes nothing in the pipeline folder)."""
    if _json_exact(value):
        data = json.dumps({"source_blake2b": _source_digest(source), "text": text, "value": value},
                          allow_nan=False)
        with _lock:
            _kept[_entry(folder, source)] = data


def write_kept() -> None:
    """Write what `keep` was given since the last call."""
    from yt_pipeline.yamlio import write_file_atomic

    with _lock:
        kept = dict(_kept)
        _kept.clear()
    for entry, data in kept.items():
        try:
            write_file_atomic(entry, data, durable=False)
        except OSError:
            pass  # a folder that cannot be written: the file is parsed again next time


def _json_exact(value: Any, depth: int = 0) -> bool:
    if depth > 100:
        return False
    kind = type(value)
    if value is None or kind in (str, bool, int):
        return True
    if kind is float:
        return math.isfinite(value)
    if kind is list:
        return all(_json_exact(item, depth + 1) for item in value)
    if kind is dict:
        return all(type(key) is str and _json_exact(item, depth + 1)
                   for key, item in value.items())
    return False


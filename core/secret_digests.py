"""Digests of data that holds secrets, for the cache's state: keyed by the folder's own key.

A digest of values alone is found again by trying values: a stage may pass its job one
secret (a four-digit PIN: ten thousand tries, a twentieth of a second), or read a setting a
`YTP_` line of secrets.env gives, with the rest of the settings in the repository. So such
a digest is keyed by a random key the pipeline folder keeps apart from its records
(`.runs/secrets-digest.key`, readable by its owner alone): the state, a run record or a
cache line confirms no guess, and two folders of one secret keep different digests.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from yt_pipeline.digests import blake2b
from yt_pipeline.journal import RUNS_DIR
from yt_pipeline.units import digest_value

#: the key, in the pipeline folder's RUNS_DIR
KEY_FILE = "secrets-digest.key"


def keyed_digest(value: Any, pipeline_dir: str | Path) -> str:
    """digest_value(value), keyed by the folder's key; as long as that."""
    return blake2b(digest_value(value).encode("ascii"), key=_key(Path(pipeline_dir) / RUNS_DIR),
                   digest_size=12).hexdigest()


def settings_digest(settings: Any, secret_settings: Any, pipeline_dir: str | Path) -> str:
    """The digest of a pipeline's `settings`: keyed when secrets.env gave any of them
    (`secret_settings`, its YTP_ lines); else the plain one, which a folder without the key
    keeps."""
    if secret_settings:
        return keyed_digest(settings, pipeline_dir)
    return digest_value(settings)


def _key(runs: Path) -> bytes:
    """The folder's key (made on first use): random, so the digest of one value differs
    from folder to folder. Made new, it runs each stage passing secrets once more, as a
    removed `.runs/` does."""
    path = runs / KEY_FILE
    try:
        return bytes.fromhex(path.read_text("ascii"))
    except FileNotFoundError:
        damaged = False
    except (UnicodeDecodeError, ValueError):
        damaged = True
    runs.mkdir(parents=True, exist_ok=True)
    key = os.urandom(32)
    temporary = runs / f".{KEY_FILE}.{os.getpid()}.tmp"
    handle = os.open(temporary, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(handle, "w", encoding="ascii") as out:
        out.write(key.hex())
    try:
        if damaged:
            os.replace(temporary, path)
            return key
        # the first of two runs making it at once wins; the other reads the key it made
        os.link(temporary, path)
    except FileExistsError:
        return bytes.fromhex(path.read_text("ascii"))
    finally:
        temporary.unlink(missing_ok=True)
    return key


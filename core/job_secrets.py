"""The `secrets` cache component: the secrets a stage's jobs get through the `env` of its
operation sections (a listed name, or a null value: "take it from the secrets").

A job's rows may depend on such a value (an API key that picks an account or a region), so
a new value in secrets.env or the environment must run the stage again. The component is
one digest over all of them, never a value, and never one digest per secret. A digest of
values alone could still be found again by trying values (a stage may pass one secret, a
four-digit PIN: ten thousand tries), so it is keyed by a random key the pipeline folder
keeps apart from its records (`.runs/secrets-digest.key`, readable by its owner alone): a
copy of the state, a record or a report confirms no guess.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from yt_pipeline.digests import blake2b
from yt_pipeline.errors import ConfigError
from yt_pipeline.journal import RUNS_DIR
from yt_pipeline.operation_names import operation_sections

#: the key of the digest, in the pipeline folder's RUNS_DIR
KEY_FILE = "secrets-digest.key"


def secrets_component(stage_config: Any, pipeline_config: Any) -> dict[str, str]:
    """{"secrets": digest} of the secrets the stage's operation sections pass to their
    jobs; {} when they pass none, so other stages keep the fingerprint they had."""
    sections = operation_sections(stage_config)
    if sections is None:
        return {}
    # here: only a stage with operation sections needs it, and a run of none never loads it
    from yt_pipeline.operation_config import as_dict, env_items

    names: set[str] = set()
    for section in sections.values():
        if not hasattr(section, "items"):
            continue  # refused before the run (check_operation_sections)
        try:
            items = env_items(as_dict(section).get("env"), _refused)
        except ConfigError:
            continue  # refused before the run, with the file and the key
        names.update(name for name, given in items if given is None)
    if not names:
        return {}
    values = sorted([name, pipeline_config.secret(name)] for name in names)
    digest = blake2b(json.dumps(values, separators=(",", ":")).encode(),
                     key=_key(Path(pipeline_config.pipeline_dir) / RUNS_DIR), digest_size=12)
    return {"secrets": digest.hexdigest()}


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


def _refused(message: str, key: str) -> ConfigError:
    return ConfigError(message, key=key)

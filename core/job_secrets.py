"""The `secrets` cache component: the secrets a stage's jobs get through the `env` of its
operation sections (a listed name, or a null value: "take it from the secrets").

A job's rows may depend on such a value (an API key that picks an account or a region), so
a new value in secrets.env or the environment must run the stage again. The component is
one digest over all of them, never a value, and never one digest per secret; keyed by the
folder's own key (secret_digests.py), so that no copy of the state confirms a guess.
"""

from __future__ import annotations

from typing import Any

from yt_pipeline.errors import ConfigError
from yt_pipeline.operation_names import operation_sections
from yt_pipeline.secret_digests import keyed_digest


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
    return {"secrets": keyed_digest(sorted([name, pipeline_config.secret(name)]
                                           for name in names), pipeline_config.pipeline_dir)}


def _refused(message: str, key: str) -> ConfigError:
    return ConfigError(message, key=key)

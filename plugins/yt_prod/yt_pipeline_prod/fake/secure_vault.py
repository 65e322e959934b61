"""The secure vault of an operation spec: the names a cluster takes, and how a job sees it.

A job gets the whole vault as YSON text in `YT_SECURE_VAULT`, and each entry as
`YT_SECURE_VAULT_<name>`: a string as it is, a number as its digits, a boolean as 1 or 0,
a map or a list as YSON text (TestSecureVault.check_content in yt/yt/tests/integration/
scheduler/test_scheduler_common.py of ytsaurus/ytsaurus: `{"YT_SECURE_VAULT_boolean": 1}`,
`{"YT_SECURE_VAULT_composite": '{"token1"="SeNsItIvE";"token2"="InFo";}'}`).

A vault's names are environment names, refused as the `environment`'s are
(test_allowed_variable_names there: `=_=` and a name of 2**16 + 1 characters;
ValidateEnvironmentVariableName in yt/yt/ytlib/controller_agent/helpers.cpp).
"""

from __future__ import annotations

from typing import Any

import yt.yson as yson

from yt_pipeline_prod.fake.protocol import YtFakeError

#: ValidateEnvironmentVariableName: `MaximumNameLength = 1 << 16; // 64 kilobytes.`
MAX_NAME_LENGTH = 1 << 16
WHOLE_VAULT = "YT_SECURE_VAULT"


def check_variable_name(name: str) -> None:
    """Refuse a name as ValidateEnvironmentVariableName does, in its words: too long, or of
    other characters than ASCII letters, digits and `_`."""
    if len(name) > MAX_NAME_LENGTH:
        raise YtFakeError("Maximum length of the name for an environment variable violated: "
                          f"{len(name)} > {MAX_NAME_LENGTH}")
    if not all(c.isascii() and (c.isalnum() or c == "_") for c in name):
        raise YtFakeError("Only alphanumeric characters and underscore are allowed in "
                          "environment variable names", name=name)


def check_vault_names(spec: Any) -> None:
    vault = spec.get("secure_vault") if isinstance(spec, dict) else None
    for name in (vault or {}) if isinstance(vault, dict) else ():
        check_variable_name(str(name))


def _yson_text(value: Any) -> str:
    return yson.dumps(value, yson_format="text").decode("utf-8")


def _exported(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: a bool is one in Python
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return str(value)
    return _yson_text(value)


def vault_environment(vault: dict[str, Any]) -> dict[str, str]:
    """The variables a job of an operation with this vault finds."""
    if not vault:
        return {}
    env = {WHOLE_VAULT: _yson_text(vault)}
    for name, value in vault.items():
        if value is None:
            continue  # an entity has no text of its own: nothing is exported for it
        env[f"{WHOLE_VAULT}_{name}"] = _exported(value)
    return env

"""Secrets in what an operation sends besides its secure vault.

A cluster shows an operation's spec to whoever may read the operation: a user job's
`environment`, the `title`, `description` and `started_by` (the web interface shows them),
and every other key. Only `secure_vault` is kept from them (the `secure_vault` entry of the
YTsaurus docs' "Operation options" page, yt/docs/en/_includes/user-guide/data-processing/
operations/operations-options.md). So an `env` value holding a secret travels in the vault,
and a `spec:` section holding one is refused, naming the key and never the value: when the
operation's section is read (build_spec), and again for the spec launched (seal_launched),
which the stage's code may have made or changed itself.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from yt_pipeline.errors import ConfigError
from yt_pipeline.operation_config import Fail
from yt_pipeline.secret_forms import all_forms

if TYPE_CHECKING:
    from yt_pipeline.operations import OperationSpec

#: A `spec:` section is refused only for secrets this long or longer, as the code archive
#: is (yt_pipeline_uploader.leaks.SCAN_MIN_LENGTH): a shorter one ("test", "prod") turns
#: up in ordinary titles and would refuse good operations. Moving an `env` value into the
#: vault harms nothing, so there every secret counts.
REFUSAL_MIN_LENGTH = 8


def secret_forms(pipeline_config: Any, shortest: int = 0) -> tuple[str, ...]:
    """Every written form of the secrets `pipeline_config` knows that are `shortest`
    characters or longer (none for a stage built without a configuration): made once for a
    set of secrets, however many operations ask."""
    secret_values = getattr(pipeline_config, "secret_values", None)
    if not callable(secret_values):
        return ()
    return _forms_of(tuple(value for value in secret_values() if len(value) >= shortest))


@functools.lru_cache(maxsize=8)
def _forms_of(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(all_forms(values))


def holds_secret(text: str, forms: tuple[str, ...]) -> bool:
    return any(form in text for form in forms)


def check_spec_section(section: Any, forms: tuple[str, ...], fail: Fail,
                       root: str = "spec") -> None:
    """Refuse a `spec:` section with a secret in any key or string value, naming its key
    under `root`."""
    if not forms:
        return
    for key, text in _texts(section, root):
        if holds_secret(text, forms):
            raise fail("the spec holds a secret of secrets.env here, which a cluster shows "
                       "to whoever may read the operation; give it to the job through the "
                       "operation's `env` (it travels in the secure vault)", key)


def seal_launched(spec: OperationSpec, fail: Fail) -> None:
    """Of a spec about to be launched, move each `env` value holding a secret into
    `secure_env`, and refuse an `extra_spec` holding one. build_spec does both for an
    operation's section; an OperationSpec made or changed in code (`spec.env["AUTH"] =
    "Bearer " + token`, `spec.extra_spec["description"] = ...`) and launched with
    modes.launch_operation comes past it. The secrets are those the run masks (a run
    masks every secret of its settings as it starts) and the spec's own vault."""
    from yt_pipeline.logs import known_secrets

    values = sorted(known_secrets() | {str(value) for value in spec.secure_env.values()})
    forms = _forms_of(tuple(values))
    for name, value in list(spec.env.items()):
        if holds_secret(str(value), forms):
            spec.secure_env[name] = str(spec.env.pop(name))
    long_enough = tuple(value for value in values if len(value) >= REFUSAL_MIN_LENGTH)
    check_spec_section(spec.extra_spec, _forms_of(long_enough), fail, "extra_spec")


def _texts(value: Any, key: str, depth: int = 0) -> list[tuple[str, str]]:
    """(dotted key, text) for every key and string within `value`."""
    if depth > 100:  # deeper than any spec; a cycle otherwise
        raise ConfigError(f"{key} is nested too deeply")
    if isinstance(value, str):
        return [(key, value)]
    found: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        for name, item in value.items():
            inner = f"{key}.{name}"
            found.append((key, str(name)))  # a key holding one: its parent is named
            found += _texts(item, inner, depth + 1)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found += _texts(item, f"{key}[{index}]", depth + 1)
    return found

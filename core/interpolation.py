"""`${...}` references in a stage's config.yaml, resolved as yt-framework (OmegaConf) did.

- `${client.input_table}`: the value at that dotted key of the same file. A string that is
  only a reference takes the value as it is (a number stays a number); inside a longer
  string the value is written in.
- `${oc.env:NAME}` or `${oc.env:NAME,default}`: an environment variable.

A reference to a key that is not there, or references that go round in a circle, are an
error naming the file and the key. A `$` not followed by `{` is left alone.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from typing import Any

from yt_pipeline.errors import ConfigError

_REFERENCE = re.compile(r"\$\{([^${}]+)\}")
_MISSING = object()


def has_references(data: Any) -> bool:
    if isinstance(data, str):
        return "${" in data
    if isinstance(data, Mapping):
        return any(has_references(v) for v in data.values())
    if isinstance(data, list):
        return any(has_references(v) for v in data)
    return False


def env_references(text: str) -> list[str]:
    """The environment variables the `${oc.env:NAME}` references of `text` read."""
    names = []
    for match in _REFERENCE.finditer(text):
        reference = match.group(1).strip()
        if reference.startswith("oc.env:"):
            names.append(reference[len("oc.env:"):].partition(",")[0].strip())
    return names


def resolve(data: dict[str, Any], file: str, secrets: Collection[str] = ()) -> dict[str, Any]:
    """`data` with every reference replaced; `data` itself is not changed. `secrets`: the
    names of configs/secrets.env, which no `${oc.env:...}` may read."""
    if not has_references(data):
        return data
    return _Resolver(data, file, secrets).value(data, "", ())


def secret_reference_message(key: str, name: str) -> str:
    """Why a config value may not read a secret: jobs get the stage config in the code
    archive, which every job can read."""
    return (f"{key} holds the value of {name}, a secret, which would be shipped in the code "
            f"archive; give it to the job through the operation's `env` instead (a name "
            f"from secrets.env travels as a secret)")


class _Resolver:
    def __init__(self, root: dict[str, Any], file: str, secrets: Collection[str] = ()):
        self.root = root
        self.file = file
        self.secrets = secrets

    def value(self, node: Any, key: str, seen: tuple[str, ...]) -> Any:
        if isinstance(node, Mapping):
            return {k: self.value(v, f"{key}.{k}" if key else str(k), seen)
                    for k, v in node.items()}
        if isinstance(node, list):
            return [self.value(v, f"{key}[{i}]", seen) for i, v in enumerate(node)]
        if isinstance(node, str) and "${" in node:
            return self.text(node, key, seen)
        return node

    def text(self, text: str, key: str, seen: tuple[str, ...]) -> Any:
        whole = _REFERENCE.fullmatch(text.strip())
        if whole:
            return self.lookup(whole.group(1).strip(), key, seen)
        return _REFERENCE.sub(lambda m: str(self.lookup(m.group(1).strip(), key, seen)), text)

    def lookup(self, reference: str, key: str, seen: tuple[str, ...]) -> Any:
        if reference.startswith("oc.env:"):
            name, _, default = reference[len("oc.env:"):].partition(",")
            value = os.environ.get(name.strip())
            if value is None and name.strip() in self.secrets:
                # the packaging refuses it when exported; not exported, "is not set" would
                # send the user to export the secret, only to be refused then
                raise ConfigError(secret_reference_message(key, name.strip()), file=self.file)
            if value is None and not default:
                raise ConfigError(f"${{{reference}}}: the environment variable "
                                  f"{name.strip()} is not set", file=self.file, key=key)
            return value if value is not None else default.strip()
        if reference in seen:
            raise ConfigError(f"${{{reference}}} refers back to itself "
                              f"({' -> '.join([*seen, reference])})", file=self.file, key=key)
        node: Any = self.root
        for part in reference.split("."):
            node = node.get(part, _MISSING) if isinstance(node, Mapping) else _MISSING
            if node is _MISSING:
                raise ConfigError(f"${{{reference}}}: no such key in this file",
                                  file=self.file, key=key)
        return self.value(node, reference, (*seen, reference))

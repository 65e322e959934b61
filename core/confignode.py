"""Read-only nested configuration with attribute access.

`stage.config.client.input_table` reads like code; a missing key raises a ConfigError
that names the owner (a stage), the file, and the full dotted key, instead of a bare
AttributeError deep inside a job.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from yt_pipeline.errors import ConfigError


class MissingKey(ConfigError, AttributeError, KeyError):
    """A configuration key that was asked for is not there.

    It is also an AttributeError so that `getattr(node, key, default)` and `hasattr` work.
    """

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None):
        ConfigError.__init__(self, message, file=file, key=key)

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class ConfigNode(Mapping[str, Any]):
    """A mapping whose keys can also be read as attributes, recursively."""

    __slots__ = ("_data", "_path", "_file", "_owner")

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        path: str = "",
        file: str | None = None,
        owner: str | None = None,
    ):
        object.__setattr__(self, "_data", dict(data or {}))
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_file", file)
        object.__setattr__(self, "_owner", owner)

    def _wrap(self, key: str, value: Any) -> Any:
        full = f"{self._path}.{key}" if self._path else key
        if isinstance(value, Mapping) and not isinstance(value, ConfigNode):
            return ConfigNode(value, path=full, file=self._file, owner=self._owner)
        if isinstance(value, list):
            return [
                ConfigNode(v, path=f"{full}[{i}]", file=self._file, owner=self._owner)
                if isinstance(v, Mapping)
                else v
                for i, v in enumerate(value)
            ]
        return value

    def _missing(self, key: str) -> MissingKey:
        full = f"{self._path}.{key}" if self._path else key
        owner = f"stage {self._owner}: " if self._owner else ""
        return MissingKey(f"{owner}missing key", file=self._file, key=full)

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        try:
            return self._wrap(key, self._data[key])
        except KeyError:
            raise self._missing(key) from None

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("configuration is read-only")

    def __getitem__(self, key: str) -> Any:
        try:
            return self._wrap(key, self._data[key])
        except KeyError:
            raise self._missing(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        if key in self._data:
            return self._wrap(key, self._data[key])
        return default

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"ConfigNode({self._data!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ConfigNode):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __hash__(self) -> int:  # configuration is not meant to be hashed, but Mapping needs it
        return id(self)

    @property
    def file(self) -> str | None:
        return self._file

    @property
    def key_path(self) -> str:
        return self._path

    def to_dict(self) -> dict[str, Any]:
        """A deep plain-dict copy (for fingerprints, JSON and YAML)."""
        return plain_value(self._data)


def plain_value(value: Any) -> Any:
    """`value` with every ConfigNode, mapping and sequence in it made plain dicts and lists."""
    if isinstance(value, ConfigNode):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_value(v) for v in value]
    return value

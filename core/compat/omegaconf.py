"""`OmegaConf` for stage code written for yt-framework, whose `self.config` was an OmegaConf
`DictConfig`. Here `self.config` is a ConfigNode; these functions take either (anything
else goes to the real OmegaConf, which must then be installed: the `compat` extra).
`yt-pipeline migrate` points `from omegaconf import OmegaConf` in stage.py files here; job
code keeps the real one (it reads the config file itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yt_pipeline.confignode import ConfigNode, plain_value

_MISSING = object()


def _real() -> Any:
    try:
        from omegaconf import OmegaConf as Real
    except ImportError:
        raise ImportError("this use of OmegaConf needs the omegaconf package: "
                          "pip install 'yt-pipeline[compat]'") from None
    return Real


def _node(cfg: Any) -> Any:
    """`self.deps.pipeline_config` (yt-framework's was a DictConfig too) as a ConfigNode;
    anything else as it is."""
    from yt_pipeline.config import PipelineConfig

    return cfg.as_node() if isinstance(cfg, PipelineConfig) else cfg


def _plain_of(cfg: Any) -> dict[str, Any] | None:
    """A plain dict of a ConfigNode or a plain mapping; None for anything else (a real
    OmegaConf container, a list)."""
    if isinstance(cfg, ConfigNode):
        return cfg.to_dict()
    if isinstance(cfg, Mapping) and not _real_container(cfg):
        return {str(k): v for k, v in cfg.items()}
    return None


def _real_container(cfg: Any) -> bool:
    return type(cfg).__module__.startswith("omegaconf")


def _deep_merge(into: dict[str, Any], other: Mapping[str, Any]) -> dict[str, Any]:
    """OmegaConf's rule for mappings: keys of the later one win, mappings merge key by key,
    anything else (a list included) is replaced."""
    for key, value in other.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), Mapping):
            into[key] = _deep_merge(dict(into[key]), value)
        else:
            into[key] = plain_value(value)
    return into


class _Forwarding(type):
    """`OmegaConf.create`, `OmegaConf.load` and the rest: the real OmegaConf's."""

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(_real(), name)


class OmegaConf(metaclass=_Forwarding):
    @staticmethod
    def merge(*configs: Any) -> Any:
        """`OmegaConf.merge(self.config.client.operations.sort, {"input_table": t})`: a
        ConfigNode (of the first one's file) when every argument is a ConfigNode or a
        plain mapping; anything else goes to the real OmegaConf."""
        configs = tuple(_node(cfg) for cfg in configs)
        plain = [_plain_of(cfg) for cfg in configs]
        if not configs or any(p is None for p in plain):
            real = _real()
            return real.merge(*[real.create(p) if p is not None and isinstance(c, ConfigNode)
                                else c for c, p in zip(configs, plain, strict=True)])
        merged: dict[str, Any] = {}
        for part in plain:
            _deep_merge(merged, part)  # type: ignore[arg-type]
        first = configs[0]
        if isinstance(first, ConfigNode):
            return ConfigNode(merged, path=first.key_path, file=first.file,
                              owner=getattr(first, "_owner", None))
        return ConfigNode(merged)

    @staticmethod
    def to_container(cfg: Any, *args: Any, **kwargs: Any) -> Any:
        cfg = _node(cfg)
        if isinstance(cfg, ConfigNode):
            return cfg.to_dict()  # references are resolved when the config is read
        return _real().to_container(cfg, *args, **kwargs)

    @staticmethod
    def select(cfg: Any, key: str, *, default: Any = _MISSING, **kwargs: Any) -> Any:
        cfg = _node(cfg)
        if not isinstance(cfg, ConfigNode):
            extra = {} if default is _MISSING else {"default": default}
            return _real().select(cfg, key, **extra, **kwargs)
        node: Any = cfg
        for part in key.split("."):
            if not isinstance(node, ConfigNode) or part not in node:
                return None if default is _MISSING else default
            node = node[part]
        return node

    @staticmethod
    def is_config(obj: Any) -> bool:
        return isinstance(_node(obj), ConfigNode) or _real().is_config(obj)

    @staticmethod
    def to_yaml(cfg: Any, **kwargs: Any) -> str:
        cfg = _node(cfg)
        if isinstance(cfg, ConfigNode):
            import yaml

            return str(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
        return str(_real().to_yaml(cfg, **kwargs))


def __getattr__(name: str) -> Any:
    """`from yt_pipeline.compat.omegaconf import DictConfig` and the like: the real ones."""
    import omegaconf

    return getattr(omegaconf, name)

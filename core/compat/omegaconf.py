"""`OmegaConf` for stage code written for yt-framework, whose `self.config` was an OmegaConf
`DictConfig`. Here `self.config` is a ConfigNode; these functions take either (anything
else goes to the real OmegaConf, which must then be installed: the `compat` extra).
`yt-pipeline migrate` points `from omegaconf import OmegaConf` in stage.py files here; job
code keeps the real one (it reads the config file itself).
"""

from __future__ import annotations

from typing import Any

from yt_pipeline.confignode import ConfigNode

_MISSING = object()


def _real() -> Any:
    try:
        from omegaconf import OmegaConf as Real
    except ImportError:
        raise ImportError("this use of OmegaConf needs the omegaconf package: "
                          "pip install 'yt-pipeline[compat]'") from None
    return Real


class OmegaConf:
    @staticmethod
    def to_container(cfg: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(cfg, ConfigNode):
            return cfg.to_dict()  # references are resolved when the config is read
        return _real().to_container(cfg, *args, **kwargs)

    @staticmethod
    def select(cfg: Any, key: str, *, default: Any = _MISSING, **kwargs: Any) -> Any:
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
        return isinstance(obj, ConfigNode) or _real().is_config(obj)

    @staticmethod
    def to_yaml(cfg: Any, **kwargs: Any) -> str:
        if isinstance(cfg, ConfigNode):
            import yaml

            return str(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
        return str(_real().to_yaml(cfg, **kwargs))

    def __getattr__(self, name: str) -> Any:  # pragma: no cover - instances are not made
        return getattr(_real(), name)


def __getattr__(name: str) -> Any:
    """`from yt_pipeline.compat.omegaconf import DictConfig` and the like: the real ones."""
    import omegaconf

    return getattr(omegaconf, name)

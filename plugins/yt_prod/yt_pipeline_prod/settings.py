"""Prod settings: the cluster and token from secrets, and `pipeline.prod` options.

```yaml
pipeline:
  mode: prod
  prod:
    retries: true          # the client's own retries with backoff (tests turn them off)
    poll_interval_s: 2     # how often a running operation or query is checked
    yt_config: {}          # merged into ytsaurus-client's configuration as it is
    cluster: my-cluster    # the cluster YQL queries run on (default: //sys/@cluster_name)
    yql_result_folder: //tmp/yt_pipeline/yql_results   # where a query's last SELECT lands
    archive_ttl_days: 30   # code archives not used for this long expire (null: never)
    run_lock_timeout_s: 120  # a killed run's lock on the cluster ends this long after it
```
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yt_pipeline import limits, yql_wait
from yt_pipeline.errors import ConfigError

#: the client's retry switches; all of them are turned off with `retries: false`
RETRY_SWITCHES = ("read_retries", "write_retries", "start_operation_retries",
                  "get_operation_retries", "batch_requests_retries", "concatenate_retries")


DEFAULT_ARCHIVE_TTL_DAYS = 30.0
#: see yt_pipeline_prod.run_lock, which says why
DEFAULT_RUN_LOCK_TIMEOUT_S = 120.0
#: a lock outliving its killed run by more than a day would only block the next runs
MAX_RUN_LOCK_TIMEOUT_S = 24 * 3600


@dataclass
class ProdSettings:
    proxy: str
    token: str = field(repr=False)
    build_folder: str = "//tmp/yt_pipeline/build"
    retries: bool = True
    poll_interval_s: float = 2.0
    yt_config: dict[str, Any] = field(default_factory=dict)
    #: the cluster named in each YQL query's settings; None: read //sys/@cluster_name
    cluster: str | None = None
    yql_result_folder: str = "//tmp/yt_pipeline/yql_results"
    #: days after its last upload or use that a code archive expires (None: never)
    archive_ttl_days: float | None = DEFAULT_ARCHIVE_TTL_DAYS
    #: how long a stage waits for one YQL query before it aborts it (None: no limit)
    yql_timeout_s: float | None = yql_wait.DEFAULT_YQL_TIMEOUT_S
    #: seconds without a ping after which the cluster ends a run's lock (run_lock.py)
    run_lock_timeout_s: float = DEFAULT_RUN_LOCK_TIMEOUT_S

    def client_config(self) -> dict[str, Any]:
        """The configuration patch for `yt.wrapper.YtClient`."""
        config: dict[str, Any] = {
            "write_progress_bar": {"enable": False},
            "read_progress_bar": {"enable": False},
            # a transaction whose ping fails must fail its own request or operation, not
            # interrupt the main thread and with it the whole run (the client's default)
            "ping_failed_mode": "pass",
        }
        if not self.retries:
            config["proxy"] = {"retries": {"enable": False}}
            for switch in RETRY_SWITCHES:
                config[switch] = {"enable": False}
        return deep_merge(config, self.yt_config)


def deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `extra` merged in, neither changed: a mapping in `extra` merges into a
    dict of `base` key by key at any depth; any other value (lists too) replaces."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _secrets_file(settings: Any, pipeline_dir: Path) -> str:
    given = getattr(settings, "secrets_file", None)
    if given:
        return str(given)
    configs = getattr(settings, "configs_dir", None) or Path(pipeline_dir) / "configs"
    return str(Path(configs) / "secrets.env")


def _required_secret(settings: Any, name: str, pipeline_dir: Path, example: str) -> str:
    # a function-step pipeline in a folder without a configuration file read no secrets.env
    # (or has no settings at all): the environment alone holds its credentials
    value = settings.secret(name) if settings is not None else os.environ.get(name)
    if not value:
        raise ConfigError(f"{name} is not set: prod mode needs it; "
                          + _where_to_set(settings, name, pipeline_dir, example))
    return str(value).strip()


def _where_to_set(settings: Any, name: str, pipeline_dir: Path, example: str) -> str:
    if settings is None or not getattr(settings, "reads_secrets_file", True):
        # without a configuration file nothing reads configs/secrets.env: naming it would
        # send the user to write a file that changes nothing
        return (f"export {name} in the environment (a function-step pipeline reads "
                "configs/secrets.env only when its folder has a configs/config.yaml)")
    where = _secrets_file(settings, pipeline_dir)
    return f"add the line {name}={example} to {where} or export {name} in the environment"


def load_prod_settings(settings: Any, pipeline_dir: Path) -> ProdSettings:
    proxy = _required_secret(settings, "YT_PROXY", pipeline_dir, "<cluster address>")
    token = _required_secret(settings, "YT_TOKEN", pipeline_dir, "<your token>")
    options = settings.get("pipeline.prod", None) if settings is not None else None
    options = dict(options or {})
    source = settings.source_of("pipeline.prod") if settings is not None else None

    def fail(key: str, expected: str) -> ConfigError:
        return ConfigError(f"must be {expected}", file=source, key=f"pipeline.prod.{key}")

    retries = options.get("retries", True)
    if not isinstance(retries, bool):
        raise fail("retries", "true or false")
    poll = options.get("poll_interval_s", 2.0)
    if not limits.in_range(poll, 0, limits.MAX_POLL_INTERVAL_S, low_open=True):
        raise fail("poll_interval_s", "a positive number of seconds, at most "
                   f"{limits.MAX_POLL_INTERVAL_S:,}")
    yt_config = options.get("yt_config") or {}
    if not isinstance(yt_config, Mapping):
        raise fail("yt_config", "a mapping of ytsaurus-client options")
    cluster = options.get("cluster")
    if cluster is not None and (not isinstance(cluster, str) or not cluster.strip()):
        raise fail("cluster", "a cluster name")
    folder = options.get("yql_result_folder", ProdSettings.yql_result_folder)
    if not isinstance(folder, str) or not folder.startswith("//") or not folder.rstrip("/"):
        raise fail("yql_result_folder", "a YT path (//...)")
    ttl = options.get("archive_ttl_days", DEFAULT_ARCHIVE_TTL_DAYS)
    if ttl is not None and not limits.in_range(ttl, 0, limits.MAX_TTL_DAYS, low_open=True):
        raise fail("archive_ttl_days", "a positive number of days (at most "
                   f"{limits.MAX_TTL_DAYS:,}), or null for never")
    lock_timeout = options.get("run_lock_timeout_s", DEFAULT_RUN_LOCK_TIMEOUT_S)
    # at least a second: ytsaurus-client pings every third of it
    if not limits.in_range(lock_timeout, 1, MAX_RUN_LOCK_TIMEOUT_S):
        raise fail("run_lock_timeout_s", "a number of seconds from 1 to "
                   f"{MAX_RUN_LOCK_TIMEOUT_S:,}")
    build_folder = (settings.get("pipeline.build_folder", "//tmp/yt_pipeline/build")
                    if settings is not None else "//tmp/yt_pipeline/build")
    return ProdSettings(proxy=proxy, token=token, build_folder=str(build_folder).rstrip("/"),
                        retries=retries, poll_interval_s=float(poll), yt_config=dict(yt_config),
                        cluster=cluster.strip() if cluster else None,
                        yql_result_folder=folder.rstrip("/"),
                        archive_ttl_days=None if ttl is None else float(ttl),
                        yql_timeout_s=yql_wait.configured(settings),
                        run_lock_timeout_s=float(lock_timeout))

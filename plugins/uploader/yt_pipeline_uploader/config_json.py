"""Each stage's config.yaml, also as JSON: jobs read that one.

A job runs the bare `python3` of the cluster image, which has no PyYAML, so the archive
carries `stages/<name>/config.json` beside `config.yaml` and `ytjobs.load_config()` reads it
with the standard library. Both are made from one parse, so a job sees what the stage sees.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from yt_pipeline.errors import PackagingError
from yt_pipeline.interpolation import resolve
from yt_pipeline.stage import STAGE_CONFIG_FILE
from yt_pipeline.yamlio import read_yaml_mapping

if TYPE_CHECKING:
    from yt_pipeline_uploader.leaks import SecretScan

#: the JSON twin of config.yaml; ytjobs finds it by the same rule (suffix .json)
STAGE_CONFIG_JSON = "config.json"


def _plain(value: Any, where: str) -> Any:
    # YAML has types JSON lacks; dates are common in configs and read as ISO text in jobs
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise PackagingError(f"{where}: a {type(value).__name__} cannot be passed to a job "
                         "(the job reads the stage config as JSON)")


def config_json(stage_dir: Path, shown: str, pipeline_dir: Path | None = None,
                secrets: SecretScan | None = None) -> bytes | None:
    """The JSON a job reads for the stage in `stage_dir`; None without a config.yaml.

    A config that would put one of the `secrets` into it is refused: the JSON is shipped
    in the code archive, which every job can read.
    """
    path = stage_dir / STAGE_CONFIG_FILE
    if not path.is_file():
        return None
    raw = read_yaml_mapping(path, display=shown, memo=pipeline_dir)
    # jobs get the values the stage sees, `${...}` references resolved
    data = _plain(resolve(raw, shown), shown)
    if secrets is not None:
        from yt_pipeline_uploader.leaks import check_stage_config

        check_stage_config(raw, data, shown, secrets)
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")

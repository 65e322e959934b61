"""Run one pipeline folder in dev and in prod (on the fake proxy) and compare every table.

The prod copy runs with the real uploader and client against the strict fake: jobs under the
oldest Python 3.8+ on the machine with no packages, in an environment holding only what the
operation spec passes.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from yt_pipeline.yamlio import dump_yaml
from yt_pipeline_prod.testing import TEST_PROD_OPTIONS, TEST_TOKEN

IGNORED = shutil.ignore_patterns(".dev", ".build", ".runs", "state.*.yml", "__pycache__")


def prod_tables(fake_yt: Any) -> dict[str, list[dict[str, Any]]]:
    cypress = fake_yt.state.cypress
    tables = {}
    for path in cypress.paths(None):
        node = cypress.lookup(path, None)
        if node is not None and node.type == "table":
            tables[path] = [dict(row) for row in node.rows]
    return tables


def dev_tables(pipeline_dir: Path) -> dict[str, list[dict[str, Any]]]:
    from yt_pipeline.config import load_config
    from yt_pipeline.pipeline import DefaultPipeline

    pipeline = DefaultPipeline(config=load_config(pipeline_dir, overrides=["pipeline.mode=dev"]))
    root = pipeline_dir / ".dev"
    tables = {}
    for file in sorted(root.rglob("*.jsonl")):
        relative = file.relative_to(root).with_suffix("").as_posix()
        if relative.startswith(("sandbox", "_")):
            continue
        path = "//" + relative
        tables[path] = list(pipeline.yt.read_table(path))
    return tables


def copy_pipeline(source: Path, target: Path, paths: dict[str, str] | None = None) -> Path:
    """A copy of a pipeline folder; `paths` rewrites YT path prefixes in its YAML files."""
    shutil.copytree(source, target, ignore=IGNORED)
    for file in target.rglob("*.yaml"):
        text = file.read_text()
        for old, new in (paths or {}).items():
            text = text.replace(old, new)
        file.write_text(text)
    return target


def run_both(source: Path, tmp_path: Path, fake_yt: Any, run_cli: Any, monkeypatch: Any,
             *args: str, cluster: tuple[str, str] | None = None,
             paths: dict[str, str] | None = None) -> tuple[Path, Path]:
    """Copies of `source` run in dev and in prod; returns (dev folder, prod folder).

    Prod is the fake proxy, or `cluster` (proxy, token) with the client's own retries.
    """
    dev_dir = copy_pipeline(source, tmp_path / "dev", paths)
    prod_dir = copy_pipeline(source, tmp_path / "prod", paths)
    proxy, token = cluster or (fake_yt.url, TEST_TOKEN)
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    dev = run_cli("run", dev_dir, "--set", "pipeline.mode=dev", *args)
    assert dev.exit_code == 0, dev.output

    (prod_dir / "configs" / "secrets.env").write_text(f"YT_PROXY={proxy}\nYT_TOKEN={token}\n")
    config_file = prod_dir / "configs" / "config.yaml"
    data = yaml.safe_load(config_file.read_text())
    data["pipeline"].update({"mode": "prod"} if cluster else
                            {"mode": "prod", "prod": TEST_PROD_OPTIONS})
    config_file.write_text(dump_yaml(data))
    prod = run_cli("run", prod_dir, *args)
    assert prod.exit_code == 0, prod.output
    return dev_dir, prod_dir


def compare_tables(dev_dir: Path, fake_yt: Any, unordered: tuple[str, ...] = (),
                   scheduler_columns: tuple[str, ...] = (),
                   prod: dict[str, list[dict[str, Any]]] | None = None) -> int:
    """Assert that dev and prod hold the same tables with the same rows; returns how many.

    `unordered`: tables whose row order is the scheduler's choice (map outputs of several
    jobs); `scheduler_columns`: columns that say which job handled a row; `prod`: the
    tables read from a real cluster instead of the fake.
    """
    dev = dev_tables(dev_dir)
    prod = prod if prod is not None else prod_tables(fake_yt)
    assert sorted(dev) == sorted(prod)
    for path in dev:
        dev_rows = [_without(r, scheduler_columns) for r in dev[path]]
        prod_rows = [_without(r, scheduler_columns) for r in prod[path]]
        if path in unordered:
            dev_rows, prod_rows = _sorted(dev_rows), _sorted(prod_rows)
        assert prod_rows == dev_rows, path
    return len(dev)


def _without(row: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in columns}


def _sorted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    import json

    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))

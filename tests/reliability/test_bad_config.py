"""Property tests: whatever the configuration, the result is a clean run or one clear line.

Malformed YAML, wrong types, unknown modes, cycles, missing stages, odd unicode and bad
--set values are fed to `yt-pipeline run`; the outcome is always exit 0, or exit 2 with a
single `error:` line naming the file or key — never a traceback, never a partial run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from yt_pipeline.testing import invoke_cli, write_pipeline

STAGE = """
from yt_pipeline import BaseStage


class S(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//tmp/ran/" + self.name, [{"stage": self.name}])
        return debug
"""
STAGES = ["load", "clean", "report"]
KNOWN_PLACES = ("configs/config.yaml", "--set", "environment", "stages.", "pipeline.", "stages/")

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**20), st.floats(allow_nan=False),
    st.text(max_size=12), st.sampled_from(["dev", "prod", "DEV", "", "//tmp/x", "../x", "\u202e"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=10,
)
stage_names = st.sampled_from(STAGES + ["ghost", "", "ünïcode", "../x"])
pipeline_section = st.dictionaries(
    st.sampled_from(["mode", "workers", "cache", "build_folder", "upload_modules",
                     "upload_paths", "dev_dir", "other"]),
    values,
    max_size=4,
)
graphs = st.dictionaries(stage_names, st.one_of(st.lists(stage_names, max_size=3), values), max_size=4)
stages_section = st.one_of(
    st.fixed_dictionaries({"enabled_stages": st.one_of(st.lists(stage_names, max_size=4), values)}),
    st.fixed_dictionaries({"graph": graphs}),
    st.dictionaries(st.text(max_size=6), values, max_size=2),
)
documents = st.one_of(
    st.fixed_dictionaries({"pipeline": pipeline_section, "stages": stages_section}).map(
        lambda d: yaml.safe_dump(d, allow_unicode=True)
    ),
    values.map(lambda v: yaml.safe_dump(v, allow_unicode=True)),
    st.text(max_size=80),  # arbitrary text, mostly malformed YAML
)
overrides = st.lists(
    st.tuples(st.sampled_from(["pipeline.mode", "pipeline.workers", "stages.enabled_stages",
                               "pipeline", "x.y.z", "", "pipeline.cache"]),
              st.text(max_size=10)).map(lambda kv: f"{kv[0]}={kv[1]}"),
    max_size=2,
)


def check_outcome(root: Path, args: list[str]) -> None:
    shutil.rmtree(root / ".dev", ignore_errors=True)
    result = invoke_cli("run", str(root), *args)
    event(f"exit {result.exit_code}")
    assert "Traceback" not in result.output
    if result.exit_code == 0:
        return
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if not line[:2].isdigit()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert any(place in lines[0] for place in KNOWN_PLACES), lines[0]
    assert not (root / ".dev" / "tmp" / "ran").exists(), "a stage ran before the error"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=documents, extra=overrides)
def test_any_config_gives_a_run_or_one_clear_line(tmp_path_factory, document, extra):
    root = write_pipeline(
        tmp_path_factory.mktemp("p"), {f"stages/{n}/stage.py": STAGE for n in STAGES}
    )
    (root / "configs").mkdir()
    (root / "configs/config.yaml").write_text(document, encoding="utf-8")
    args: list[str] = []
    for item in extra:
        args += ["--set", item]
    check_outcome(root, args)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stage_config=documents)
def test_any_stage_config_is_a_clear_error(tmp_path_factory, stage_config):
    stage = STAGE.replace('self.deps.yt_client.write_table', 'self.config.get("x"); self.deps.yt_client.write_table')
    root = write_pipeline(
        tmp_path_factory.mktemp("s"),
        {"stages/load/stage.py": stage},
        config={"stages": {"enabled_stages": ["load"]}},
    )
    (root / "stages/load/config.yaml").write_text(stage_config, encoding="utf-8")
    result = invoke_cli("run", str(root))
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code != 0:
        assert "stages/load/config.yaml" in result.stderr, result.stderr

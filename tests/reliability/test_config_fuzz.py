"""Generated YAML (aliases, deep nesting, huge numbers, odd tags, settings-library
directives) thrown at the configuration loader and the stage-config checks: within 2 seconds
per example, the answer is always a valid configuration or one ConfigError line."""

from __future__ import annotations

import copy
import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yt_pipeline.config import load_config
from yt_pipeline.errors import ConfigError
from yt_pipeline.operation_config import check_operation_sections
from yt_pipeline.stage import load_stage_config
from yt_pipeline.yamlio import dump_yaml

BUDGET_S = 2.0

SCALARS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text("0123456789", min_size=300, max_size=5000),  # more digits than int() converts
    st.sampled_from([".nan", ".inf", "-.inf", "1e400", "-1e400", "1e3", "0o17", "0x1f", "017",
                     "1_000", "~", "null", "true", "no", "on", "''", "2001-12-14",
                     "2001-12-14t21:59:43.10-05:00", "'@format {env[YT_TOKEN]}'",
                     "'@int 12'", "'@del'", "'@jinja {{ 1 }}'", "'@json [1]'", "dev", "prod",
                     "//tmp/x", "-1", "0", "1000000000"]),
    st.sampled_from(["!!binary aGVsbG8=", "!!timestamp 2001-12-14", "!!set {a, b}",
                     "!!omap [a: 1]", "!!pairs [a: 1, a: 2]", "!!float 1", "!!int '7'",
                     "!!str 5", "!!null ''", "!!bool yes", "!custom x", "!!python/name:os.system",
                     "!!python/object/apply:os.system ['true']", "!!map {a: 1}", "!!seq [1]"]),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=20).map(json.dumps),
)
KEYS = st.sampled_from(["mode", "workers", "cache", "build_folder", "dev_dir", "upload_paths",
                        "enabled_stages", "graph", "prod", "poll_interval_s", "resources",
                        "job_count", "timeout_s", "operations", "map", "x", "<<", "1", "~",
                        "dynaconf_merge", "client"])


def flow(depth: int) -> st.SearchStrategy[str]:
    """A flow-style YAML value, nested up to `depth`, with anchors and aliases."""
    leaf = st.one_of(SCALARS, st.sampled_from(["*a0", "*a1", "*a2"]))
    if depth == 0:
        return leaf
    inner = flow(depth - 1)
    return st.one_of(
        leaf,
        st.lists(inner, max_size=9).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(KEYS, inner), max_size=5).map(
            lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"),
        st.tuples(st.sampled_from(["a0", "a1", "a2"]), inner).map(lambda t: f"&{t[0]} {t[1]}"),
    )


def anchors() -> st.SearchStrategy[str]:
    """A chain of anchors each standing for nine of the one before: up to 9**12 values."""
    return st.integers(min_value=0, max_value=12).map(lambda levels: "".join(
        ["l0: &l0 [x, x, x, x, x, x, x, x, x]\n"]
        + [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]\n" for n in range(1, levels + 1)]))


DOCUMENTS = st.one_of(
    st.tuples(flow(3), flow(3), flow(2)).map(
        lambda t: f"pipeline: {t[0]}\nstages: {t[1]}\nextra: {t[2]}\n"),
    st.tuples(anchors(), flow(2)).map(lambda t: t[0] + f"pipeline: {{mode: dev, x: {t[1]}}}\n"
                                                        "stages: {enabled_stages: [s]}\n"),
    st.integers(min_value=1, max_value=3000).map(lambda n: "a: " + "[" * n + "]" * n + "\n"),
    st.integers(min_value=1, max_value=300).map(
        lambda n: "".join(" " * (2 * i) + f"k{i}:\n" for i in range(n)) + " " * (2 * n) + "v\n"),
    st.tuples(KEYS, flow(1), flow(1)).map(lambda t: f"{t[0]}: {t[1]}\n{t[0]}: {t[2]}\n"),
    st.text(max_size=200),
)


def answer_of(call) -> object:
    """The result of `call`, or the ConfigError it raised, checked to be one line."""
    try:
        return call()
    except ConfigError as exc:
        text = str(exc)
        assert "\n" not in text and text.strip(), repr(text)
        assert len(text) < 2000, text[:200]
        return exc


@settings(deadline=int(BUDGET_S * 1000), max_examples=150,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(text=DOCUMENTS)
def test_the_pipeline_config_loader(tmp_path_factory, text):
    root = tmp_path_factory.mktemp("p")
    (root / "configs").mkdir()
    (root / "configs" / "config.yaml").write_text(text, encoding="utf-8")
    started = time.monotonic()
    config = answer_of(lambda: load_config(root, environ={}))
    if not isinstance(config, ConfigError):
        # a valid configuration can be shown, copied and walked like any other
        dump_yaml(config.redacted())
        copy.deepcopy(config.data)
        assert config.mode in ("dev", "prod")
    assert time.monotonic() - started < BUDGET_S


@settings(deadline=int(BUDGET_S * 1000), max_examples=150,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(text=DOCUMENTS, section=flow(2))
def test_the_stage_config_checks(tmp_path_factory, text, section):
    stage_dir = tmp_path_factory.mktemp("s")
    body = text + f"\nops:\n  client: {{operations: {{map: {section}}}}}\n"
    (stage_dir / "config.yaml").write_text(body, encoding="utf-8")
    started = time.monotonic()

    def check() -> None:
        config = load_stage_config(stage_dir, "s")
        check_operation_sections("s", stage_dir, config)
        client = config.get("ops") if hasattr(config, "get") else None
        if client is not None and hasattr(client, "items"):
            check_operation_sections("s", stage_dir, client)
        config.to_dict()

    answer_of(check)
    assert time.monotonic() - started < BUDGET_S


@settings(deadline=int(BUDGET_S * 1000), max_examples=100)
@given(value=flow(2), key=st.lists(KEYS, min_size=1, max_size=3))
def test_set_and_environment_values(tmp_path_factory, value, key):
    root = tmp_path_factory.mktemp("p")
    dotted = ".".join(["pipeline", *key])
    answer_of(lambda: load_config(root, overrides=[f"{dotted}={value}"], environ={}))
    variable = "YTP_" + "__".join(["PIPELINE", *(k.upper() for k in key)])
    answer_of(lambda: load_config(root, environ={variable: value}))

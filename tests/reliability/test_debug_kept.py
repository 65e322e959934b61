"""What a later stage receives after `--resume` and from the cache is exactly what a fresh run
gives it, or the stage that returned a value that cannot be kept fails at once, naming it."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yt_pipeline.errors import DebugNotKept
from yt_pipeline.keep import keep_debug, restore_debug
from yt_pipeline.testing import write_pipeline

VALUES = """
import datetime, decimal, uuid
from pathlib import Path, PurePosixPath

VALUES = {
    "int_keys": {1: "one", 2: {3: "three"}},
    "tuple": (1, (2, 3), [4, (5,)]),
    "tuple_keys": {(1, "a"): "pair"},
    "date": datetime.date(2024, 2, 29),
    "datetime": datetime.datetime(2024, 2, 29, 23, 59, 58, 123456),
    "aware": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=3))),
    "time": datetime.time(12, 30),
    "timedelta": datetime.timedelta(days=2, seconds=5),
    "path": Path("/data/x.csv"),
    "pure": PurePosixPath("a/b"),
    "decimal": decimal.Decimal("10.50"),
    "set": {3, 1, 2},
    "frozenset": frozenset({"a"}),
    "bytes": b"\\x00\\xffraw",
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "nan_free": [1.5, -0.0, 1e300],
    "inf": float("inf"),
    "tagged": {"$t": "a user's own key"},
    "nested": [{"when": datetime.date(2024, 1, 1), "ids": {1, 2}}],
}
"""
PRODUCE = """
from yt_pipeline import BaseStage
from values import VALUES


class Produce(BaseStage):
    def run(self, debug):
        debug.update(VALUES)
        return debug
"""
CONSUME = """
import json
import uuid
from pathlib import Path
from yt_pipeline import BaseStage
from values import VALUES


class Consume(BaseStage):
    def run(self, debug):
        same = {k: debug[k] == v and type(debug[k]) is type(v) for k, v in VALUES.items()}
        Path(self.context.pipeline_dir, "received.json").write_text(json.dumps(same))
        if self.config.get("fail"):
            raise RuntimeError("fails once")
        return debug
"""


def make(root: Path, **consume) -> Path:
    return write_pipeline(root, {
        "configs/config.yaml": "pipeline: {mode: dev}\n"
                               "stages: {enabled_stages: [produce, consume]}\n",
        "values.py": VALUES,
        "stages/produce/stage.py": PRODUCE,
        "stages/produce/config.yaml": "cache: true\n",
        "stages/consume/stage.py": CONSUME,
        "stages/consume/config.yaml": json.dumps(consume),
    })


def received(root: Path) -> dict:
    return json.loads((root / "received.json").read_text())


def test_after_resume_and_from_the_cache_a_stage_receives_what_a_fresh_run_gives(
        tmp_path, run_cli, monkeypatch):
    root = make(tmp_path / "p", fail=True)
    monkeypatch.syspath_prepend(str(root))
    first = run_cli("run", root)
    assert first.exit_code == 1  # consume failed, after it saw the fresh values
    fresh = received(root)
    assert all(fresh.values()), fresh
    (root / "stages/consume/config.yaml").write_text("{}")
    resumed = run_cli("run", root, "--resume")  # produce is not run: its kept debug is used
    assert resumed.exit_code == 0, resumed.output
    assert received(root) == fresh
    cached = run_cli("run", root)  # produce comes from the cache
    assert cached.exit_code == 0, cached.output
    assert "CACHED" in cached.output
    assert received(root) == fresh


BAD = """
import collections, datetime, zoneinfo
from yt_pipeline import BaseStage


class Produce(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//t/out", [{"x": 1}])
        debug["bad"] = %s
        return debug
"""


@pytest.mark.parametrize("code, where", [
    ("object()", "debug['bad'] of type object"),
    ("{'ok': [1, {2: object()}]}", "debug['bad']['ok'][1][2] of type object"),
    ("collections.OrderedDict(a=1)", "debug['bad'] of type OrderedDict"),
    ("datetime.datetime(2024, 1, 1, tzinfo=zoneinfo.ZoneInfo('Europe/Berlin'))",
     "debug['bad'] of type datetime"),
])
def test_a_value_that_cannot_be_kept_fails_its_stage_naming_the_key(tmp_path, run_cli, code,
                                                                   where):
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": "pipeline: {mode: dev}\nstages: {enabled_stages: [produce]}\n",
        "stages/produce/stage.py": BAD % code,
    })
    result = run_cli("run", root)
    assert result.exit_code == 1
    errors = [text for text in result.stderr.splitlines() if text.startswith("error:")]
    assert errors[0].startswith(f"error: stage produce failed: stage produce returned {where}, "
                                "which cannot be kept for --resume and the cache (keep str, int")
    assert "produce: FAILED" in (root / "state.dev.yml").read_text()
    assert not (root / ".dev/t/out.jsonl").exists()  # its writes were not committed


class Opaque:
    pass


def test_a_step_output_that_cannot_be_kept_fails_the_step(tmp_path):
    from yt_pipeline import Pipeline, step

    @step(outputs=["handle"])
    def opened():
        return Opaque()

    result = Pipeline("p", folder=tmp_path).add_step(opened).run()
    assert not result.success
    assert result.error.startswith("step opened failed: step opened returned output['handle'] "
                                   "of type Opaque, which cannot be kept")


def test_step_outputs_come_back_from_the_cache_as_returned(tmp_path):
    from yt_pipeline import Pipeline, step

    calls = []

    @step(outputs=["table"], cache=True)
    def build():
        calls.append(1)
        return {(1, 2): {datetime.date(2024, 1, 1)}, 3: b"x"}

    @step(inputs=["table"], outputs=["echo"])
    def echo(table):
        return table

    first = Pipeline("p", folder=tmp_path).add_step(build).add_step(echo).run()
    second = Pipeline("p", folder=tmp_path).add_step(build).add_step(echo).run()
    assert calls == [1]  # the second run took build from the cache
    assert second["echo"] == first["echo"] == {(1, 2): {datetime.date(2024, 1, 1)}, 3: b"x"}


KEYS = st.one_of(st.text(max_size=5), st.integers(), st.tuples(st.integers(), st.text(max_size=3)))
LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(), st.binary(),
    st.dates(), st.datetimes(), st.times(), st.timedeltas(), st.decimals(allow_nan=False),
    st.uuids(), st.builds(PurePosixPath, st.text(max_size=8)),
    st.frozensets(st.integers(), max_size=4), st.sets(st.text(max_size=4), max_size=4),
)
VALUES_ST = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.tuples(inner, inner),
    st.dictionaries(KEYS, inner, max_size=4)), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=6), VALUES_ST, max_size=5))
def test_every_keepable_value_comes_back_equal_and_of_its_own_type(debug):
    back = restore_debug(json.loads(json.dumps(keep_debug("stage s", debug))))
    assert _typed(back) == _typed(debug)


def _typed(value):
    """A value with every part's type next to it, so 1 == 1.0 == True cannot pass."""
    if isinstance(value, dict):
        return ("dict", sorted(((repr(_typed(k)), _typed(v)) for k, v in value.items()), key=repr))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_typed(v) for v in value])
    if isinstance(value, (set, frozenset)):
        return (type(value).__name__, sorted(repr(_typed(v)) for v in value))
    return (type(value).__name__, repr(value))


def test_the_same_set_is_kept_the_same_way():
    """Sets are kept sorted, so a debug holding one gives one fingerprint in every process."""
    assert keep_debug("s", {"s": {"b", "a", "c"}}) == keep_debug("s", {"s": {"c", "a", "b"}})


def test_debug_kept_by_an_older_version_still_reads():
    assert restore_debug({"rows": 5, "names": ["a"], "more": {"x": 1}}) == {
        "rows": 5, "names": ["a"], "more": {"x": 1}}


def test_a_subclass_is_not_taken_for_its_base():
    """A Decimal subclass kept as a Decimal would come back as another type."""
    with pytest.raises(DebugNotKept, match=r"debug\['d'\] of type Special,") as caught:
        keep_debug("stage s", {"d": Special("1")})
    assert "\n" not in str(caught.value)


class Special(decimal.Decimal):
    pass


def test_a_kept_value_whose_text_held_a_secret_comes_back_as_the_masked_text():
    """Masking a kept UUID, Decimal or bytes that holds a secret's text breaks its form;
    it comes back as that masked text (as any value that held a secret), not as an error
    when a resumed run reads it."""
    from yt_pipeline.secret_forms import all_forms, mask_data

    debug = {"u": uuid.UUID("12345678-1234-5678-1234-567812345678"),
             "d": decimal.Decimal("1234.5"), "day": datetime.date(2024, 1, 2)}
    kept = mask_data(keep_debug("stage s", debug), all_forms(["1234"]))
    assert restore_debug(json.loads(json.dumps(kept))) == {
        "u": "***5678-***-5678-***-5678***5678", "d": "***.5",
        "day": datetime.date(2024, 1, 2)}

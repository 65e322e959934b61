"""The same row has the same outcome in dev and in prod (the real ytsaurus-client against the
fake proxy, whose jobs run a bare python3): stored with the same value, or refused with the
same kind of error naming the table, the row and the column.

What prod does, and where that was learned:

- `client.write_table` hands rows to ytsaurus-client with `JsonFormat(encode_utf8=False)`
  (our prod client, plugins/yt_prod/yt_pipeline_prod/client.py). `JsonFormat._encode` passes
  every map key to `_dump_python_string`, which raises "Object 1 is not string object" for an
  int key, sends ASCII bytes as text and refuses other bytes ("Cannot interpret binary
  non-ascii string as bytes when 'encode_utf8' disabled"); the rows are then dumped by
  simplejson (`yt/json_wrapper.py`), which ytsaurus-client requires at >= 3.20.2 and whose
  `allow_nan` defaults to False since 3.19: a NaN or an infinity is "Out of range float
  values are not JSON compliant", a set "Object of type set is not JSON serializable".
  Read in yt/python/yt/wrapper/format.py as installed (ytsaurus-client 0.13.55; the file is
  yt/python/yt/wrapper/format.py of ytsaurus/ytsaurus in the code search) and in the
  installed simplejson. Nothing of such a row reaches the cluster.
- A job's output is parsed by the cluster's JSON parser: yt/yt/core/json/json_parser.cpp
  over yajl (read in ytsaurus/ytsaurus, and with the yajl it builds, contrib/deprecated/yajl,
  in a snapshot of ytsaurus/ytsaurus-cpp-sdk). Its lexer has no `NaN` or `Infinity` token
  ("invalid char in json text"), its parser stops at `1e400` ("numeric (floating point)
  overflow", yajl_parser.c), and a key repeated in a row is "Duplicate key" (the tree
  builder behind json_callbacks.cpp). A job writing through ytjobs refuses what the client
  refuses, under every JSON engine, before the cluster sees it.
- A YQL Double may be NaN or infinite in a table. YT's JSON writer refuses such a value
  ("Unexpected NaN or infinity encountered during JSON writing") unless the format sets
  `stringify_nan_and_infinity`, and then writes "nan", "inf", "-inf" (TJsonConsumer::
  OnDoubleScalar in yt/yt/core/json/json_writer.cpp; the option, off by default, in
  json/config.cpp and on the YTsaurus docs' Formats page). The prod backend reads with it
  set, so such a value reads as that text in both modes.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("yt_pipeline_prod")

sys.path.insert(0, str(Path(__file__).parents[1] / "yt_prod"))
from prod_packages import build_package  # noqa: E402 - tests/yt_prod is put on the path above

from yt_pipeline.errors import BackendError, OperationFailed, YtPipelineError  # noqa: E402
from yt_pipeline.operations import OperationSpec, Resources  # noqa: E402
from yt_pipeline_dev.client import DevClient  # noqa: E402
from yt_pipeline_dev.launcher import launch as dev_launch  # noqa: E402
from yt_pipeline_prod import plugin  # noqa: E402
from yt_pipeline_prod.testing import make_prod_client, start_fake_proxy  # noqa: E402

NAN, INF = float("nan"), float("inf")

#: rows the prod client refuses, and the words both modes refuse them with
REFUSED = {
    "nan": ({"id": 1, "x": NAN}, "column 'x' holds nan: YT's JSON format has no NaN"),
    "inf": ({"x": INF}, "column 'x' holds inf"),
    "minus-inf": ({"x": [1.0, -INF]}, "column 'x' holds -inf"),
    "nested-nan": ({"x": {"y": NAN}}, "column 'x' holds nan"),
    "int-key": ({1: "a"}, "column name 1 is an int: column names and map keys must be"),
    "colliding-keys": ({1: "a", "1": "b"}, "column name 1 is an int"),
    "colliding-map-keys": ({"m": {1: "a", "1": "b"}}, "column 'm' holds a map key 1, an int"),
    "bytes": ({"b": b"\xff\xfe"}, "column 'b' holds bytes that are not ASCII"),
    "set": ({"s": {1, 2}}, "column 's' holds a set: YT has no set type"),
    "frozenset": ({"s": frozenset([1])}, "column 's' holds a frozenset"),
    # simplejson refuses them (TypeError: "Object of type datetime is not JSON serializable")
    # each with the number a column of YT's time type takes, since text is refused there
    "datetime": ({"t": datetime.datetime(2026, 1, 2)}, "column 't' holds a datetime: YT's JSON "
                 "format has no type for it (write it as text, e.g. str(value); into a "
                 "datetime or timestamp column, its seconds or microseconds since 1970-01-01 "
                 "UTC)"),
    "date": ({"t": [datetime.date(2026, 1, 2)]}, "column 't' holds a date: YT's JSON format "
             "has no type for it (write it as text, e.g. str(value); into a date column, its "
             "days since 1970-01-01: (value - date(1970, 1, 1)).days)"),
    "timedelta": ({"t": datetime.timedelta(1)}, "column 't' holds a timedelta: YT's JSON "
                  "format has no type for it (write it as text, e.g. str(value); into an "
                  "interval column, its microseconds)"),
    # sent by the client, refused by the cluster's parser: "integer overflow" (yajl_parser.c;
    # YT's yajl_parse_integer / yajl_parse_unsigned_integer read int64, then uint64)
    "int-over-uint64": ({"n": 1 << 64}, "column 'n' holds 18446744073709551616: YT's integers "
                                        "are 64 bits (int64 or uint64): integer overflow"),
    "int-under-int64": ({"n": {"m": [-(1 << 63) - 1]}}, "column 'n' holds -9223372036854775809"),
    # simplejson writes a Decimal as its literal (use_decimal): `NaN` is no token of YT's lexer
    "decimal-nan": ({"d": decimal.Decimal("NaN")}, "column 'd' holds Decimal('NaN'): YT's JSON "
                                                   "format has no NaN or infinity"),
    # simplejson sent it escaped, and YT's yajl stored "?" for a lone high half (a wrong
    # character when another escape follows) and undecodable bytes for a lone low half
    # (yajl_string_decode, contrib/deprecated/yajl/src/yajl_encode.c): the client writes
    # text as UTF-8 now, which a lone surrogate has no form in
    "surrogate": ({"k": "\ud800"}, "column 'k' holds text with a lone surrogate '\\ud800', "
                                   "which is not Unicode text"),
    "low-surrogate-in-list": ({"k": ["ok", "x\udcff"]}, "column 'k' holds text with a lone "
                                                       "surrogate '\\udcff'"),
}
#: rows both modes store, and the value each stores (bytes differed before; a tuple and
#: the edges of a double were alike already, and must stay so)
STORED = {
    "ascii-bytes": ({"b": b"xy", "k": [b"z"]}, {"b": "xy", "k": ["z"]}),
    "ascii-bytes-key": ({b"k": 1}, {"k": 1}),
    "tuple": ({"t": (1, "a")}, {"t": [1, "a"]}),
    "finite-edges": ({"big": 1.7976931348623157e308, "tiny": 5e-324, "neg0": -0.0},
                     {"big": 1.7976931348623157e308, "tiny": 5e-324, "neg0": -0.0}),
    "int64-and-uint64-edges": ({"lo": -(1 << 63), "hi": (1 << 64) - 1, "mid": [1 << 63]},
                               {"lo": -(1 << 63), "hi": (1 << 64) - 1, "mid": [1 << 63]}),
    # the literal simplejson sends is read by YT as a double when it has a point or an
    # exponent, else as an integer
    "decimal": ({"d": decimal.Decimal("1.50"), "i": decimal.Decimal("3"),
                 "e": decimal.Decimal("1E+2")}, {"d": 1.5, "i": 3, "e": 100.0}),
}


class Both:
    """A dev client and a prod client on the fake proxy, and one stage folder for jobs."""

    def __init__(self, tmp_path: Path, prod: Any, fake: Any, scripts: dict[str, str]):
        self.root = tmp_path / "pipe"
        stage = self.root / "stages" / "s"
        (stage / "src").mkdir(parents=True)
        (stage / "config.yaml").write_text("{}\n")
        for relative, text in scripts.items():
            (stage / relative).write_text(textwrap.dedent(text))
        self.package = build_package(tmp_path / ".build", {"s": scripts}) if scripts else None
        self.dev = DevClient(self.root / ".dev")
        self.prod, self.fake = prod, fake

    def each(self) -> list[tuple[str, Any]]:
        return [("dev", self.dev), ("prod", self.prod)]

    def put(self, path: str, rows: list[dict]) -> None:
        for _, client in self.each():
            client.write_table(path, rows)

    def map(self, script: str, source: str, target: str) -> dict[str, BaseException | None]:
        """Run the mapper in both modes; the error of each (None when it succeeded)."""
        spec = OperationSpec(kind="map", stage_name="s", name="map", mapper=script,
                             stage_dir=self.root / "stages" / "s", pipeline_dir=self.root,
                             input_tables=[source], output_tables=[target],
                             resources=Resources(job_count=1))
        runs = {"dev": lambda: dev_launch(self.dev, spec),
                "prod": lambda: plugin.launch_operation(
                    self.prod, dataclasses.replace(spec, code_package=self.package))}
        return {mode: _error_of(run) for mode, run in runs.items()}

    def read(self, path: str) -> dict[str, list[dict]]:
        return {mode: list(client.read_table(path)) for mode, client in self.each()}

    def map_fails(self, script: str, source: str, target: str, words: str) -> None:
        """The mapper fails its operation in both modes, saying `words`, and leaves no row
        in `target`."""
        for mode, error in self.map(script, source, target).items():
            assert isinstance(error, OperationFailed), (mode, error)
            assert words in str(error), (mode, str(error))
        assert not any(client.exists(target) and list(client.read_table(target))
                       for _, client in self.each())


@pytest.fixture
def modes(tmp_path: Path) -> Any:
    """Makes a `Both` (given the job scripts of its stage) on one fake proxy."""
    fake = start_fake_proxy()
    prod = make_prod_client(fake)
    try:
        yield lambda scripts=None: Both(tmp_path, prod, fake, scripts or {})
    finally:
        prod.close()
        fake.stop()


def _error_of(action: Any) -> BaseException | None:
    try:
        action()
    except YtPipelineError as error:
        return error
    return None


# -- client.write_table ----------------------------------------------------------------------

@pytest.mark.parametrize("row, words", REFUSED.values(), ids=REFUSED)
def test_write_table_refuses_the_same_rows_with_the_same_error(modes, row, words):
    both = modes()
    errors = {}
    for mode, client in both.each():
        with pytest.raises(BackendError) as caught:
            client.write_table("//rows/t", [{"id": 0}, row])
        errors[mode] = str(caught.value)
        assert not client.exists("//rows/t"), mode  # refused whole: no table left behind
    assert errors["dev"] == errors["prod"]
    assert errors["dev"].startswith(f"write_table //rows/t: row 2: {words}")
    assert "\n" not in errors["dev"]


@pytest.mark.parametrize("row, stored", STORED.values(), ids=STORED)
def test_write_table_stores_the_same_value(modes, row, stored):
    both = modes()
    both.put("//rows/t", [row])
    assert both.read("//rows/t") == {"dev": [stored], "prod": [stored]}


def test_a_refused_append_leaves_the_table_as_it_was(modes):
    both = modes()
    both.put("//rows/t", [{"id": 0}])
    for _, client in both.each():
        with pytest.raises(BackendError, match="column 'x' holds nan"):
            client.write_table("//rows/t", [{"id": 1}, {"x": NAN}], append=True)
    assert both.read("//rows/t") == {"dev": [{"id": 0}], "prod": [{"id": 0}]}


# -- rows a mapper writes --------------------------------------------------------------------

WRITING_MAPPER = """
import math
from ytjobs import read_rows, write_rows

VALUES = {{"nan": math.nan, "inf": math.inf, "int-key": None, "colliding": None,
          "set": {{1, 2}}, "bytes": b"\\xff", "ascii": b"ok", "big-int": 1 << 64,
          "surrogate": b"ok \\xff".decode("utf-8", "surrogateescape")}}


def out(row):
    case = row["case"]
    if case == "int-key":
        return {{1: "a"}}
    if case == "colliding":
        return {{1: "a", "1": "b"}}
    return {{"id": row["id"], "v": VALUES[case]}}


write_rows(out(row) for row in read_rows() if row["case"] == {case!r})
"""

MAPPER_REFUSED = {
    "nan": "RowRefused: row 1: column 'v' holds nan: YT's JSON format has no NaN or infinity",
    "inf": "RowRefused: row 1: column 'v' holds inf",
    "int-key": "RowRefused: row 1: column name 1 is an int",
    "colliding": "RowRefused: row 1: column name 1 is an int",
    "set": "RowRefused: row 1: column 'v' holds a set",
    "bytes": "RowRefused: row 1: column 'v' holds bytes that are not ASCII",
    "big-int": "RowRefused: row 1: column 'v' holds 18446744073709551616: YT's integers are 64",
    # text a bad decode left (surrogateescape) has no UTF-8 form: in dev the encoder failed
    # with a bare UnicodeEncodeError naming no column
    "surrogate": "RowRefused: row 1: column 'v' holds text with a lone surrogate '\\udcff', "
                 "which is not Unicode text",
}
CASES = [{"id": i, "case": case} for i, case in enumerate([*MAPPER_REFUSED, "ascii"])]


@pytest.mark.parametrize("case, words", MAPPER_REFUSED.items(), ids=MAPPER_REFUSED)
def test_a_mapper_writing_a_row_yt_refuses_fails_alike(modes, case, words):
    """The job refuses the row itself, in dev under the venv's orjson and in prod under a bare
    python3's json, in the same words; before, dev stored a null or a stringified key where
    the cluster refused the line."""
    both = modes({"src/mapper.py": WRITING_MAPPER.format(case=case)})
    both.put("//rows/in", CASES)
    errors = both.map("src/mapper.py", "//rows/in", "//rows/out")
    for mode, error in errors.items():
        assert isinstance(error, OperationFailed), (mode, error)
        assert words in str(error), (mode, str(error))


def test_a_mapper_writing_ascii_bytes_stores_the_same_text(modes):
    both = modes({"src/mapper.py": WRITING_MAPPER.format(case="ascii")})
    both.put("//rows/in", CASES)
    assert both.map("src/mapper.py", "//rows/in", "//rows/out") == {"dev": None, "prod": None}
    ascii_row = {"id": len(MAPPER_REFUSED), "v": "ok"}  # the last of CASES
    assert both.read("//rows/out") == {"dev": [ascii_row], "prod": [ascii_row]}


RAW_MAPPER = """
import sys
from ytjobs import read_rows, write_rows
write_rows(list(read_rows()) if {after_rows!r} else [])
sys.stdout.buffer.write({line!r}.encode() + b"\\n")
"""


@pytest.mark.parametrize("line, words", [
    ('{"x": 1e400}', "numeric (floating point) overflow"),
    ('{"x": [1, -2.5E+309]}', "numeric (floating point) overflow"),
    ('{"x": NaN}', ""),
    ('{"x": Infinity}', ""),
    ('{"x": 18446744073709551616}', "integer overflow"),
    ('{"x": {"y": [-9223372036854775809]}}', "integer overflow"),
], ids=["1e400", "nested-overflow", "NaN-token", "Infinity-token", "int-over-uint64",
        "nested-int-under-int64"])
@pytest.mark.parametrize("after_rows", [False, True], ids=["alone", "after-ytjobs-rows"])
def test_a_mapper_line_yt_cannot_parse_fails_alike(modes, line, words, after_rows):
    """A job printing its own JSON: a number beyond a double's range, or the bare constants
    Python's json writes for NaN and infinity, fail the job in both modes (dev's output check
    let `1e400` through, and a later read of the table failed), after rows ytjobs wrote too."""
    both = modes({"src/mapper.py": RAW_MAPPER.format(line=line, after_rows=after_rows)})
    both.put("//rows/in", [{"id": 1}])
    both.map_fails("src/mapper.py", "//rows/in", "//rows/out", words)


# -- NaN and infinity that YQL writes ----------------------------------------------------------

YQL_INSERT = """
INSERT INTO `//rows/doubles` WITH TRUNCATE
SELECT id, CAST('nan' AS Double) AS n, CAST('inf' AS Double) AS i,
       -CAST('inf' AS Double) AS m, CAST(1.5 AS Double) AS f, 'NaN' AS t
FROM `//rows/ids`
"""
READ_BACK = {"id": 1, "n": "nan", "i": "inf", "m": "-inf", "f": 1.5, "t": "NaN"}

COPYING_MAPPER = """
from ytjobs import read_rows, write_rows

write_rows(dict(row, seen=[type(row[k]).__name__ for k in ("n", "f")]) for row in read_rows())
"""


def test_nan_written_by_yql_reads_back_alike(modes):
    both = modes({"src/mapper.py": COPYING_MAPPER})
    for _, client in both.each():
        client.write_table("//rows/ids", [{"id": 1}])
        client.run_yql("PRAGMA yt.InferSchema;\n" + YQL_INSERT)
    assert both.read("//rows/doubles") == {"dev": [READ_BACK], "prod": [READ_BACK]}
    # a job reads the table as the client does
    assert both.map("src/mapper.py", "//rows/doubles", "//rows/copied") == {"dev": None,
                                                                            "prod": None}
    copied = dict(READ_BACK, seen=["str", "float"])
    assert both.read("//rows/copied") == {"dev": [copied], "prod": [copied]}
    # a later query still sees a double
    for mode, client in both.each():
        assert client.run_yql("SELECT n + 1 AS n1, f * 2 AS f2 FROM `//rows/doubles`") == [
            {"n1": "nan", "f2": 3.0}], mode


def test_a_query_returning_nan_gives_the_same_rows(modes):
    both = modes()
    query = ("SELECT CAST('nan' AS Double) AS n, -CAST('inf' AS Double) AS m, "
             "CAST(2.5 AS Double) AS f")
    results = {mode: client.run_yql(query) for mode, client in both.each()}
    assert results == {mode: [{"n": "nan", "m": "-inf", "f": 2.5}] for mode in results}

"""Operations writing into a table whose strict schema has a required column, in dev and in
prod (the real client against the fake proxy): the same one-line failure, and the table
left with the rows it had.

What a cluster does (ytsaurus/ytsaurus):
- a sort or a merge into a table of strong schema compares each input of strong schema
  with it while the operation prepares, before a row is read
  (ValidateOutputSchemaCompatibility in yt/yt/server/controller_agent/controllers/
  operation_controller_detail.cpp, CheckTableSchemaCompatibilityImpl in
  yt/yt/client/table_client/check_schema_compatibility.cpp): an input lacking a required
  output column fails it, "Required column %v is present in output schema and is missing in
  input schema", an empty input too; an input column the output lacks fails it too. An
  input of weak schema (no schema) is not compared; `schema_inference_mode: from_output`
  skips the comparison;
- the rows the output's writer gets are checked one by one: a required column left out or
  null is refused, "Required column %v cannot have %Qlv value" (ValidateValueType in
  yt/yt/client/table_client/unversioned_row.cpp, through ReorderAndValidateRows in
  yt/yt/ytlib/table_client/schemaless_chunk_writer.cpp), as an optional input column's
  nulls going into a required one are (the comparison lets optional<T> into T).
"""

from __future__ import annotations

import re

import pytest
from test_prod_dev_parity import Backends
from test_prod_dev_sorted_tables import PASS_THROUGH

from yt_pipeline.errors import OperationFailed
from yt_pipeline_dev.launcher import launch as dev_launch
from yt_pipeline_prod.failures import summary

OUT = "//t/out"
SCHEMA = [{"name": "k", "type": "int64", "required": True}, {"name": "v", "type": "string"}]
OLD_ROWS = [{"k": 7, "v": "old"}]
NULL_WORDS = 'Required column "k" cannot have "null" value'
PREPARE = "Operation has failed to prepare: Table schemas are incompatible: "
MISSING_WORDS = PREPARE + ('Required column "k" is present in output schema and is missing '
                           "in input schema")
#: the operation's own words in a failure's message, between its name and what follows
WORDS = re.compile(r"\((?:sort|map|reduce|map_reduce)\): (.*?); (?:sandbox kept|operation )")

OPERATIONS = {
    "sort": {"sort_by": ["v"]},
    "map": {"mapper": "src/pass.py"},
    "reduce": {"reducer": "src/pass.py", "reduce_by": ["v"], "sort_by": ["v"]},
    "map_reduce": {"mapper": "src/pass.py", "reducer": "src/pass.py", "reduce_by": ["v"],
                   "sort_by": ["v"]},
}


@pytest.fixture
def both(tmp_path, prod_client, fake_yt):
    """OUT, created with SCHEMA and holding OLD_ROWS, in both modes."""
    both = Backends(tmp_path, prod_client, fake_yt, {"src/pass.py": PASS_THROUGH})
    for client in (both.dev, both.prod):
        client.create_path(OUT, "table", schema=SCHEMA)
        client.write_table(OUT, OLD_ROWS)
    return both


def make_input(both: Backends, rows: list[dict], schema: list[dict] | None = None) -> None:
    for client in (both.dev, both.prod):
        if schema is not None:
            client.create_path("//t/in", "table", schema=schema)
        client.write_table("//t/in", rows)


def failures(both: Backends, kind: str, **extra) -> list[str]:
    """The words each mode's failed operation gives, dev's then prod's."""
    spec = both.spec(kind, input_tables=["//t/in"], output_tables=[OUT],
                     **OPERATIONS[kind], **extra)
    found = []
    for run in (lambda: dev_launch(both.dev, spec), lambda: both.run_prod(spec)):
        with pytest.raises(OperationFailed) as caught:
            run()
        words = WORDS.search(str(caught.value))
        assert words, str(caught.value)
        assert "\n" not in str(caught.value)
        found.append(words.group(1))
    return found


def assert_left_as_it_was(both: Backends) -> None:
    dev, prod = both.rows(OUT)
    assert dev == prod == OLD_ROWS


@pytest.mark.parametrize("kind", list(OPERATIONS))
@pytest.mark.parametrize("bad_row", [{"v": "x"}, {"k": None, "v": "x"}],
                         ids=["left-out", "null"])
def test_a_row_of_no_schema_without_the_required_column_fails_alike(both, kind, bad_row):
    """Rows of an input of no schema meet the output's writer: a sort fails with its words
    (dev's sort said `write to //t/out: row 2: ...` before, a write_table's refusal), a
    job of a map or a reduce fails until max_failed_job_count."""
    make_input(both, [{"k": 2, "v": "b"}, bad_row])
    dev, prod = failures(both, kind)
    if kind == "sort":
        assert dev == prod == f"sort operation failed: {NULL_WORDS}"
    else:
        # (prod names a reduce's job without the count of jobs planned: "reduce job 1
        # failed", dev "reduce job 1 of 1 failed")
        for words in (dev, prod):
            assert words.startswith("Failed jobs limit exceeded (10 failed jobs, "
                                    "max_failed_job_count 10): ")
            assert words.endswith(f" failed on its attempt 10: {NULL_WORDS}")
    assert_left_as_it_was(both)


@pytest.mark.parametrize("rows", [[], [{"v": "x"}]], ids=["empty", "rows"])
def test_a_sort_of_a_strict_input_lacking_the_required_column_fails_before_it_reads(
        both, rows):
    """The comparison fails the sort whatever the input holds: an empty input too, which
    before left OUT empty in both modes (the sort replaced its row with none)."""
    make_input(both, rows, schema=[{"name": "v", "type": "string"}])
    dev, prod = failures(both, "sort")
    assert dev == prod == f"sort operation failed: {MISSING_WORDS}"
    assert_left_as_it_was(both)


def test_a_sort_of_a_strict_input_with_a_column_the_output_lacks_fails_alike(both):
    make_input(both, [{"k": 1, "v": "a", "extra": 1}],
               schema=[*SCHEMA, {"name": "extra", "type": "int64"}])
    dev, prod = failures(both, "sort")
    assert dev == prod == ("sort operation failed: " + PREPARE + 'Column "extra" is found '
                           "in input schema but is missing in output schema")
    assert_left_as_it_was(both)


def test_an_optional_input_column_into_the_required_one_fails_on_its_null_row(both):
    """optional<int64> into a required int64 passes the comparison; the null row does not
    pass the writer."""
    make_input(both, [{"k": 1, "v": "a"}, {"k": None, "v": "b"}],
               schema=[{"name": "k", "type": "int64"}, {"name": "v", "type": "string"}])
    dev, prod = failures(both, "sort")
    assert dev == prod == f"sort operation failed: {NULL_WORDS}"
    assert_left_as_it_was(both)


def test_from_output_skips_the_comparison_in_both_modes(both):
    make_input(both, [], schema=[{"name": "v", "type": "string"}])
    both.run(both.spec("sort", input_tables=["//t/in"], output_tables=[OUT], sort_by=["v"],
                       extra_spec={"schema_inference_mode": "from_output"}))
    dev, prod = both.rows(OUT)
    assert dev == prod == []  # the sort of no rows overwrote the table


def test_a_sort_of_fitting_rows_into_the_table_still_writes_them(both):
    make_input(both, [{"k": 3, "v": "c"}, {"k": 1, "v": "a"}],
               schema=[{"name": "k", "type": "int64"}, {"name": "v", "type": "string"}])
    both.run(both.spec("sort", input_tables=["//t/in"], output_tables=[OUT], sort_by=["v"]))
    dev, prod = both.rows(OUT)
    assert dev == prod == [{"k": 1, "v": "a"}, {"k": 3, "v": "c"}]


@pytest.mark.parametrize("mode", ["unordered", "ordered", "sorted"])
def test_the_fakes_merge_compares_a_strict_input_and_checks_rows(prod_client, fake_yt, mode):
    """A merge (no dev counterpart: stages launch map, reduce, map_reduce, sort and
    vanilla) is prepared as a sort is, by the merge controllers' PrepareOutputTables
    (ordered_controller.cpp, sorted_controller.cpp), and its writer checks each row."""
    import yt.wrapper as ytw
    from yt.wrapper.errors import YtError

    yt = prod_client.yt()
    prod_client.create_path(OUT, "table", schema=SCHEMA)
    prod_client.write_table(OUT, OLD_ROWS)
    prod_client.create_path("//t/strict", "table",
                            schema=[{"name": "v", "type": "string", "sort_order": "ascending"}])
    yt.write_table("//t/strict", [{"v": "a"}], format="json")
    yt.write_table(ytw.TablePath("//t/loose", sorted_by=["v"]),
                   [{"v": "a"}, {"k": None, "v": "b"}], format="json")
    for source, words in (("//t/strict", MISSING_WORDS), ("//t/loose", NULL_WORDS)):
        with pytest.raises(YtError) as caught:
            yt.run_merge([source], OUT, mode=mode)
        assert summary(caught.value, []).endswith(words), summary(caught.value, [])
        assert fake_yt.rows(OUT) == OLD_ROWS

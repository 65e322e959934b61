"""A sort or a merge whose strict input's column types do not fit its strict output's, in
dev and in prod (the real client against the fake proxy): the same one-line failure before
a row is read, the output left with the rows it had; types that fit, or that fit once each
value is checked, still write their rows.

What a cluster does (ytsaurus/ytsaurus): the controller's comparison of each strict input
with the output (ValidateOutputSchemaCompatibility in yt/yt/server/controller_agent/
controllers/operation_controller_detail.cpp) fails the operation only when
CheckTableSchemaCompatibilityImpl (yt/yt/client/table_client/check_schema_compatibility.cpp)
finds a column's types incompatible ("compatibility < ESchemaCompatibility::
RequireValidation"): "Column %v input type is incompatible with output type", caused by
CheckTypeCompatibility's "Type of %Qv field is modified in non backward compatible manner"
(yt/yt/client/complex_types/check_type_compatibility.cpp), the field being the input type's
element under its optionals (".<optional-element>" each, "" for a required column). An
integer goes into a wider one of its sign, string's class takes utf8, yson takes every
simple type but json and uuid, others only themselves; a narrower integer and optional<T>
into T "require validation": the rows' values are checked as they are written
(check_type_compatibility_ut.cpp lists the same pairs).
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
IN = "//t/in"
PREPARE = "Operation has failed to prepare: Table schemas are incompatible: "
#: the sort's own words in a failure's message, between its name and what follows
WORDS = re.compile(r"\(sort\): (.*?); (?:sandbox kept|operation )")


def column(name: str, kind: str, required: bool = False) -> dict:
    return {"name": name, "type": kind, "required": required}


def type_words(name: str, field: str) -> str:
    return (PREPARE + f'Column "{name}" input type is incompatible with output type: '
            f'Type of "{field}" field is modified in non backward compatible manner')


@pytest.fixture
def both(tmp_path, prod_client, fake_yt):
    return Backends(tmp_path, prod_client, fake_yt, {"src/pass.py": PASS_THROUGH})


def make_table(both: Backends, path: str, schema: list[dict], rows: list[dict]) -> None:
    for client in (both.dev, both.prod):
        client.create_path(path, "table", schema=schema)
        client.write_table(path, rows)


def sort_spec(both: Backends, out: str = OUT):
    return both.spec("sort", input_tables=[IN], output_tables=[out], sort_by=["k"])


def sort_failures(both: Backends, out: str = OUT) -> list[str]:
    """The words each mode's failed sort gives, dev's then prod's."""
    found = []
    for run in (lambda: dev_launch(both.dev, sort_spec(both, out)),
                lambda: both.run_prod(sort_spec(both, out))):
        with pytest.raises(OperationFailed) as caught:
            run()
        assert "\n" not in str(caught.value)
        words = WORDS.search(str(caught.value))
        assert words, str(caught.value)
        found.append(words.group(1))
    return found


#: (input column, output column, the field the refusal names): pairs no value fits
REFUSED = {
    "string-into-int64": (column("k", "string"), column("k", "int64"), ".<optional-element>"),
    "int64-into-uint64": (column("k", "int64"), column("k", "uint64"), ".<optional-element>"),
    "int64-into-double": (column("k", "int64"), column("k", "double"), ".<optional-element>"),
    "any-into-string": (column("k", "any"), column("k", "string"), ".<optional-element>"),
    "date-into-timestamp": (column("k", "date"), column("k", "timestamp"),
                            ".<optional-element>"),
    # a required input column's type is no optional: its field has an empty name
    "required-string-into-int64": (column("k", "string", True), column("k", "int64"), ""),
    # optional<string> into int64: the elements decide, before any null could
    "optional-string-into-required-int64": (column("k", "string"),
                                            column("k", "int64", True),
                                            ".<optional-element>"),
}


@pytest.mark.parametrize("rows", [[], [{"k": None}]], ids=["empty", "null-row"])
@pytest.mark.parametrize("pair", list(REFUSED))
def test_a_sort_of_an_input_whose_type_does_not_fit_fails_before_it_reads(both, pair, rows):
    """Before, both modes sorted such an input: an empty one, or one of nulls the writer
    takes, replaced OUT's rows."""
    given, taken, field = REFUSED[pair]
    if given.get("required"):
        rows = []  # a required column holds no null
    old = [{"k": None, "other": 1}] if not taken["required"] else []
    make_table(both, OUT, [taken, column("other", "int64")], old)
    make_table(both, IN, [given], rows)
    dev, prod = sort_failures(both)
    assert dev == prod == "sort operation failed: " + type_words("k", field)
    assert both.rows(OUT) == (old, old)


def test_the_first_output_column_that_fails_is_the_one_named(both):
    """The comparison goes down the output's columns: a type that does not fit in the
    first is named before a required column the input lacks after it, and a required
    column lacking before a type that does not fit."""
    make_table(both, IN, [column("k", "string")], [])
    make_table(both, OUT, [column("k", "int64"), column("c", "int64", True)], [])
    make_table(both, "//t/out2", [column("c", "int64", True), column("k", "int64")], [])
    assert sort_failures(both) == [
        "sort operation failed: " + type_words("k", ".<optional-element>")] * 2
    assert sort_failures(both, "//t/out2") == [
        "sort operation failed: " + PREPARE + 'Required column "c" is present in output '
        "schema and is missing in input schema"] * 2


#: (input column, output column, rows): pairs that fit, or fit once each value is checked
WRITTEN = {
    "int32-into-int64": (column("k", "int32"), column("k", "int64"), [{"k": 3}, {"k": 1}]),
    "int64-into-int32": (column("k", "int64"), column("k", "int32"), [{"k": 3}, {"k": 1}]),
    "uint8-into-uint64": (column("k", "uint8"), column("k", "uint64"), [{"k": 3}, {"k": 1}]),
    "string-into-any": (column("k", "string"), column("k", "any"), [{"k": "b"}, {"k": "a"}]),
    "int64-into-required-int64": (column("k", "int64"), column("k", "int64", True),
                                  [{"k": 3}, {"k": 1}]),
    "required-int64-into-int64": (column("k", "int64", True), column("k", "int64"),
                                  [{"k": 3}, {"k": 1}]),
}


@pytest.mark.parametrize("pair", list(WRITTEN))
def test_a_sort_of_an_input_whose_type_fits_writes_its_rows(both, pair):
    given, taken, rows = WRITTEN[pair]
    make_table(both, OUT, [taken], [])
    make_table(both, IN, [given], rows)
    both.run(sort_spec(both))
    dev, prod = both.rows(OUT)
    assert dev == prod == sorted(rows, key=lambda row: row["k"])


def test_a_narrower_integer_column_refuses_the_value_out_of_its_range_row_by_row(both):
    """int64 into int32 requires validation: the comparison lets it pass, the writer
    refuses the value that does not fit."""
    make_table(both, OUT, [column("k", "int32")], [{"k": 7}])
    make_table(both, IN, [column("k", "int64")], [{"k": 1}, {"k": 2 ** 40}])
    dev, prod = sort_failures(both)
    assert dev == prod == ('sort operation failed: Value 1099511627776 is out of the range '
                           'of type "int32" in column "k"')
    assert both.rows(OUT) == ([{"k": 7}], [{"k": 7}])


@pytest.mark.parametrize("mode", ["unordered", "ordered", "sorted"])
def test_the_fakes_merge_compares_column_types_too(prod_client, fake_yt, mode):
    """A merge (no dev counterpart) is prepared as a sort is: a type that does not fit
    fails it before a row is read; int32 into int64 writes the rows."""
    from yt.wrapper.errors import YtError

    yt = prod_client.yt()
    prod_client.create_path(OUT, "table", schema=[column("k", "int64")])
    prod_client.write_table(OUT, [{"k": 7}])
    prod_client.create_path("//t/text", "table",
                            schema=[{**column("k", "string"), "sort_order": "ascending"}])
    prod_client.create_path("//t/narrow", "table",
                            schema=[{**column("k", "int32"), "sort_order": "ascending"}])
    yt.write_table("//t/narrow", [{"k": 1}, {"k": 2}], format="json")
    with pytest.raises(YtError) as caught:
        yt.run_merge(["//t/text"], OUT, mode=mode)
    assert summary(caught.value, []).endswith(type_words("k", ".<optional-element>")), \
        summary(caught.value, [])
    assert fake_yt.rows(OUT) == [{"k": 7}]
    yt.run_merge(["//t/narrow"], OUT, mode=mode)
    assert fake_yt.rows(OUT) == [{"k": 1}, {"k": 2}]


def test_a_list_column_a_query_wrote_does_not_go_into_an_any_column(both):
    """A composite type goes only into one of its kind: a YQL list column into a declared
    `any` (optional<yson>) column fails the sort before it reads a row, in both modes, as a
    cluster's comparison refuses it (CheckTypeCompatibilityImpl compares the metatypes,
    list and simple, before CheckTypeCompatibilitySimple's "historical" casts into yson).
    Into a column of the same list type the rows are written."""
    query = f"INSERT INTO `{IN}` WITH TRUNCATE SELECT 2 AS k, AsList(1, 2) AS tags " \
            "UNION ALL SELECT 1 AS k, AsList(3) AS tags"
    for client in (both.dev, both.prod):
        client.run_yql(query)
    make_table(both, OUT, [column("k", "int64"), column("tags", "any")], [])
    dev, prod = sort_failures(both)
    # the list is required (YQL's AsList gives List<Int32>), so the field named is the
    # column's own: only the output's optional is unwrapped before the metatypes differ
    assert dev == prod == "sort operation failed: " + type_words("tags", "")
    assert both.rows(OUT) == ([], [])
    for client in (both.dev, both.prod):  # a table of the query's own schema takes them
        client.run_yql(f"INSERT INTO `//t/same` WITH TRUNCATE SELECT * FROM `{IN}` LIMIT 0")
    both.run(sort_spec(both, "//t/same"))
    dev_rows, prod_rows = both.rows("//t/same")
    assert dev_rows == prod_rows == [{"k": 1, "tags": [3]}, {"k": 2, "tags": [1, 2]}]

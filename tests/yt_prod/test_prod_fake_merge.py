"""The fake proxy's merge operation, and YQL's append to a sorted table through it.

A merge of mode sorted takes sorted inputs only and sorts its output by merge_by (YTsaurus
docs, Merge: "mode = sorted — merges the input tables while maintaining sorting"); YQL
appends to a sorted table with such a merge of the table and its new rows, sorted alone
(ExecPublish in yt/yql/providers/yt/gateway/native/yql_yt_native.cpp), never a sort of the
whole table.
"""

from __future__ import annotations

import pytest
from test_prod_sorted_tables import sorted_yql_table  # noqa: F401 - fixture

from yt_pipeline_prod.reduce_inputs import sort_order

pytest.importorskip("duckdb", reason="the fake query tracker runs YQL on DuckDB")


def put_sorted(prod_client, path, rows, key):
    import yt.wrapper as ytw

    prod_client.yt().write_table(ytw.TablePath(path, sorted_by=key), rows, format="json")


def test_a_sorted_merge_merges_sorted_inputs_by_key(prod_client, fake_yt):
    put_sorted(prod_client, "//tmp/a", [{"k": 1, "t": "a"}, {"k": 4, "t": "a"}], ["k"])
    put_sorted(prod_client, "//tmp/b", [{"k": 1, "t": "b"}, {"k": 2, "t": "b"}], ["k"])
    prod_client.yt().run_merge(["//tmp/a", "//tmp/b"], "//tmp/out", mode="sorted")
    assert fake_yt.rows("//tmp/out") == [{"k": 1, "t": "a"}, {"k": 1, "t": "b"},
                                         {"k": 2, "t": "b"}, {"k": 4, "t": "a"}]
    assert sort_order(prod_client, "//tmp/out") == ["k"]


def test_a_sorted_merge_refuses_an_input_that_is_not_sorted(prod_client, fake_yt):
    from yt.wrapper.errors import YtError

    put_sorted(prod_client, "//tmp/a", [{"k": 1}], ["k"])
    fake_yt.put_table("//tmp/loose", [{"k": 3}, {"k": 0}])
    with pytest.raises(YtError, match="Input table //tmp/loose is not sorted"):
        prod_client.yt().run_merge(["//tmp/a", "//tmp/loose"], "//tmp/out", mode="sorted",
                                   spec={"merge_by": ["k"]})
    assert not prod_client.exists("//tmp/out") or fake_yt.rows("//tmp/out") == []
    # an ordered merge takes them as they are, table after table
    prod_client.yt().run_merge(["//tmp/a", "//tmp/loose"], "//tmp/out", mode="ordered")
    assert [row["k"] for row in fake_yt.rows("//tmp/out")] == [1, 3, 0]
    assert sort_order(prod_client, "//tmp/out") == []


def test_a_stage_insert_into_a_sorted_table_sorts_only_its_new_rows(
        prod_client, fake_yt, sorted_yql_table):  # noqa: F811 - fixture
    before = set(fake_yt.state.operations)
    txn = prod_client.begin_transaction("stage s")
    try:
        txn.client.run_yql("INSERT INTO `//tmp/s` SELECT * FROM "
                           "(VALUES (4, 'd'), (0, 'z')) AS t(k, v)")
    except BaseException:
        txn.abort()
        raise
    txn.commit()
    assert [row["k"] for row in fake_yt.rows("//tmp/s")] == [0, 1, 3, 4, 5]
    assert sort_order(prod_client, "//tmp/s") == ["k"]
    ran = [fake_yt.state.operations[op] for op in fake_yt.state.operations
           if op not in before]
    kinds = sorted(op.type for op in ran)
    assert kinds == ["merge", "sort"]
    sort = next(op for op in ran if op.type == "sort")
    inputs = [str(path) for path in sort.spec["input_table_paths"]]
    # the stage INSERT's staging table alone: its new rows
    assert len(inputs) == 1 and inputs[0].startswith("//tmp/yt_pipeline/yql_results/"), inputs
    merge = next(op for op in ran if op.type == "merge")
    assert merge.spec["mode"] == "sorted"


# -- the schema of an unordered or ordered merge's output --------------------------------
# What a cluster's controller does while it prepares the merge (PrepareOutputTables of the
# merge controllers in yt/yt/server/controller_agent/controllers/unordered_controller.cpp
# and ordered_controller.cpp; InferSchemaFromInput, InferSchemaFromInputOrdered and
# ValidateOutputSchemaOrdered in operation_controller_detail.cpp; ToCanonical in
# yt/yt/client/table_client/schema.cpp): fake/merge.py's docstring says it in full.

def strict_table(prod_client, path, columns, rows, strict=True):
    """A table of strong schema (`columns`: name, type), holding `rows`."""
    import yt.yson as yson

    schema = yson.to_yson_type([{"name": name, "type": kind} for name, kind in columns],
                               attributes={"strict": strict})
    yt = prod_client.yt()
    yt.create("table", path, recursive=True, attributes={"schema": schema})
    if rows:
        yt.write_table(path, rows, format="json")


def schema_of(prod_client, path):
    schema = prod_client.yt().get(path + "/@schema")
    return ([(str(c["name"]), str(c["type"]), c.get("sort_order")) for c in schema],
            bool(schema.attributes.get("strict")))


@pytest.mark.parametrize("mode", ["unordered", "ordered"])
def test_a_merge_into_a_new_table_takes_the_inputs_common_schema(prod_client, fake_yt, mode):
    # the same columns in another order are one schema (compared canonical); the output
    # gets the first input's columns ordered by name (ToCanonical)
    strict_table(prod_client, "//t/a", [("k", "int64"), ("b", "string")], [{"k": 1, "b": "x"}])
    strict_table(prod_client, "//t/b", [("b", "string"), ("k", "int64")], [{"k": 2, "b": "y"}])
    prod_client.yt().run_merge(["//t/a", "//t/b"], "//t/out", mode=mode)
    assert fake_yt.rows("//t/out") == [{"k": 1, "b": "x"}, {"k": 2, "b": "y"}]
    assert prod_client.yt().get("//t/out/@schema_mode") == "strong"
    assert schema_of(prod_client, "//t/out") == ([("b", "string", None), ("k", "int64", None)],
                                                 True)


@pytest.mark.parametrize("mode", ["unordered", "ordered"])
@pytest.mark.parametrize("second", [
    [("k", "int64"), ("c", "string")],  # another column
    [("k", "string"), ("b", "string")],  # another type
])
def test_a_merge_of_inputs_of_different_schemas_into_a_new_table_fails(
        prod_client, fake_yt, mode, second):
    from yt.wrapper.errors import YtError

    strict_table(prod_client, "//t/a", [("k", "int64"), ("b", "string")], [{"k": 1, "b": "x"}])
    strict_table(prod_client, "//t/b", second, [])
    with pytest.raises(YtError, match="Cannot infer output schema from input in strong "
                                      "schema mode, tables have incompatible schemas"):
        prod_client.yt().run_merge(["//t/a", "//t/b"], "//t/out", mode=mode)
    assert fake_yt.rows("//t/out") == []
    assert prod_client.yt().get("//t/out/@schema_mode") == "weak"


@pytest.mark.parametrize("mode", ["unordered", "ordered"])
def test_a_merge_of_strict_and_weak_inputs_into_a_new_table_fails(prod_client, fake_yt, mode):
    from yt.wrapper.errors import YtError

    strict_table(prod_client, "//t/a", [("k", "int64")], [{"k": 1}])
    fake_yt.put_table("//t/w", [{"k": 2}])
    with pytest.raises(YtError, match="Cannot infer output schema from input, tables have "
                                      "different schema modes"):
        prod_client.yt().run_merge(["//t/a", "//t/w"], "//t/out", mode=mode)
    assert fake_yt.rows("//t/out") == []


def test_a_merge_of_a_strict_and_a_non_strict_schema_fails(prod_client, fake_yt):
    from yt.wrapper.errors import YtError

    strict_table(prod_client, "//t/a", [("k", "int64")], [{"k": 1}])
    strict_table(prod_client, "//t/b", [("k", "int64")], [{"k": 2}], strict=False)
    with pytest.raises(YtError, match="tables have incompatible schemas"):
        prod_client.yt().run_merge(["//t/a", "//t/b"], "//t/out")
    assert fake_yt.rows("//t/out") == []


def test_from_input_of_weak_inputs_leaves_the_output_weak(prod_client, fake_yt):
    strict_table(prod_client, "//t/out", [("z", "string")], [{"z": "old"}])
    fake_yt.put_table("//t/w", [{"k": 2}])
    fake_yt.put_table("//t/v", [{"x": "y"}])
    prod_client.yt().run_merge(["//t/w", "//t/v"], "//t/out",
                               spec={"schema_inference_mode": "from_input"})
    assert fake_yt.rows("//t/out") == [{"k": 2}, {"x": "y"}]
    assert prod_client.yt().get("//t/out/@schema_mode") == "weak"
    assert schema_of(prod_client, "//t/out") == ([], False)


def test_from_input_replaces_the_outputs_strong_schema(prod_client, fake_yt):
    strict_table(prod_client, "//t/a", [("k", "int64")], [{"k": 1}])
    strict_table(prod_client, "//t/out", [("z", "string")], [{"z": "old"}])
    prod_client.yt().run_merge(["//t/a"], "//t/out",
                               spec={"schema_inference_mode": "from_input"})
    assert fake_yt.rows("//t/out") == [{"k": 1}]
    assert schema_of(prod_client, "//t/out") == ([("k", "int64", None)], True)


def test_an_ordered_merge_of_one_sorted_input_keeps_its_sorted_schema(prod_client, fake_yt):
    strict_table(prod_client, "//t/a", [("k", "int64"), ("b", "string")],
                 [{"k": 2, "b": "x"}, {"k": 1, "b": "y"}])
    prod_client.yt().run_sort("//t/a", sort_by=["k"])
    prod_client.yt().run_merge(["//t/a"], "//t/out", mode="ordered")
    assert fake_yt.rows("//t/out") == [{"k": 1, "b": "y"}, {"k": 2, "b": "x"}]
    assert schema_of(prod_client, "//t/out") == (
        [("k", "int64", "ascending"), ("b", "string", None)], True)
    # an unordered merge of it does not keep the order
    prod_client.yt().run_merge(["//t/a"], "//t/un", mode="unordered")
    assert schema_of(prod_client, "//t/un") == ([("b", "string", None), ("k", "int64", None)],
                                                True)


def test_a_merge_of_selected_columns_keeps_only_them(prod_client, fake_yt):
    strict_table(prod_client, "//t/a", [("k", "int64"), ("b", "string")], [{"k": 1, "b": "x"}])
    strict_table(prod_client, "//t/b", [("k", "int64"), ("b", "string")], [{"k": 2, "b": "y"}])
    prod_client.yt().run_merge(["//t/a{k}", "//t/b{k}"], "//t/out")
    assert fake_yt.rows("//t/out") == [{"k": 1}, {"k": 2}]
    assert schema_of(prod_client, "//t/out") == ([("k", "int64", None)], True)


def sorted_strict_table(prod_client, path):
    strict_table(prod_client, path, [("k", "int64")], [{"k": 3}, {"k": 1}])
    prod_client.yt().run_sort(path, sort_by=["k"])


@pytest.mark.parametrize("spec", [{}, {"schema_inference_mode": "from_output"}])
def test_an_unordered_merge_into_a_sorted_strong_table_fails(prod_client, fake_yt, spec):
    from yt.wrapper.errors import YtError

    sorted_strict_table(prod_client, "//t/out")
    strict_table(prod_client, "//t/a", [("k", "int64")], [{"k": 5}])
    with pytest.raises(YtError, match='Cannot perform unordered merge into a sorted table in '
                                      'a "strong" schema mode'):
        prod_client.yt().run_merge(["//t/a"], "//t/out", mode="unordered", spec=spec)
    assert fake_yt.rows("//t/out") == [{"k": 1}, {"k": 3}]


def test_an_ordered_merge_of_two_inputs_into_a_sorted_strong_table_fails(prod_client, fake_yt):
    from yt.wrapper.errors import YtError

    sorted_strict_table(prod_client, "//t/out")
    strict_table(prod_client, "//t/a", [("k", "int64")], [{"k": 5}])
    strict_table(prod_client, "//t/b", [("k", "int64")], [{"k": 6}])
    with pytest.raises(YtError, match="Cannot generate sorted output for ordered operation "
                                      "with multiple input tables"):
        prod_client.yt().run_merge(["//t/a", "//t/b"], "//t/out", mode="ordered")
    assert fake_yt.rows("//t/out") == [{"k": 1}, {"k": 3}]
    # one input sorted by the table's key is taken (an unsorted one is not: below)
    prod_client.yt().run_sort("//t/a", sort_by=["k"])
    prod_client.yt().run_merge(["//t/a"], "//t/out", mode="ordered")
    assert fake_yt.rows("//t/out") == [{"k": 5}]
    assert schema_of(prod_client, "//t/out")[0] == [("k", "int64", "ascending")]


def test_a_sorted_merge_by_other_columns_than_the_outputs_key_fails(prod_client, fake_yt):
    from yt.wrapper.errors import YtError

    strict_table(prod_client, "//t/out", [("k", "int64"), ("b", "string")],
                 [{"k": 1, "b": "z"}])
    prod_client.yt().run_sort("//t/out", sort_by=["k"])
    strict_table(prod_client, "//t/a", [("k", "int64"), ("b", "string")], [{"k": 0, "b": "a"}])
    prod_client.yt().run_sort("//t/a", sort_by=["b", "k"])
    with pytest.raises(YtError, match='Merge sort columns do not match output table schema '
                                      'in "strong" schema mode'):
        prod_client.yt().run_merge(["//t/a"], "//t/out", mode="sorted",
                                   spec={"merge_by": ["b"]})
    assert fake_yt.rows("//t/out") == [{"k": 1, "b": "z"}]


# -- an append into a table of weak schema -----------------------------------------------
# An append into a table of weak schema is a weak upload (GetTableUploadOptions in
# yt/yt/ytlib/table_client/table_upload_options.cpp: "append, no sorted_by, weak"), so the
# merge controllers infer the output's schema from the inputs as for a new table
# (PrepareOutputTables in unordered_controller.cpp and ordered_controller.cpp; an ordered
# merge's InferSchemaFromInputOrdered takes the one input's schema whole only for an
# overwrite). The controller ends the upload with that schema and its mode
# (TOperationControllerBase::EndUploadOutputTables in operation_controller_detail.cpp), and
# the master sets both on the table (TTableNode::EndUpload in yt/yt/server/master/
# table_server/table_node.cpp); an append keeps the table's rows and adds the new after.

@pytest.mark.parametrize("mode", ["unordered", "ordered"])
def test_an_append_of_strong_inputs_gives_a_weak_table_their_schema(prod_client, fake_yt,
                                                                     mode):
    import yt.wrapper as ytw

    fake_yt.put_table("//t/out", [{"k": 0, "b": "old"}])
    strict_table(prod_client, "//t/a", [("k", "int64"), ("b", "string")], [{"k": 1, "b": "x"}])
    strict_table(prod_client, "//t/b", [("b", "string"), ("k", "int64")], [{"k": 2, "b": "y"}])
    prod_client.yt().run_merge(["//t/a", "//t/b"], ytw.TablePath("//t/out", append=True),
                               mode=mode)
    rows = fake_yt.rows("//t/out")
    assert rows[0] == {"k": 0, "b": "old"}
    if mode == "ordered":
        assert rows[1:] == [{"k": 1, "b": "x"}, {"k": 2, "b": "y"}]
    else:  # an unordered merge keeps no order among its inputs' rows
        assert sorted(rows[1:], key=lambda row: row["k"]) == [{"k": 1, "b": "x"},
                                                              {"k": 2, "b": "y"}]
    assert prod_client.yt().get("//t/out/@schema_mode") == "strong"
    assert schema_of(prod_client, "//t/out") == ([("b", "string", None), ("k", "int64", None)],
                                                 True)


# -- the schema a sort or a sorted merge gives an output of weak schema -------------------
# The sort controller's PrepareOutputTables (sort_controller.cpp) and the sorted merge's
# (sorted_controller.cpp) call InferSchemaFromInput(sortColumns) for an output of weak
# schema (operation_controller_detail.cpp): inputs of strong schema give the first one's
# `ToSorted(sortColumns)->ToSortedStrippedColumnAttributes()->ToCanonical()`, which puts the
# sort columns first, ascending, and the others after them ordered by name (ToSorted and
# ToCanonical in yt/yt/client/table_client/schema.cpp); inputs of weak schema give
# `TTableSchema::FromSortColumns(sortColumns)`: a weak schema of the key columns alone.

def test_a_sort_into_a_weak_table_puts_the_key_first_and_the_rest_by_name(prod_client,
                                                                          fake_yt):
    strict_table(prod_client, "//t/a", [("z", "string"), ("k", "int64"), ("b", "string")],
                 [{"z": "p", "k": 2, "b": "x"}, {"z": "q", "k": 1, "b": "y"}])
    prod_client.yt().run_sort("//t/a", "//t/out", sort_by=["k"])
    assert fake_yt.rows("//t/out") == [{"z": "q", "k": 1, "b": "y"}, {"z": "p", "k": 2, "b": "x"}]
    assert prod_client.yt().get("//t/out/@sorted_by") == ["k"]
    assert schema_of(prod_client, "//t/out") == (
        [("k", "int64", "ascending"), ("b", "string", None), ("z", "string", None)], True)
    # a sorted merge of that sorted table into another table of weak schema: the same
    prod_client.yt().run_merge(["//t/out"], "//t/merged", mode="sorted")
    assert schema_of(prod_client, "//t/merged") == (
        [("k", "int64", "ascending"), ("b", "string", None), ("z", "string", None)], True)


def test_a_sort_of_weak_inputs_gives_a_weak_schema_of_the_key(prod_client, fake_yt):
    fake_yt.put_table("//t/w", [{"z": "p", "k": 2}, {"z": "q", "k": 1}])
    prod_client.yt().run_sort("//t/w", "//t/out", sort_by=["k"])
    assert [row["k"] for row in fake_yt.rows("//t/out")] == [1, 2]
    assert prod_client.yt().get("//t/out/@schema_mode") == "weak"
    assert schema_of(prod_client, "//t/out") == ([("k", "any", "ascending")], False)


# -- an ordered merge into a table of strong sorted schema --------------------------------
# With schema_inference_mode auto, TOrderedMergeController::PrepareOutputTables
# (ordered_controller.cpp) compares each input of strong schema with the output's, sort
# order included (ValidateOutputSchemaCompatibility(false)): the output's key columns must
# begin the input's (CheckTableSchemaCompatibilityImpl in yt/yt/client/table_client/
# check_schema_compatibility.cpp, "Output key columns are wider than input key columns"),
# before a row is read. The rows of an input of weak schema meet the sorted writer ("Sort
# order violation", schemaless_chunk_writer.cpp), and an append's rows must not begin
# before the table's last key (VerifySortedOutput in operation_controller_detail.cpp).

def test_an_ordered_merge_into_a_sorted_table_refuses_an_unsorted_strong_input(
        prod_client, fake_yt):
    from yt.wrapper.errors import YtError

    sorted_strict_table(prod_client, "//t/out")
    # its one row is in key order, but its schema is not sorted
    strict_table(prod_client, "//t/a", [("k", "int64")], [{"k": 5}])
    with pytest.raises(YtError, match="Output key columns are wider than input key columns"):
        prod_client.yt().run_merge(["//t/a"], "//t/out", mode="ordered")
    assert fake_yt.rows("//t/out") == [{"k": 1}, {"k": 3}]
    # a weak input is not compared: its rows are, as the writer takes them
    fake_yt.put_table("//t/w", [{"k": 7}, {"k": 6}])
    with pytest.raises(YtError, match="Sort order violation"):
        prod_client.yt().run_merge(["//t/w"], "//t/out", mode="ordered")
    assert fake_yt.rows("//t/out") == [{"k": 1}, {"k": 3}]


def test_an_ordered_merge_appending_before_a_sorted_tables_last_key_fails(prod_client,
                                                                          fake_yt):
    import yt.wrapper as ytw
    from yt.wrapper.errors import YtError

    sorted_strict_table(prod_client, "//t/out")
    sorted_strict_table(prod_client, "//t/a")  # rows 1 and 3, sorted by k
    with pytest.raises(YtError, match="job outputs overlap with original table"):
        prod_client.yt().run_merge(["//t/a"], ytw.TablePath("//t/out", append=True),
                                   mode="ordered")
    assert fake_yt.rows("//t/out") == [{"k": 1}, {"k": 3}]
    # rows from the table's last key on are appended
    strict_table(prod_client, "//t/b", [("k", "int64")], [{"k": 3}, {"k": 4}])
    prod_client.yt().run_sort("//t/b", sort_by=["k"])
    prod_client.yt().run_merge(["//t/b"], ytw.TablePath("//t/out", append=True),
                               mode="ordered")
    assert fake_yt.rows("//t/out") == [{"k": 1}, {"k": 3}, {"k": 3}, {"k": 4}]
    assert prod_client.yt().get("//t/out/@sorted_by") == ["k"]


# -- a sorted merge with schema_inference_mode from_input -----------------------------------
# test_schema_validation_complex_types in YTsaurus's yt/yt/tests/integration/tests/
# controller/test_merge_operation.py: a sorted merge `from_input` into a table of strong
# schema the input does not fit replaces the table's schema with the input's.
# TSortedMergeController::PrepareOutputTables (yt/yt/server/controller_agent/controllers/
# sorted_controller.cpp) calls InferSchemaFromInput(PrimarySortColumns_) in that mode, the
# output's schema mode aside, and compares no input with the output's old schema.

def test_a_sorted_merge_from_input_replaces_the_outputs_strong_schema(prod_client, fake_yt):
    strict_table(prod_client, "//t/a", [("k", "int64"), ("b", "int64")],
                 [{"k": 2, "b": 5}, {"k": 1, "b": 6}])
    prod_client.yt().run_sort("//t/a", sort_by=["k"])
    strict_table(prod_client, "//t/out", [("k", "int64"), ("b", "string")], [])
    prod_client.yt().run_sort("//t/out", sort_by=["k"])
    prod_client.yt().run_merge(["//t/a"], "//t/out", mode="sorted",
                               spec={"merge_by": ["k"], "schema_inference_mode": "from_input"})
    assert fake_yt.rows("//t/out") == [{"k": 1, "b": 6}, {"k": 2, "b": 5}]
    assert schema_of(prod_client, "//t/out") == (
        [("k", "int64", "ascending"), ("b", "int64", None)], True)
    assert prod_client.yt().get("//t/out/@sorted_by") == ["k"]


# -- sorts and sorted merges: schema_inference_mode -----------------------------------------
# TSortController::PrepareOutputTables (yt/yt/server/controller_agent/controllers/
# sort_controller.cpp) and TSortedMergeController::PrepareOutputTables (sorted_controller.cpp)
# switch on the mode alike: `from_input` calls InferSchemaFromInput(sort columns) whatever the
# output's schema mode, so inputs of weak schema leave even a strong output weak, of the key
# columns alone (TTableSchema::FromSortColumns); `from_output` gives an output of weak schema
# that weak schema of the key whatever the inputs', and keeps a strong one, sorted, without
# comparing the inputs with it.

def unique_table(prod_client, path):
    """test_unique_keys_inference's input: sorted by key1, key2, unique keys, strict."""
    import yt.yson as yson

    columns = [{"name": "key1", "type": "string", "sort_order": "ascending"},
               {"name": "key2", "type": "string", "sort_order": "ascending"},
               {"name": "key3", "type": "string"}]
    schema = yson.to_yson_type(columns, attributes={"strict": True, "unique_keys": True})
    prod_client.yt().create("table", path, recursive=True, attributes={"schema": schema})


def test_a_sort_from_input_takes_the_inputs_schema_and_unique_keys(prod_client, fake_yt):
    # test_unique_keys_inference (test_sort_operation.py): each sort `from_input` gives the
    # output the input's schema sorted by sort_by, unique when every input key column is
    # among them, whatever schema the output had before
    yt = prod_client.yt()
    unique_table(prod_client, "//t/t_in")
    yt.create("table", "//t/t_out")
    row1 = {"key1": "a", "key2": "b", "key3": "c"}
    row2 = {"key1": "b", "key2": "a", "key3": "d"}
    yt.write_table("//t/t_in", [row1, row2], format="json")
    for out, sort_by, unique, rows in (("//t/t_out", ["key2", "key1"], True, [row2, row1]),
                                       ("//t/t_out", ["key2"], False, [row2, row1]),
                                       ("//t/t_out", ["key3", "key2", "key1"], True, [row1, row2]),
                                       ("//t/t_out", ["key3", "key1"], False, [row1, row2]),
                                       ("//t/t_in", ["key2", "key1"], True, [row2, row1])):
        yt.run_sort("//t/t_in", out, sort_by=sort_by,
                    spec={"schema_inference_mode": "from_input"})
        assert yt.get(out + "/@sorted_by") == sort_by
        schema = yt.get(out + "/@schema")
        assert bool(schema.attributes["strict"]) is True
        assert bool(schema.attributes["unique_keys"]) is unique, (out, sort_by)
        assert fake_yt.rows(out) == rows


@pytest.mark.parametrize("kind", ["sort", "sorted merge"])
def test_from_input_of_weak_inputs_leaves_a_strong_sorted_output_weak(prod_client, fake_yt,
                                                                        kind):
    # the strong output's schema (a strict one of `z` alone) would refuse the rows' `k`; the
    # weak schema of the key takes them
    yt = prod_client.yt()
    strict_table(prod_client, "//t/out", [("z", "string")], [{"z": "old"}])
    spec = {"schema_inference_mode": "from_input"}
    if kind == "sort":
        fake_yt.put_table("//t/w", [{"k": 2}, {"k": 1, "v": "x"}])
        yt.run_sort("//t/w", "//t/out", sort_by=["k"], spec=spec)
    else:
        put_sorted(prod_client, "//t/w", [{"k": 1, "v": "x"}, {"k": 2}], ["k"])
        yt.run_merge(["//t/w"], "//t/out", mode="sorted", spec=spec)
    assert fake_yt.rows("//t/out") == [{"k": 1, "v": "x"}, {"k": 2}]
    assert yt.get("//t/out/@schema_mode") == "weak"
    assert schema_of(prod_client, "//t/out") == ([("k", "any", "ascending")], False)
    assert yt.get("//t/out/@sorted_by") == ["k"]


@pytest.mark.parametrize("kind", ["sort", "sorted merge"])
def test_from_output_gives_a_weak_output_the_key_alone(prod_client, fake_yt, kind):
    # an output of weak schema `from_output`: FromSortColumns, the strong input's schema
    # not taken (with `auto` it would be: test_a_sort_into_a_weak_table_puts_the_key_first...)
    yt = prod_client.yt()
    strict_table(prod_client, "//t/a", [("k", "int64"), ("b", "string")],
                 [{"k": 2, "b": "x"}, {"k": 1, "b": "y"}])
    spec = {"schema_inference_mode": "from_output"}
    if kind == "sort":
        yt.run_sort("//t/a", "//t/out", sort_by=["k"], spec=spec)
    else:
        yt.run_sort("//t/a", sort_by=["k"])
        yt.run_merge(["//t/a"], "//t/out", mode="sorted", spec=spec)
    assert fake_yt.rows("//t/out") == [{"k": 1, "b": "y"}, {"k": 2, "b": "x"}]
    assert yt.get("//t/out/@schema_mode") == "weak"
    assert schema_of(prod_client, "//t/out") == ([("k", "any", "ascending")], False)


def test_a_sorts_inference_mode_decides_the_outputs_schema(prod_client, fake_yt):
    # test_complex_types_schema_validation (test_sort_operation.py): an input whose column
    # cannot go into the output's is refused `auto`; `from_output` compares nothing and
    # keeps the output's schema (its values still meet the writer); `from_input` gives the
    # output the input's schema, sorted
    from yt.wrapper.errors import YtError

    yt = prod_client.yt()
    strict_table(prod_client, "//t/in", [("k", "int64"), ("v", "any")],
                 [{"k": 2, "v": "foo"}, {"k": 1, "v": "bar"}])
    strict_table(prod_client, "//t/out", [("k", "int64"), ("v", "string")], [])
    yt.run_sort("//t/out", sort_by=["k"])
    with pytest.raises(YtError, match='Column "v" input type is incompatible with output type'):
        yt.run_sort("//t/in", "//t/out", sort_by=["k"], spec={"schema_inference_mode": "auto"})
    yt.run_sort("//t/in", "//t/out", sort_by=["k"],
                spec={"schema_inference_mode": "from_output"})
    assert schema_of(prod_client, "//t/out") == (
        [("k", "int64", "ascending"), ("v", "string", None)], True)
    assert fake_yt.rows("//t/out") == [{"k": 1, "v": "bar"}, {"k": 2, "v": "foo"}]
    yt.run_sort("//t/in", "//t/out", sort_by=["k"],
                spec={"schema_inference_mode": "from_input"})
    assert schema_of(prod_client, "//t/out") == (
        [("k", "int64", "ascending"), ("v", "any", None)], True)
    assert fake_yt.rows("//t/out") == [{"k": 1, "v": "bar"}, {"k": 2, "v": "foo"}]


@pytest.mark.parametrize("spec", [{}, {"schema_inference_mode": "from_input"}])
def test_an_ordered_merge_of_one_weak_sorted_input_keeps_its_key(prod_client, fake_yt, spec):
    # InferSchemaFromInputOrdered (operation_controller_detail.cpp): one input overwriting
    # the output gives it the input's schema mode and schema whole, and a table of weak
    # schema sorted by k has the weak schema of its key (TTableSchema::FromKeyColumns), so
    # the output is weak and sorted by k; `from_input` does so to a strong output too
    yt = prod_client.yt()
    yt.create("map_node", "//t", ignore_existing=True)
    if spec:
        strict_table(prod_client, "//t/out", [("z", "string")], [{"z": "old"}])
    put_sorted(prod_client, "//t/w", [{"k": 1, "v": "a"}, {"k": 2}], ["k"])
    yt.run_merge(["//t/w"], "//t/out", mode="ordered", spec=spec)
    assert fake_yt.rows("//t/out") == [{"k": 1, "v": "a"}, {"k": 2}]
    assert yt.get("//t/out/@schema_mode") == "weak"
    assert yt.get("//t/out/@sorted_by") == ["k"]
    assert schema_of(prod_client, "//t/out") == ([("k", "any", "ascending")], False)

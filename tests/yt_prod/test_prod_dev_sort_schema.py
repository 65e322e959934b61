"""The schema a sort gives an output table of no schema, in dev and in prod (the real client
against the fake proxy), as a cluster infers it from the inputs.

The sort controller's PrepareOutputTables (yt/yt/server/controller_agent/controllers/
sort_controller.cpp), schema_inference_mode `auto`: an output of weak schema (a new table,
or one write_table or an operation wrote) gets its schema from the inputs
(InferSchemaFromInput(SortBy), operation_controller_detail.cpp): inputs of strict schema
give it the first input's schema sorted by the sort's columns (ToSorted), so it then keeps
that sorted strict schema as a YQL table sorted in place does; inputs of no schema leave it
none (only its key columns). Inputs of both kinds, or strict ones of different columns,
fail the operation while it prepares.
"""

from __future__ import annotations

import pytest
from test_prod_dev_parity import Backends
from test_prod_dev_sorted_tables import PASS_THROUGH, both_fail, schema_shown

from yt_pipeline.errors import OperationFailed

pytest.importorskip("duckdb", reason="YQL runs on DuckDB in dev and in the fake")


@pytest.fixture
def both(tmp_path, prod_client, fake_yt):
    """//t/y and //t/y2 written by YQL (the same strict schema, rows out of key order),
    //t/z by YQL with other columns, //t/w by write_table (no schema), in both modes."""
    both = Backends(tmp_path, prod_client, fake_yt, {"src/mapper.py": PASS_THROUGH})
    for path, values, columns in (("//t/y", "(5, 'e'), (1, 'a')", "k, v"),
                                  ("//t/y2", "(3, 'c')", "k, v"),
                                  ("//t/z", "(4, 'd')", "k, other")):
        query = (f"INSERT INTO `{path}` WITH TRUNCATE "
                 f"SELECT * FROM (VALUES {values}) AS t({columns})")
        both.dev.run_yql(query)
        both.prod.run_yql(query)
    both.put("//t/w", [{"k": 2, "v": "b"}])
    return both


def sort_into(both: Backends, inputs: list[str], output: str):
    from yt_pipeline_dev.launcher import launch as dev_launch

    spec = both.spec("sort", input_tables=inputs, output_tables=[output], sort_by=["k"])
    return [lambda: dev_launch(both.dev, spec), lambda: both.run_prod(spec)]


def test_a_sort_gives_a_new_table_its_inputs_strict_schema_sorted(both):
    for run in sort_into(both, ["//t/y", "//t/y2"], "//t/new"):
        run()
    dev, prod = both.rows("//t/new")
    assert dev == prod == [{"k": 1, "v": "a"}, {"k": 3, "v": "c"}, {"k": 5, "v": "e"}]
    dev_schema = both.dev.declared_schema("//t/new")
    prod_schema = both.prod.declared_schema("//t/new")
    assert dev_schema is not None and prod_schema is not None
    assert schema_shown(dev_schema) == schema_shown(prod_schema) == \
        [("k", "ascending"), ("v", None)]
    assert dev_schema["strict"] and prod_schema["strict"]
    # so the new table now takes rows in key order only, in both modes
    assert both_fail(Exception,
                     lambda: both.dev.write_table("//t/new", [{"k": 0, "v": "z"}], append=True),
                     lambda: both.prod.write_table("//t/new", [{"k": 0, "v": "z"}],
                                                   append=True)) == \
        "Sort order violation: [5] > [0]"


def test_a_sort_of_tables_of_no_schema_gives_none(both):
    for run in sort_into(both, ["//t/w"], "//t/plain"):
        run()
    assert both.dev.declared_schema("//t/plain") is None
    assert [c.get("sort_order") for c in both.prod.declared_schema("//t/plain")["columns"]] \
        == ["ascending"]  # a weak schema of the key column alone
    for client in (both.dev, both.prod):
        client.write_table("//t/plain", [{"k": 0}], append=True)  # no order to keep
    dev, prod = both.rows("//t/plain")
    assert dev == prod == [{"k": 2, "v": "b"}, {"k": 0}]


@pytest.mark.parametrize(("inputs", "words"), [
    (["//t/y", "//t/w"], "Cannot infer output schema from input, tables have different "
                         "schema modes"),
    (["//t/y", "//t/z"], "Cannot infer output schema from input in strong schema mode, "
                         "tables have incompatible schemas"),
])
def test_a_sort_of_inputs_of_different_schemas_fails_alike(both, inputs, words):
    for run in sort_into(both, inputs, "//t/mixed"):
        with pytest.raises(OperationFailed, match=words):
            run()
    for client in (both.dev, both.prod):  # nothing written
        assert not client.exists("//t/mixed") or list(client.read_table("//t/mixed")) == []


def test_a_sort_of_inputs_that_select_columns_gives_the_output_those_columns_only(both):
    """Inputs whose paths each select columns (`//t/y{k}`) give an output of weak schema
    the inferred schema filtered to the columns they select, as for a merge
    (FilterOutputSchemaByInputColumnSelectors(sortColumns), which the controller calls
    after InferSchemaFromInput: yt/yt/server/controller_agent/operation_controller_detail.h):
    the rows hold those columns only, so the schema cannot require the others. Dev refused
    the write ("Required column v cannot have null"), and the fake kept `v` in the schema."""
    for run in sort_into(both, ["//t/y{k}", "//t/y2{k}"], "//t/keys"):
        run()
    dev_schema, prod_schema = (client.declared_schema("//t/keys") for client in (both.dev,
                                                                                 both.prod))
    assert dev_schema is not None and prod_schema is not None
    assert schema_shown(dev_schema) == schema_shown(prod_schema) == [("k", "ascending")]
    dev, prod = both.rows("//t/keys")
    assert dev == prod == [{"k": 1}, {"k": 3}, {"k": 5}]


def test_a_sort_by_a_later_column_puts_the_key_first_and_the_rest_by_name(both):
    """InferSchemaFromInput makes the sorted output's schema with ToSorted (the sort columns
    first, in their order) and ToCanonical (the others ordered by name: yt/yt/client/
    table_client/schema.cpp); the input written by YQL here has its columns by name."""
    query = ("INSERT INTO `//t/abc` WITH TRUNCATE "
             "SELECT * FROM (VALUES (1, 'x', 30, 'q'), (2, 'y', 10, 'p')) AS t(m, b, z, a)")
    both.dev.run_yql(query)
    both.prod.run_yql(query)
    spec = both.spec("sort", input_tables=["//t/abc"], output_tables=["//t/by_z"],
                     sort_by=["z", "b"])
    from yt_pipeline_dev.launcher import launch as dev_launch

    dev_launch(both.dev, spec)
    both.run_prod(spec)
    dev_schema = both.dev.declared_schema("//t/by_z")
    prod_schema = both.prod.declared_schema("//t/by_z")
    assert dev_schema is not None and prod_schema is not None
    assert schema_shown(dev_schema) == schema_shown(prod_schema) == \
        [("z", "ascending"), ("b", "ascending"), ("a", None), ("m", None)]

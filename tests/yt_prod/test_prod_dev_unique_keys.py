"""A table stage code makes with a schema that says `unique_keys`, in dev and in prod (the
real client against the fake proxy): the same refusals in the cluster's words, the same rows
left after each.

Cluster facts (ytsaurus/ytsaurus):
- a master refuses `unique_keys` on a schema of no key columns (ValidateSchemaAttributes in
  yt/yt/client/table_client/schema.cpp: '"unique_keys" can only be true if key columns are
  present');
- the sorted writer refuses a row whose key equals the previous one's, and an append's first
  row equal to the table's last key ("Duplicate key %v": TSchemalessMultiChunkWriterBase::
  ValidateSortOrderAndUniqueness, `LastKey_ && IsFirstRow_`, in yt/yt/ytlib/table_client/
  schemaless_chunk_writer.cpp);
- the controller refuses an operation's outputs that meet at one key (VerifySortedOutput in
  yt/yt/server/controller_agent/controllers/operation_controller_detail.cpp: "Output table %v
  contains duplicate keys: job outputs overlap with original table" / "... have overlapping
  key ranges").
"""

from __future__ import annotations

import re

import pytest
import yt.yson as yson
from test_prod_dev_parity import Backends
from test_prod_yql_sorted_inserts import stored_rows

from yt_pipeline.errors import BackendError, InvalidSchema, OperationFailed

PASS_THROUGH = """
from ytjobs import read_rows, write_rows

write_rows(read_rows())
"""

COLUMNS = [{"name": "k", "type": "int64", "sort_order": "ascending"},
           {"name": "v", "type": "string"}]
ROWS = [{"k": 1, "v": "a"}, {"k": 3, "v": "c"}]

CLUSTER_WORDS = re.compile(r"Duplicate key \[[^\]]*\]"
                           r"|Output table \S+ contains duplicate keys: (?:"
                           r"job outputs overlap with original table"
                           r"|job outputs have overlapping key ranges)")


def unique_schema(columns=COLUMNS):
    return yson.to_yson_type(columns, attributes={"strict": True, "unique_keys": True})


def both_fail(kind: type[Exception], *calls) -> str:
    """Run the dev call then the prod one; both fail alike: the cluster's words, once."""
    words = []
    for call in calls:
        with pytest.raises(kind) as caught:
            call()
        found = CLUSTER_WORDS.search(str(caught.value))
        assert found, str(caught.value)
        words.append(found.group(0))
    assert words[0] == words[1]
    return words[0]


@pytest.fixture
def both(tmp_path, prod_client, fake_yt):
    """//t/u in both modes: made with a unique_keys schema, holding keys 1 and 3."""
    both = Backends(tmp_path, prod_client, fake_yt, {"src/mapper.py": PASS_THROUGH})
    for client in (both.dev, both.prod):
        client.create_path("//t/u", "table", schema=unique_schema())
        client.write_table("//t/u", ROWS)
    return both


def same_rows(both: Backends, path: str = "//t/u") -> list:
    """The table's rows, the same in both modes; a table holding presort bytes, which
    read_table refuses as a cluster's JSON read does, compared by its stored bytes."""
    dev, prod = stored_rows(both, path)
    assert dev == prod
    if both.dev.presorted_columns(path):
        return dev
    return list(both.dev.read_table(path))


def test_the_schema_says_unique_keys_in_both_modes(both):
    dev, prod = both.dev.declared_schema("//t/u"), both.prod.declared_schema("//t/u")
    assert dev == prod
    assert dev["unique_keys"] is True
    assert same_rows(both) == ROWS


def test_unique_keys_without_key_columns_are_refused(both):
    # ValidateSchemaAttributes (yt/yt/client/table_client/schema.cpp)
    for client in (both.dev, both.prod):
        with pytest.raises(InvalidSchema, match='"unique_keys" can only be true if key '
                                                'columns are present'):
            client.create_path("//t/nokey", "table",
                               schema=unique_schema([{"name": "k", "type": "int64"}]))
        assert not client.exists("//t/nokey")


def test_write_table_repeating_a_key_fails_alike_and_writes_nothing(both):
    # ValidateSortOrderAndUniqueness (schemaless_chunk_writer.cpp)
    rows = [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}, {"k": 2, "v": "c"}]
    assert both_fail(BackendError, lambda: both.dev.write_table("//t/u", rows),
                     lambda: both.prod.write_table("//t/u", rows)) == "Duplicate key [2]"
    assert same_rows(both) == ROWS


def test_an_append_of_the_last_key_fails_alike_and_writes_nothing(both):
    # the writer compares an append's first row with the table's last key first
    # (`LastKey_ && IsFirstRow_` in ValidateSortOrderAndUniqueness)
    def append(rows):
        return [lambda: both.dev.write_table("//t/u", rows, append=True),
                lambda: both.prod.write_table("//t/u", rows, append=True)]

    assert both_fail(BackendError, *append([{"k": 3, "v": "x"}, {"k": 4, "v": "y"}])) == \
        "Duplicate key [3]"
    assert both_fail(BackendError, *append([{"k": 5, "v": "x"}, {"k": 5, "v": "y"}])) == \
        "Duplicate key [5]"
    assert same_rows(both) == ROWS
    for client in (both.dev, both.prod):
        client.write_table("//t/u", [{"k": 4, "v": "d"}], append=True)
    assert same_rows(both) == ROWS + [{"k": 4, "v": "d"}]
    assert both.dev.declared_schema("//t/u")["unique_keys"] is True


def map_into_u(both: Backends, keys: list[int], append: bool, job_count: int | None = None):
    from yt_pipeline.operation_config import Resources
    from yt_pipeline_dev.launcher import launch as dev_launch

    both.put("//t/in", [{"k": k, "v": str(k)} for k in keys])
    spec = both.spec("map", mapper="src/mapper.py", input_tables=["//t/in"],
                     output_tables=["//t/u"], append=append,
                     resources=Resources(job_count=job_count))
    return [lambda: dev_launch(both.dev, spec), lambda: both.run_prod(spec)]


def test_a_map_repeating_a_key_fails_alike_and_writes_nothing(both):
    # a job's sorted writer (ValidateSortOrderAndUniqueness), then the controller's
    # VerifySortedOutput (operation_controller_detail.cpp)
    assert both_fail(OperationFailed, *map_into_u(both, [1, 2, 2], append=False)) == \
        "Duplicate key [2]"
    assert both_fail(OperationFailed, *map_into_u(both, [1, 2, 2, 3], append=False,
                                                  job_count=2)) == \
        "Output table //t/u contains duplicate keys: job outputs have overlapping key ranges"
    assert both_fail(OperationFailed, *map_into_u(both, [3, 4], append=True)) == \
        "Output table //t/u contains duplicate keys: job outputs overlap with original table"
    assert same_rows(both) == ROWS
    for run in map_into_u(both, [4, 5], append=True):
        run()
    assert same_rows(both) == ROWS + [{"k": 4, "v": "4"}, {"k": 5, "v": "5"}]


# A sort makes its output's schema sorted by the sort's columns, unique when every old key
# column is among them (TTableSchema::ToSorted, yt/yt/client/table_client/schema.cpp:
# `UniqueKeys_ && oldKeyColumnCount == GetKeyColumnCount()`; called by TSortController::
# PrepareOutputTables in yt/yt/server/controller_agent/controllers/sort_controller.cpp), and
# its writer then refuses two rows of one key: "Duplicate key %v", which, unlike a sort order
# violation, does not explode the job (ValidateSortOrderAndUniqueness in yt/yt/ytlib/
# table_client/schemaless_chunk_writer.cpp).

def sort_into_u(both: Backends, rows: list[dict], sort_by: list[str], source="//t/in"):
    from yt_pipeline_dev.launcher import launch as dev_launch

    if source != "//t/u":
        both.put(source, rows)
    spec = both.spec("sort", input_tables=[source], output_tables=["//t/u"], sort_by=sort_by)
    return [lambda: dev_launch(both.dev, spec), lambda: both.run_prod(spec)]


def test_a_sort_repeating_a_key_into_a_unique_table_fails_alike_and_writes_nothing(both):
    rows = [{"k": 2, "v": "b"}, {"k": 1, "v": "a"}, {"k": 2, "v": "c"}]
    assert both_fail(OperationFailed, *sort_into_u(both, rows, ["k"])) == "Duplicate key [2]"
    assert same_rows(both) == ROWS
    for client in (both.dev, both.prod):
        assert client.declared_schema("//t/u")["unique_keys"] is True


def test_a_sort_by_more_columns_keeps_unique_keys_of_them(both):
    # the key [k] is among [k, v]: the table stays unique, by (k, v)
    rows = [{"k": 2, "v": "b"}, {"k": 1, "v": "a"}, {"k": 2, "v": "b"}]
    assert both_fail(OperationFailed, *sort_into_u(both, rows, ["k", "v"])).startswith(
        "Duplicate key [2")
    assert same_rows(both) == ROWS
    for run in sort_into_u(both, [{"k": 2, "v": "c"}, {"k": 2, "v": "b"}], ["k", "v"]):
        run()
    assert same_rows(both) == [{"k": 2, "v": "b"}, {"k": 2, "v": "c"}]
    for client in (both.dev, both.prod):
        schema = client.declared_schema("//t/u")
        assert schema["unique_keys"] is True
        assert [c["name"] for c in schema["columns"] if c.get("sort_order")] == ["k", "v"]
    # a later append repeating (k, v) is refused, one repeating k alone is not
    assert both_fail(BackendError,
                     lambda: both.dev.write_table("//t/u", [{"k": 2, "v": "c"}], append=True),
                     lambda: both.prod.write_table("//t/u", [{"k": 2, "v": "c"}],
                                                   append=True)).startswith("Duplicate key [2")
    for client in (both.dev, both.prod):
        client.write_table("//t/u", [{"k": 2, "v": "d"}], append=True)
    assert same_rows(both) == [{"k": 2, "v": "b"}, {"k": 2, "v": "c"}, {"k": 2, "v": "d"}]


def test_a_sort_by_other_columns_drops_unique_keys(both):
    for run in sort_into_u(both, [], ["v"], source="//t/u"):
        run()
    assert same_rows(both) == ROWS
    for client in (both.dev, both.prod):
        assert client.declared_schema("//t/u")["unique_keys"] is False
    # so a sort by v repeating a value is taken, in both modes
    rows = [{"k": 1, "v": "a"}, {"k": 2, "v": "a"}]
    for run in sort_into_u(both, rows, ["v"]):
        run()
    assert same_rows(both) == rows


# A sort into a table of no schema takes its schema from its inputs of strict schema
# (InferSchemaFromInput in yt/yt/server/controller_agent/controllers/operation_controller_
# detail.cpp, called by TSortController::PrepareOutputTables for an output of weak schema):
# the inputs are compared stripped of sort order and unique_keys (ToStrippedColumnAttributes),
# and the output takes the first input's schema made sorted by sort_by
# (`->ToSorted(sortColumns)->ToSortedStrippedColumnAttributes()`), so it says unique_keys
# when the first input's does and its key columns are all among sort_by (TTableSchema::
# ToSorted in yt/yt/client/table_client/schema.cpp), whatever the other inputs say; the
# writer then refuses a repeated key ("Duplicate key %v").

def sort_into_new(both: Backends, inputs: list[str], sort_by: list[str], out="//t/new"):
    from yt_pipeline_dev.launcher import launch as dev_launch

    spec = both.spec("sort", input_tables=inputs, output_tables=[out], sort_by=sort_by)
    return [lambda: dev_launch(both.dev, spec), lambda: both.run_prod(spec)]


def key_of(schema: dict) -> list[str]:
    return [c["name"] for c in schema["columns"] if c.get("sort_order")]


def test_a_sort_into_a_table_of_no_schema_takes_unique_keys_only_with_every_key_column(both):
    for run in sort_into_new(both, ["//t/u"], ["k"], "//t/by_k") + \
            sort_into_new(both, ["//t/u"], ["v"], "//t/by_v"):
        run()
    assert same_rows(both, "//t/by_k") == ROWS
    assert same_rows(both, "//t/by_v") == ROWS
    for client in (both.dev, both.prod):
        by_k, by_v = client.declared_schema("//t/by_k"), client.declared_schema("//t/by_v")
        assert (by_k["unique_keys"], key_of(by_k)) == (True, ["k"])
        # k was the key, and is not among the sort's columns: no unique keys, k unsorted
        assert (by_v["unique_keys"], key_of(by_v)) == (False, ["v"])
    # so the table sorted by v takes a repeated v, in both modes
    for client in (both.dev, both.prod):
        client.write_table("//t/by_v", [{"k": 5, "v": "c"}], append=True)
    assert same_rows(both, "//t/by_v") == ROWS + [{"k": 5, "v": "c"}]


def test_a_sort_of_inputs_meeting_at_a_key_into_a_table_of_no_schema(both):
    for client in (both.dev, both.prod):
        client.create_path("//t/u2", "table", schema=unique_schema())
        client.write_table("//t/u2", [{"k": 3, "v": "z"}])
        client.create_path("//t/plain", "table", schema=yson.to_yson_type(
            COLUMNS, attributes={"strict": True}))
        client.write_table("//t/plain", [{"k": 3, "v": "z"}])
        client.write_table("//t/new", [{"k": 0}])
    # the first input's schema says unique_keys: so does the output's, and its writer
    # refuses key 3 of both inputs; the table is left as it was
    assert both_fail(OperationFailed, *sort_into_new(both, ["//t/u", "//t/u2"], ["k"])) == \
        "Duplicate key [3]"
    assert both_fail(OperationFailed, *sort_into_new(both, ["//t/u", "//t/plain"], ["k"])) == \
        "Duplicate key [3]"
    assert same_rows(both, "//t/new") == [{"k": 0}]
    # the first input's does not: the output is sorted, without unique keys, both rows kept
    for run in sort_into_new(both, ["//t/plain", "//t/u"], ["k"]):
        run()
    assert same_rows(both, "//t/new") == [{"k": 1, "v": "a"}, {"k": 3, "v": "z"},
                                          {"k": 3, "v": "c"}]
    for client in (both.dev, both.prod):
        schema = client.declared_schema("//t/new")
        assert (schema["unique_keys"], key_of(schema)) == (False, ["k"])


def test_a_yql_insert_repeating_a_key_is_taken_and_the_table_has_unique_keys_no_more(both):
    # YQL makes the table's sortness common with the inserted rows', which drops unique keys
    # ("Merge of two and more tables cannot have unique keys": TYqlRowSpecInfo::
    # MakeCommonSortness in yt/yql/providers/yt/lib/row_spec/yql_row_spec.cpp; YQL warns
    # "Result table content will have non unique keys"), and publishes the table so
    for client in (both.dev, both.prod):
        client.run_yql('INSERT INTO `//t/u` SELECT 3 AS k, "x" AS v;')
    assert same_rows(both) == ROWS + [{"k": 3, "v": "x"}]
    for client in (both.dev, both.prod):
        assert client.declared_schema("//t/u")["unique_keys"] is False
    # and later writes may repeat a key too
    for client in (both.dev, both.prod):
        client.write_table("//t/u", [{"k": 3, "v": "y"}], append=True)
    assert same_rows(both) == ROWS + [{"k": 3, "v": "x"}, {"k": 3, "v": "y"}]


def test_write_table_takes_no_path_of_its_own_schema_in_either_mode(both):
    """Pinned, not changed: a cluster's write_table takes `<schema=...>//t` (the fake
    follows it: test_prod_unique_keys), but the pipeline clients take plain paths only, so
    such a path is refused alike in both modes and the table is left as it was."""
    from yt_pipeline.errors import InvalidTablePath

    path = ('<schema=<unique_keys=%true;strict=%true>[{name=k;type=int64;'
            'sort_order=ascending}]>//t/u')
    for client in (both.dev, both.prod):
        with pytest.raises(InvalidTablePath):
            client.write_table(path, [{"k": 1}, {"k": 1}])
    assert same_rows(both) == ROWS


# YQL marks a sorted output's row spec UniqueKeys when the rows' distinct constraint (an
# Aggregate's keys: GROUP BY; all columns: SELECT DISTINCT) is on exactly the sort's columns,
# each a plain column (TYtOutTableInfo::SetUnique in yt/yql/providers/yt/provider/
# yql_yt_table.cpp, with TUniqueConstraintNodeBase::IsOrderBy in yql/essentials/ast/
# yql_constraint.cpp); a write replacing the table copies that row spec (TYqlRowSpecInfo::
# CopySortness in yt/yql/providers/yt/lib/row_spec/yql_row_spec.cpp), and the published
# schema says unique_keys (RowSpecToYTSchema in yt/yql/providers/yt/lib/schema/schema.cpp).

CASES = [
    ("SELECT k, COUNT(*) AS c FROM `//t/src` GROUP BY k ORDER BY k", True, ["k"]),
    ("SELECT DISTINCT k, v FROM `//t/src` ORDER BY v, k", True, ["v", "k"]),
    # the distinct set is (k, v), the sort only k: no unique keys
    ("SELECT DISTINCT k, v FROM `//t/src` ORDER BY k", False, ["k"]),
    # sorted by more columns than the grouped ones: no unique keys either
    ("SELECT k, COUNT(*) AS c FROM `//t/src` GROUP BY k ORDER BY k, c", False, ["k", "c"]),
    # sorted through a hidden column (a DESC key): the row spec's SortMembers stop before
    # the aux `_yql_column_0` of its SortedBy (TYqlRowSpecInfo::ParsePatched in
    # yt/yql/providers/yt/lib/row_spec/yql_row_spec.cpp), so SetUnique's
    # `SortMembers.size() == SortedBy.size()` fails: no unique keys, sorted by the hidden column
    ("SELECT k, COUNT(*) AS c FROM `//t/src` GROUP BY k ORDER BY k DESC", False,
     ["_yql_column_0"]),
    ("SELECT DISTINCT k, v FROM `//t/src` ORDER BY v, k DESC", False, ["v", "_yql_column_0"]),
]


def test_a_yql_insert_sorted_by_the_columns_its_rows_are_distinct_by_has_unique_keys(both):
    for client in (both.dev, both.prod):
        client.write_table("//t/src", [{"k": 2, "v": "b"}, {"k": 1, "v": "a"},
                                       {"k": 2, "v": "b"}, {"k": 2, "v": "c"}])
    for index, (select, unique, key) in enumerate(CASES):
        out = f"//t/out{index}"
        for client in (both.dev, both.prod):
            client.run_yql(f"INSERT INTO `{out}` WITH TRUNCATE {select};")
        written = same_rows(both, out)
        check_unique_written(both, out, select, unique, key, written)


# A table read from YT whose schema says unique_keys gives its rows a distinct constraint on
# its key (TYqlRowSpecInfo::MakeDistinctConstraint in yt/yql/providers/yt/lib/row_spec/
# yql_row_spec.cpp, from KeyColumnsFromSchema/YTSchemaToRowSpec in yt/yql/providers/yt/lib/
# schema/schema.cpp, set by TYtDataSourceConstraintTransformer::HandleTable in yt/yql/
# providers/yt/provider/yql_yt_datasource_constraints.cpp). A WHERE keeps it (FilterWrap in
# yql/essentials/core/yql_expr_constraint.cpp passes TDistinctConstraintNode on), so does a
# LIMIT (TakeWrap: CopyAllFrom), and a projection keeping the key column, renamed or not
# (AsStructWrap/MapWrap there). The write's SetUnique then marks the output UniqueKeys when
# it is sorted by exactly that column, as for a GROUP BY above.

SOURCE_CASES = [
    ("SELECT * FROM `//t/u` ORDER BY k", True, ["k"]),
    ("SELECT * FROM `//t/u` WHERE v != 'z' ORDER BY k LIMIT 5", True, ["k"]),
    ("SELECT v, k FROM `//t/u` ORDER BY k", True, ["k"]),
    ("SELECT a.k AS id, a.v || 'x' AS w FROM `//t/u` AS a ORDER BY id", True, ["id"]),
    # sorted by more than the distinct column: IsOrderBy wants the sort's columns exactly
    ("SELECT * FROM `//t/u` ORDER BY k, v", False, ["k", "v"]),
    # sorted by another column, or the key not written: nothing is distinct by the sort
    ("SELECT * FROM `//t/u` ORDER BY v", False, ["v"]),
    ("SELECT v FROM `//t/u` ORDER BY v", False, ["v"]),
]


def test_a_yql_insert_sorted_by_the_unique_key_of_the_table_it_reads_keeps_unique_keys(both):
    for index, (select, unique, key) in enumerate(SOURCE_CASES):
        out = f"//t/from_unique{index}"
        for client in (both.dev, both.prod):
            client.run_yql(f"INSERT INTO `{out}` WITH TRUNCATE {select};")
        written = same_rows(both, out)
        assert written, select
        check_unique_written(both, out, select, unique, key, written)


def test_a_yql_insert_from_a_table_without_unique_keys_has_none(both):
    # the same sorted source, its schema not saying unique_keys: no distinct constraint
    for client in (both.dev, both.prod):
        client.create_path("//t/plain", "table",
                           schema=yson.to_yson_type(COLUMNS, attributes={"strict": True}))
        client.write_table("//t/plain", ROWS)
        client.run_yql("INSERT INTO `//t/out` WITH TRUNCATE SELECT * FROM `//t/plain` ORDER BY k;")
        schema = client.declared_schema("//t/out")
        assert (schema["unique_keys"], key_of(schema)) == (False, ["k"])
    assert same_rows(both, "//t/out") == ROWS


def test_a_yql_insert_replacing_the_table_it_reads_keeps_its_unique_keys(both):
    # the source's key is read as the table was before the write (the same rules as above)
    for client in (both.dev, both.prod):
        client.run_yql("INSERT INTO `//t/u` WITH TRUNCATE "
                       "SELECT * FROM `//t/u` WHERE k > 1 ORDER BY k;")
        schema = client.declared_schema("//t/u")
        assert (schema["unique_keys"], key_of(schema)) == (True, ["k"])
    assert same_rows(both) == ROWS[1:]


def check_unique_written(both, out: str, select: str, unique: bool, key: list[str],
                         written: list[dict]) -> None:
    """Both modes gave `out` the unique_keys flag and key expected of `select`; a unique
    table refuses a later append of its last key, in both modes, and keeps its rows."""
    for client in (both.dev, both.prod):
        schema = client.declared_schema(out)
        assert (select, schema["unique_keys"], key_of(schema)) == (select, unique, key)
    if unique:
        assert both_fail(
            BackendError,
            lambda: both.dev.write_table(out, [written[-1]], append=True),
            lambda: both.prod.write_table(out, [written[-1]], append=True),
        ).startswith("Duplicate key")
        assert same_rows(both, out) == written

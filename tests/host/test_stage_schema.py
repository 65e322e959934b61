"""The schema stage code declares for a table is checked before either backend makes it:
each refusal is one line naming the table and the column."""

from __future__ import annotations

import pytest

from yt_pipeline.errors import InvalidSchema
from yt_pipeline.stage_schema import checked_schema

PATH = "//tmp/t"


@pytest.mark.parametrize(("schema", "message"), [
    ([], "schema must be a non-empty list of columns such as {'name': 'id', 'type': 'int64'}"),
    ({"id": "int64"}, "schema must be a non-empty list of columns such as "
                      "{'name': 'id', 'type': 'int64'}"),
    (["id"], "schema column 1 is a str, not a mapping"),
    ([{"type": "int64"}], "schema column 1 has no name (a non-empty string)"),
    ([{"name": "id", "type": "int"}], "schema column 'id': type 'int' is not one of int8, "
     "int16, int32, int64, uint8, uint16, uint32, uint64, double, boolean, string, any, date, "
     "datetime, timestamp"),
    ([{"name": "id", "type": "int64"}, {"name": "id", "type": "string"}],
     "schema column 'id' is given twice"),
    ([{"name": "id", "type": "int64", "sorted": True}],
     "schema column 'id': unknown key 'sorted' (a column takes name, type, sort_order, "
     "required)"),
    ([{"name": "id", "type": "int64", "required": "yes"}],
     "schema column 'id': required 'yes' is not true or false"),
    ([{"name": "id", "type": "int64", "sort_order": "descending"}],
     "schema column 'id': sort_order 'descending' is not 'ascending'"),
    ([{"name": "v", "type": "string"}, {"name": "id", "type": "int64", "sort_order": "ascending"}],
     "schema column 'id' is a key column after a column that is not one: key columns "
     "(sort_order) come first"),
])
def test_a_bad_schema_is_refused_naming_the_table_and_the_column(schema, message):
    with pytest.raises(InvalidSchema) as refused:
        checked_schema(PATH, schema)
    assert str(refused.value) == f"create_path {PATH}: {message}"


def test_a_good_schema_is_given_back_in_one_shape():
    given = [{"name": "id", "type": "uint64", "sort_order": "ascending", "required": False},
             {"name": "when", "type": "timestamp", "required": True}]
    assert checked_schema(PATH, given) == [
        {"name": "id", "type": "uint64", "sort_order": "ascending"},
        {"name": "when", "type": "timestamp", "required": True}]

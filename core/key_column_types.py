"""A reduce refuses inputs whose schemas give one key column types that compare apart.

Before any job runs, the reduce controller looks at each key column in the schemas of the
inputs it reads by that key (CheckInputTableSortColumnTypes, called by
TReduceController::AdjustSortColumns in yt/yt/server/controller_agent/controllers/
sorted_controller.cpp): join_by's columns in every input, then reduce_by's in the primary
ones. A column of type `any` is passed over (a table of weak schema has only such key
columns); the others must have one physical type, the one their values are stored as
(GetPhysicalType in yt/yt/client/table_client/row_base.h: int32 and int64 agree, int64 and
string do not), else "Sort columns have different types in input tables". The spec's
`validate_key_column_types: false` turns the check off. The integration tests
test_reduce_different_types, test_reduce_with_any and test_reduce_with_foreign_table_fail
(yt/yt/tests/integration/tests/controller/test_reduce_operation.py) expect it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: a simple logical type -> the physical type its values are stored as (GetPhysicalType)
PHYSICAL_TYPES = {
    **dict.fromkeys(("int8", "int16", "int32", "int64", "interval", "date32", "datetime64",
                     "timestamp64", "interval64"), "int64"),
    **dict.fromkeys(("uint8", "uint16", "uint32", "uint64", "date", "datetime", "timestamp"),
                    "uint64"),
    **dict.fromkeys(("string", "utf8", "json", "uuid"), "string"),
    **dict.fromkeys(("float", "double"), "double"),
    "boolean": "boolean", "null": "null", "void": "null", "any": "any", "yson": "any",
}

MESSAGE = "Sort columns have different types in input tables"


@dataclass(frozen=True)
class KeyColumn:
    """A key column as an input's schema gives it: its (v1) type and whether required."""
    type: str
    required: bool = False

    def shown(self) -> str:
        # how the error names a logical type (an optional one as optional<...>)
        return self.type if self.required else f"optional<{self.type}>"


@dataclass(frozen=True)
class KeyedInput:
    """An input table by its path, its key columns' types (None: no strict schema, whose
    key columns are all of type any) and whether it is a primary input."""
    path: str
    columns: Mapping[str, KeyColumn] | None
    primary: bool = True


def _physical(column: KeyColumn) -> str:
    return PHYSICAL_TYPES.get(column.type, column.type)


def differing_column(key: Sequence[str], tables: Sequence[KeyedInput]
                     ) -> tuple[str, dict[str, Any]] | None:
    """The first column of `key` whose types in `tables` compare apart, as the refusal's
    message and attributes; None when they agree."""
    for name in key:
        reference: tuple[KeyedInput, KeyColumn] | None = None
        for table in tables:
            column = (table.columns or {}).get(name)
            if column is None or _physical(column) == "any":
                continue
            if reference is None:
                reference = (table, column)
            elif _physical(reference[1]) != _physical(column):
                return MESSAGE, {"column_name": name,
                                 "input_table_1": reference[0].path,
                                 "type_1": reference[1].shown(),
                                 "input_table_2": table.path, "type_2": column.shown()}
    return None


def reduce_key_types_differ(tables: Sequence[KeyedInput], reduce_by: Sequence[str],
                            join_by: Sequence[str], key_guarantee: bool = True
                            ) -> tuple[str, dict[str, Any]] | None:
    """The reduce's refusal of its inputs' key column types, or None: join_by's columns
    checked in every input, then reduce_by's in the primary ones. Without the key guarantee
    the controller reads every input by reduce_by (or join_by) and checks it in all."""
    if key_guarantee:
        foreign_key, primary_key = list(join_by), list(reduce_by)
    else:
        foreign_key = primary_key = list(reduce_by or join_by)
    return differing_column(foreign_key, tables) or \
        differing_column(primary_key, [table for table in tables if table.primary])


def schema_key_columns(schema: Any) -> dict[str, KeyColumn] | None:
    """A table's `schema` (a list of column maps, or a map with `columns`) as the key
    columns' types this check reads; None for no schema."""
    if schema is None:
        return None
    columns = schema.get("columns") if isinstance(schema, Mapping) else schema
    return {str(column["name"]): KeyColumn(str(column.get("type", "any")),
                                           bool(column.get("required", False)))
            for column in columns or []}

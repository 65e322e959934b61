"""The strict schema stage code declares for a dev table (TableClient.create_path), kept as
a YQL write's is (yql_schema.declare): as DuckDB column types, which yql_schema, the write
checks (output_schema, refuse_rows_off_schema) and declared_schema read back as YT types
(column_types.yt_column_type)."""

from __future__ import annotations

from typing import Any

from yt_pipeline.stage_schema import required_names
from yt_pipeline_dev.yql_schema import DeclaredColumns

#: the DuckDB type each declared YT type is kept as, the one a YQL write of such a column
#: keeps (column_types.YQL_COLUMN_TYPES read the other way; `any` is a Yson column, JSON)
DUCKDB_TYPES = {"int64": "BIGINT", "int32": "INTEGER", "int16": "SMALLINT",
                "int8": "TINYINT", "uint64": "UBIGINT", "uint32": "UINTEGER",
                "uint16": "USMALLINT", "uint8": "UTINYINT", "double": "DOUBLE",
                "float": "FLOAT", "boolean": "BOOLEAN", "string": "VARCHAR", "utf8": "VARCHAR",
                "date": "DATE",
                "datetime": "TIMESTAMP_S", "timestamp": "TIMESTAMP", "interval": "INTERVAL",
                "any": "JSON"}


def kept_columns(columns: list[dict[str, Any]]) -> DeclaredColumns:
    """(name, DuckDB type) of each checked column (yt_pipeline.stage_schema), and which of
    them take no null."""
    # a utf8 column is kept as a VARCHAR, named among the declared schema's utf8 ones, as a
    # YQL write of a Utf8 keeps it
    return DeclaredColumns([(column["name"], DUCKDB_TYPES[column["type"]])
                            for column in columns], required_names(columns),
                           utf8=[column["name"] for column in columns
                                 if column["type"] == "utf8"])

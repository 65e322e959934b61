"""The hidden sort columns a YQL INSERT ... ORDER BY leaves in the table it replaces when a
key is sorted DESC or is an expression (yt_pipeline.yql_rules.hidden_sort): their values
added to the rows DuckDB wrote, as presort bytes where YQL makes those
(yt_pipeline.yql_presort)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from yt_pipeline.yql_presort import bytes_columns, encode_hidden
from yt_pipeline.yql_rules import HiddenColumn
from ytjobs.codec import dumps_line


def encode_file(path: Path, hidden: list[HiddenColumn], kinds: dict[str, str],
                required: frozenset[str]) -> None:
    """Rewrite the JSON-lines file of written rows with each presorted hidden column as
    its bytes (yql_presort.encode_hidden)."""
    if not bytes_columns(hidden, kinds):
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.hidden")
    with path.open("rb") as source, temporary.open("wb") as target:
        for line in source:
            if line.strip():
                line = dumps_line(encode_hidden(json.loads(line), hidden, kinds, required))
            target.write(line)
    os.replace(temporary, path)


def drop_hidden(path: Path, hidden: list[str]) -> None:
    """Rewrite a table file without its hidden sort columns, as a YQL append leaves a table
    sorted by them: the appended rows are not sorted so, the table's sortness made common
    with theirs is none (ValidateTableWrite, MakeCommonSortness, in yt/yql/providers/yt/
    provider/yql_yt_datasink_type_ann.cpp), and the publish merges the table's rows and the
    new ones in order, reading only the row type's columns and the now unsorted row spec's
    aux columns, none (ExecPublish in yt/yql/providers/yt/gateway/native/yql_yt_native.cpp:
    "Use explicit columns for source tables to cut aux columns")."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.unhidden")
    with path.open("rb") as source, temporary.open("wb") as target:
        for line in source:
            if line.strip():
                row = json.loads(line)
                line = dumps_line({name: value for name, value in row.items()
                                   if name not in hidden})
            target.write(line)
    os.replace(temporary, path)

"""`yt-pipeline table ls|head|count|schema PATH`: look at tables through the mode's client.

The same commands serve dev (`.dev/` files) and prod (the cluster): the pipeline folder
(`-C DIR`, default the current one) and its configuration choose the mode, `--set
pipeline.mode=prod` the other one. On a terminal rows are shown as a table (rich);
elsewhere, or with `--format json`, as one JSON object per line, for other tools.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

import click

from yt_pipeline.cli import CONFIG_OPT, SET_OPT, load_pipeline
from yt_pipeline.errors import TableNotFound, UsageError, YtPipelineError

#: rows `schema` reads to learn the columns of a table without a declared schema
SCHEMA_ROWS = 1000

PIPELINE_OPT = click.option(
    "-C", "--pipeline", "pipeline_dir", default=".", show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The pipeline folder whose configuration chooses the mode and cluster.",
)
FORMAT_OPT = click.option(
    "--format", "fmt", type=click.Choice(["auto", "table", "json"]), default="auto",
    show_default=True, help="auto: a table on a terminal, JSON lines otherwise.",
)


def _client(pipeline_dir: Path, config_file: Path | None, overrides: tuple[str, ...]) -> Any:
    return load_pipeline(pipeline_dir, config_file, overrides).yt


@contextmanager
def _table_named(client: Any, path: str) -> Iterator[None]:
    """A PATH that names no table is a mistake on the command line (exit 2), said as such:
    a folder is told apart from nothing at all, and the command that lists it is named."""
    try:
        yield
    except YtPipelineError as error:  # not found (dev), or the cluster's own refusal (prod)
        if not client.exists(path):
            raise UsageError(f"there is no table {path}") from None
        if _is_folder(client, path):
            raise UsageError(f"{path} is a folder, not a table (yt-pipeline table ls {path} "
                             "lists it)") from None
        raise error


def _is_folder(client: Any, path: str) -> bool:
    try:
        client.list(path)
    except YtPipelineError:
        return False
    return True


def _as_table(fmt: str) -> bool:
    if fmt == "auto":
        return sys.stdout.isatty()
    return fmt == "table"


def _cell(value: Any) -> str:
    import json  # not at the top: this module is loaded by every command, for --help

    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def show_rows(rows: Iterable[dict[str, Any]], fmt: str, title: str) -> int:
    """Print rows; returns how many. A secret of secrets.env a table holds (in a value, a
    column name) is masked, as in every other output: the rows first, each string as it
    is, then each line as printed, for the forms only the printing makes (JSON escapes)."""
    import json

    from yt_pipeline.logs import masked, masked_data

    rows = [masked_data(row) for row in rows]
    title = masked(title)
    if not _as_table(fmt):
        for row in rows:
            click.echo(masked(json.dumps(row, ensure_ascii=False, sort_keys=False)))
        return len(rows)
    from rich.console import Console
    from rich.table import Table

    columns = list(dict.fromkeys(key for row in rows for key in row))
    view = Table(show_lines=False)
    for column in columns:
        view.add_column(column, overflow="fold")
    for row in rows:
        view.add_row(*(masked(_cell(row[c])) if c in row else "" for c in columns))
    console = Console()
    # the title on a line of its own: as a table's title it is wrapped to the table's width,
    # which a narrow table makes cut a path in two
    console.print(title, style="italic", highlight=False, soft_wrap=True)
    console.print(view)
    return len(rows)


@click.group()
def table() -> None:
    """Look at tables: list a folder, the first rows, the row count, the columns.

    \b
    Examples:
      yt-pipeline table ls //tmp/demo
      yt-pipeline table head //tmp/demo/users -n 5
      yt-pipeline table count //tmp/demo/users
      yt-pipeline table schema //tmp/demo/users --set pipeline.mode=prod
    """


@table.command("ls")
@click.argument("path")
@PIPELINE_OPT
@CONFIG_OPT
@SET_OPT
def table_ls(path: str, pipeline_dir: Path, config_file: Path | None,
             overrides: tuple[str, ...]) -> None:
    """The names in the folder PATH, one per line."""
    client = _client(pipeline_dir, config_file, overrides)
    try:
        names = client.list(path)
    except TableNotFound:
        raise UsageError(f"there is no folder {path}") from None
    except YtPipelineError as error:
        if client.exists(path):  # a table
            raise UsageError(f"{path} is a table, not a folder (yt-pipeline table head "
                             f"{path} shows its rows)") from None
        raise error
    from yt_pipeline.logs import masked

    for name in names:  # a name may hold a secret of secrets.env, as any path may
        click.echo(masked(name))


@table.command("head")
@click.argument("path")
@click.option("-n", "--rows", "count", default=10, show_default=True,
              type=click.IntRange(min=0), help="How many rows.")
@FORMAT_OPT
@PIPELINE_OPT
@CONFIG_OPT
@SET_OPT
def table_head(path: str, count: int, fmt: str, pipeline_dir: Path, config_file: Path | None,
               overrides: tuple[str, ...]) -> None:
    """The first rows of the table PATH."""
    client = _client(pipeline_dir, config_file, overrides)
    with _table_named(client, path):
        rows = list(islice(iter(client.read_table(path)), count))
    # a table of fewer rows than asked for is shown whole, and said to be
    shown = f"first {count}" if len(rows) == count else f"all {len(rows)} rows"
    show_rows(rows, fmt, f"{path} ({shown})")


@table.command("count")
@click.argument("path")
@PIPELINE_OPT
@CONFIG_OPT
@SET_OPT
def table_count(path: str, pipeline_dir: Path, config_file: Path | None,
                overrides: tuple[str, ...]) -> None:
    """The number of rows of the table PATH."""
    client = _client(pipeline_dir, config_file, overrides)
    with _table_named(client, path):
        click.echo(client.row_count(path))


def inferred_columns(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each column of the rows in order of appearance, with the types its values have
    (`null` too where some rows lack the column: they read as null)."""
    from yt_pipeline.column_types import value_type  # not for --help: it loads json

    kinds: dict[str, dict[str, None]] = {}
    present: dict[str, int] = {}
    total = 0
    for row in rows:
        total += 1
        for key, value in row.items():
            # as a client sends the value: an integer past int64 is a uint64, as YT holds it
            kinds.setdefault(key, {})[value_type(value)] = None
            present[key] = present.get(key, 0) + 1
    for key, count in present.items():
        if count < total:
            kinds[key]["null"] = None
    return [{"name": name, "types": list(types)} for name, types in kinds.items()]


def declared_rows(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """A declared schema's columns as `schema` shows them: name and type, `required` for
    a column that takes no null (a YQL query's COUNT or literal, in both modes), and the
    sort order of a key column (a YQL table a sort then sorted, in both modes)."""
    rows = []
    for column in schema["columns"]:
        row = {"column": column["name"], "type": column["type"]}
        if column.get("required"):
            row["required"] = True
        if column.get("sort_order"):
            row["sort_order"] = column["sort_order"]
        rows.append(row)
    return rows


@table.command("schema")
@click.argument("path")
@FORMAT_OPT
@PIPELINE_OPT
@CONFIG_OPT
@SET_OPT
def table_schema(path: str, fmt: str, pipeline_dir: Path, config_file: Path | None,
                 overrides: tuple[str, ...]) -> None:
    """The columns of the table PATH and their types.

    A table a YQL query wrote, or stage code made with `create_path(..., schema=...)`, has a
    strict schema, which is shown, titled "declared schema (strict)": the cluster's `@schema`
    in prod, the columns the query or the stage gave it in dev (a query's COUNT column is a
    uint64, and required: it takes no null, as a literal's column). Tables written by
    write_table and operations declare no columns, so the columns are those of the first 1,000
    rows, as YQL's InferSchema sees them, each with the types its values have (an integer past
    int64 is a uint64), titled "inferred from values". JSON lines say which in their "schema"
    key ("declared" or "inferred"). A YQL table a sort then sorted shows its key columns'
    sort_order, in dev as in prod.
    """
    client = _client(pipeline_dir, config_file, overrides)
    with _table_named(client, path):
        schema = client.declared_schema(path)
        # a schema that is not strict is a sort's key columns alone (a cluster's weak
        # schema), not the table's columns: those are still learned from its rows
        if schema is None or not schema["strict"]:
            columns = inferred_columns(islice(iter(client.read_table(path)), SCHEMA_ROWS))
    if schema is not None and schema["strict"]:
        rows, mark = declared_rows(schema), "declared schema (strict)"
    else:
        rows = [{"column": c["name"], "types": " | ".join(c["types"])} for c in columns]
        mark = f"columns of the first {SCHEMA_ROWS:,} rows, inferred from values"
    if not _as_table(fmt):
        # JSON lines have no title: each says where its column comes from, for tools
        source = "declared" if schema is not None and schema["strict"] else "inferred"
        rows = [dict(row, schema=source) for row in rows]
    show_rows(rows, fmt, f"{path}: {mark}")

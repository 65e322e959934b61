"""What YQL on a YTsaurus cluster does with our tables and results, for both backends.

Tables that `write_table` and operations write have no schema. YQL refuses such a table
unless the query sets `PRAGMA yt.InferSchema` (or `yt.ForceInferSchema`); with it, YQL takes
the columns from the first N rows (1 to 1000, 1 when no value is given), skipping null
values, so a column that first holds a value after row N does not exist in the query. The
prod backend adds `PRAGMA yt.InferSchema = '1000'` to every query (a pragma the query sets
itself comes later in the text and wins); dev learns columns from the same first rows.

The query tracker cuts each result at RESULT_ROW_LIMIT rows and marks it truncated.

Sources (ytsaurus/ytsaurus, the YQL parts also in ydb-platform/ydb), under
yt/yql/providers/yt/: provider/yql_yt_provider.cpp (`TYtTableDescription::Validate`, the
errors for a schemaless or empty table), lib/infer_schema/infer_schema.cpp (which rows and
values count), common/yql_yt_settings.cpp (`InferSchema`: 1..1000, no value means 1, not
with `ForceInferSchema`), provider/yql_yt_datasink_type_ann.cpp (no append to a table
without a schema); yt/yt/server/query_tracker/config.cpp (`row_count_limit`, 10'000).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

from yt_pipeline.column_types import yt_column_type
from yt_pipeline.errors import QueryFailed
from yt_pipeline.yql_statements import multiline_end, quoted_end, statement_spans

#: the query tracker's default `row_count_limit` for a result
RESULT_ROW_LIMIT = 10_000
#: the most rows `PRAGMA yt.InferSchema` may name; the prod backend asks for this many
MAX_INFER_ROWS = 1000
INFER_PRAGMA = f"PRAGMA yt.InferSchema = '{MAX_INFER_ROWS}';"
#: statements that produce no result and change no table
QUIET_STATEMENTS = ("PRAGMA", "USE", "COMMIT")


class Token(msgspec.Struct):
    kind: str  # "word", "string", "name" (backticks) or "symbol"
    text: str
    start: int
    end: int


class Statement(msgspec.Struct):
    """One statement of a query: its tokens, and where it stands in the query text."""

    tokens: list[Token] = msgspec.field(default_factory=list)

    @property
    def start(self) -> int:
        return self.tokens[0].start

    @property
    def end(self) -> int:
        return self.tokens[-1].end

    @property
    def first_word(self) -> str:
        first = self.tokens[0]
        return first.text.upper() if first.kind == "word" else first.text

    def words(self) -> list[str]:
        return [t.text.upper() for t in self.tokens if t.kind == "word"]


def _unquote(text: str) -> str:
    body = text[1:-1]
    out, i = [], 0
    while i < len(body):
        if body.startswith("``", i) and text[0] == "`":
            out.append("`")
            i += 2
            continue
        if body[i] == "\\" and i + 1 < len(body):
            out.append(body[i + 1])
            i += 2
            continue
        out.append(body[i])
        i += 1
    return "".join(out)


def statements(query: str) -> list[Statement]:
    """The query's statements (separated by `;` outside strings, names and comments, as
    yql_statements reads them) that hold any code."""
    found = [_statement(query, start, end) for start, end in statement_spans(query)]
    return [s for s in found if s.tokens]


def located(query: str, at: Token) -> tuple[list[Token], int] | None:
    """The tokens of the statement of `query` holding the token that starts where `at`
    does, and that token's index among them; None when no statement holds it."""
    for statement in statements(query):
        for index, token in enumerate(statement.tokens):
            if token.start == at.start:
                return statement.tokens, index
    return None


def _statement(query: str, i: int, n: int) -> Statement:
    """The statement standing at query[i:n], its tokens placed in the whole query."""
    found = Statement()
    while i < n:
        char = query[i]
        if char.isspace():
            i += 1
        elif query.startswith("--", i):
            end = query.find("\n", i)
            i = n if end < 0 else end
        elif query.startswith("/*", i):  # closed: yql_statements found its end
            i = query.find("*/", i + 2) + 2
        elif query.startswith("@@", i):
            end = multiline_end(query, i)
            found.tokens.append(Token("string", query[i + 2:end - 2].replace("@@@@", "@@"), i, end))
            i = end
        elif char in "'\"`":
            end = quoted_end(query, i)
            kind = "name" if char == "`" else "string"
            found.tokens.append(Token(kind, _unquote(query[i:end]), i, end))
            i = end
        elif char.isalnum() or char in "_$.":
            end = i
            while end < n and (query[end].isalnum() or query[end] in "_$."):
                end += 1
            found.tokens.append(Token("word", query[i:end], i, end))
            i = end
        else:
            found.tokens.append(Token("symbol", char, i, i + 1))
            i += 1
    return found


def _pragma(statement: Statement) -> tuple[str, str | None] | None:
    """(lower-case name, value or None) of a PRAGMA statement."""
    tokens = statement.tokens
    if statement.first_word != "PRAGMA" or len(tokens) < 2 or tokens[1].kind != "word":
        return None
    values = [t.text for t in tokens[2:] if t.kind in ("string", "word")]
    return tokens[1].text.lower(), (values[0] if values else None)


def _rows_value(name: str, value: str | None) -> int:
    """The row count a pragma value means, as the cluster parses it (empty is 1)."""
    if value is None or value == "":
        return 1
    try:
        rows = int(value)
    except ValueError:
        raise QueryFailed(f"YQL: PRAGMA {name} takes a number of rows, got {value!r}") from None
    if rows < 0 or rows > MAX_INFER_ROWS:
        raise QueryFailed(f"YQL: PRAGMA {name} takes 1 to {MAX_INFER_ROWS} rows, got {rows}")
    return max(1, rows)


def infer_rows(query: str) -> int | None:
    """The rows `PRAGMA yt.InferSchema`/`yt.ForceInferSchema` in the query name (the last
    one wins, as for any static pragma); None when the query sets neither."""
    rows: int | None = None
    seen: set[str] = set()
    for statement in statements(query):
        pragma = _pragma(statement)
        if pragma and pragma[0] in ("yt.inferschema", "yt.forceinferschema"):
            seen.add(pragma[0])
            rows = _rows_value(pragma[0], pragma[1])
    if len(seen) > 1:
        raise QueryFailed("YQL: InferSchema cannot be used together with ForceInferSchema")
    return rows


def inferred_columns(rows: Iterable[dict[str, Any]], limit: int) -> list[str]:
    """The columns YQL infers from the first `limit` rows: every key holding a value that is
    not null in one of them, sorted by name as the cluster lists them. A key starting with
    `$` is a system column, which inference skips (TStreamSchemaInferer::AddRow in
    yt/yql/providers/yt/lib/infer_schema/infer_schema.cpp, ydb-platform/ydb)."""
    names: set[str] = set()
    for index, row in enumerate(rows):
        if index >= limit:
            break
        names.update(k for k, v in row.items() if v is not None and not is_system_column(k))
    return sorted(names)


def is_system_column(name: str) -> bool:
    """True for a column schema inference skips: a name starting with `$`."""
    return name.startswith("$")


# -- the cluster's messages, one place for both backends -------------------------------------

def no_schema(path: str) -> str:
    return (f'Table "{path}" does not have any scheme attribute supported by YQL, you can add '
            "\"PRAGMA yt.InferSchema = '1';\" to your query in order to use types of first "
            "data row as scheme.")


def empty_table(path: str) -> str:
    return f'Cannot infer schema for table "{path}", table is empty'


def empty_column_name(path: str) -> str:
    """Why a table with a column named "" cannot be read by YQL here. A schemaless YT table
    may hold one (the name table checks only a name's length: yt/yt/client/table_client/
    name_table.cpp), and inference keeps it, but no table schema may name it ("Column name
    cannot be empty": ValidateColumnSchema in yt/yt/client/table_client/schema.cpp), so no
    YQL result or INSERT can carry it; and DuckDB, which runs YQL in dev and on the fake,
    has no column of that name. Both refuse the table with this line."""
    return (f'table {path} has a column with an empty name (""), which YQL cannot read here '
            "and no YT table schema allows: rename the column")


def no_columns(path: str, rows: int) -> str:
    return f"Cannot infer schema for table {path}, first {rows} row(s) has no columns"


def append_refused(path: str) -> str:
    return (f'Table "{path}" does not have any scheme attribute supported by YQL, append is '
            "not allowed")


def row_type_differs(path: str, table: dict[str, Any], written: dict[str, Any],
                     appended: bool = False) -> str:
    """YQL's refusal of an append whose row type does not fit the table's (each given as
    name: type_v3), in its words: its type diff (yql_type_diff). `appended`: a later append
    to a table the same query appended to, checked against the first append's row type."""
    from yt_pipeline.yql_type_diff import row_type_diff  # it reads yql_type_v3, which reads us

    against = "appended" if appended else "written"
    return (f'Table "{path}" row type differs from the {against} row type: '
            f"{row_type_diff(table, written)}")


def duplicate_columns(names: Iterable[str]) -> str | None:
    """Why YQL refuses a result with two columns of one name (`SELECT a.*, b.*` of a join
    whose tables share a column): columns are known by their names ("you can't have two
    columns with the same name in the subquery": YTsaurus docs, JOIN). None when none
    repeats."""
    seen: set[str] = set()
    repeated = []
    for name in names:
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    if not repeated:
        return None
    return (f"the result has two columns named {', '.join(repeated)} (a join whose tables "
            "both have them, selected with * or a.*, b.*), which YQL refuses: name the "
            "columns to keep, with AS for the second of a name (select_columns of a "
            "JoinTablesRequest)")


def truncated(rows: int = RESULT_ROW_LIMIT) -> str:
    return (f"the query tracker keeps {rows} rows of a result; end the query with the SELECT "
            "whose rows you want (they are then read from a table, all of them), or write "
            "them with INSERT INTO and read that table")


def insert_target(statement: Statement) -> Token | None:
    """The token naming the table of `INSERT INTO [cluster.]`//path``, if that is one."""
    tokens = statement.tokens
    if statement.first_word != "INSERT" or len(tokens) < 3 or tokens[1].text.upper() != "INTO":
        return None
    at = 3 if tokens[2].kind == "word" and tokens[2].text.endswith(".") else 2
    return tokens[at] if at < len(tokens) else None


def read_paths(query: str) -> list[str]:
    """The YT paths a query names (`//...` in backticks or quotes) other than the tables its
    INSERTs write, each once, in order."""
    found: dict[str, None] = {}
    for statement in statements(query):
        target = insert_target(statement)
        for token in statement.tokens:
            if (token is not target and token.kind in ("name", "string")
                    and token.text.startswith("//")):
                found[token.text.rstrip("/") or "//"] = None
    return list(found)


def own_writes_read(query: str, written: Iterable[str]) -> list[str]:
    """The paths among `written` (what the stage wrote in its transaction so far) that the
    query reads: named themselves, or inside a folder it names (RANGE, EACH)."""
    named = read_paths(query)
    return sorted({path for path in written for name in named
                   if path == name or path.startswith(name.rstrip("/") + "/")})


def own_writes_refused(paths: list[str]) -> QueryFailed:
    return QueryFailed(
        f"YQL: the query reads {', '.join(paths)}, which this stage wrote before it: a "
        "cluster's query tracker runs queries outside the stage's transaction, so the query "
        "would read the table as it was before the stage (the stage's writes are seen only "
        "once it ends). Read it with read_table, or query it in a later stage")


def read_through(query: str, views: dict[str, str]) -> str:
    """The query with each table it reads that `views` names (path -> another path holding
    the same rows) read from that other path; the tables its INSERTs write are kept."""
    if not views:
        return query
    spans = []
    for statement in statements(query):
        target = insert_target(statement)
        for token in statement.tokens:
            if token is target or token.kind not in ("name", "string"):
                continue
            other = views.get(token.text.rstrip("/"))
            if other is not None:
                quote = query[token.start] if query[token.start] in "`'\"" else "`"
                spans.append((token.start, token.end, f"{quote}{other}{quote}"))
    for start, end, text in sorted(spans, reverse=True):
        query = query[:start] + text + query[end:]
    return query


#: words that end an INSERT's top-level ORDER BY list
_AFTER_ORDER = {"LIMIT", "OFFSET"}
#: words that make a top-level ORDER BY one of several queries' (a set operation's)
_SET_WORDS = {"UNION", "INTERSECT", "EXCEPT"}


def insert_sort_key(statement_text: str) -> list[str] | None:
    """The columns an `INSERT INTO ... SELECT ... ORDER BY a, b [LIMIT n]` leaves its table
    sorted by on a cluster, before the written columns are known (`sort_key_of` checks
    them): the ORDER BY at the top of the statement, when each of its items is a bare
    column name sorted ascending. None for any other statement (`insert_sort_items` gives
    the items of any top-level ORDER BY, `hidden_sort` what a cluster makes of them).

    YQL over YT sorts such a write with a YtSort whose output row spec is sorted by the
    key selector's columns (Sort in yt/yql/providers/yt/provider/phy_opt/
    yql_yt_phy_opt_sort.cpp, TopSort there too for a LIMIT); a write that replaces the
    table's meta (WITH TRUNCATE, or a table that does not exist) takes that sortness as
    its own (ValidateTableWrite in yt/yql/providers/yt/provider/yql_yt_datasink_type_ann
    .cpp: `replaceMeta`, CopySortness from the content's row spec), an append keeps the
    table's. A key that is an expression, or sorted DESC (unless `yt.UseNativeDescSort`,
    off by default: DEFAULT_USE_NATIVE_DESC_SORT), or of a type other than a (possibly
    optional) data type, is sorted through a hidden `_yql_column_N` column instead
    (TKeySelectorBuilder::AddColumn in yt/yql/providers/yt/opt/yql_yt_key_selector.cpp),
    which the published table keeps (`hidden_sort`)."""
    items = insert_sort_items(statement_text)
    if not items or any(item.name is None or not item.ascending for item in items):
        return None
    key: list[str] = []
    for item in items:
        if item.name not in key:  # a column named twice sorts once (UniqMemberColumns_)
            key.append(item.name)  # type: ignore[arg-type]
    return key


@dataclass(frozen=True)
class SortItem:
    """One item of an ORDER BY: its expression's text, the column it names when it is a
    bare name, and its direction."""

    text: str
    name: str | None
    ascending: bool


def insert_sort_items(statement_text: str) -> list[SortItem] | None:
    """The items of the ORDER BY at the top of an `INSERT INTO ... SELECT` (not one of a
    set operation's queries), up to LIMIT or OFFSET; None for any other statement."""
    tokens = _insert_tokens(statement_text)
    if tokens is None:
        return None
    start = None
    for index in _top_level(tokens):
        if index == SET_OPERATION:
            return None
        if (_word(tokens[index]) == "ORDER" and index + 1 < len(tokens)
                and tokens[index + 1].text.upper() == "BY"
                and not (index and tokens[index - 1].text.upper() == "ASSUME")):
            start = index + 2
    if start is None:
        return None
    return _sort_items(statement_text, tokens[start:])


#: what _top_level gives for a set operation's word (UNION, INTERSECT, EXCEPT), its last
SET_OPERATION = -1


def _insert_tokens(statement_text: str) -> list[Token] | None:
    """The tokens of the first statement when it is an INSERT; None otherwise."""
    for statement in statements(statement_text):
        return statement.tokens if statement.first_word == "INSERT" else None
    return None


def _top_level(tokens: list[Token]) -> Iterator[int]:
    """The indexes of the tokens outside any bracket, in order, up to a set operation's
    word, given as SET_OPERATION."""
    depth = 0
    for index, token in enumerate(tokens):
        if token.kind == "symbol" and token.text in "([{":
            depth += 1
        elif token.kind == "symbol" and token.text in ")]}":
            depth -= 1
        elif depth == 0 and _word(token) in _SET_WORDS:
            yield SET_OPERATION
            return
        elif depth == 0:
            yield index


def _word(token: Token) -> str | None:
    """A word token's text in capitals; None for any other token."""
    return token.text.upper() if token.kind == "word" else None


def comma_groups(tokens: list[Token]) -> list[list[Token]]:
    """The tokens split at the commas outside brackets (a list's items); one empty group
    for no tokens."""
    groups: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.kind == "symbol" and token.text in "([{":
            depth += 1
        elif token.kind == "symbol" and token.text in ")]}":
            depth -= 1
        if depth == 0 and token.kind == "symbol" and token.text == ",":
            groups.append([])
        else:
            groups[-1].append(token)
    return groups


def _sort_items(text: str, tokens: list[Token]) -> list[SortItem] | None:
    depth, end = 0, len(tokens)
    for index, token in enumerate(tokens):
        if token.kind == "symbol" and token.text in "([{":
            depth += 1
        elif token.kind == "symbol" and token.text in ")]}":
            depth -= 1
        elif depth == 0 and token.kind == "word" and token.text.upper() in _AFTER_ORDER:
            end = index
            break
        elif depth == 0 and token.kind == "symbol" and token.text == ";":
            end = index
            break
    items = []
    for item in comma_groups(tokens[:end]):
        ascending = True
        if item and item[-1].kind == "word" and item[-1].text.upper() in ("ASC", "DESC"):
            ascending = item[-1].text.upper() == "ASC"
            item = item[:-1]
        if not item:
            return None
        name = None
        if len(item) == 1 and item[0].kind in ("word", "name") and (
                item[0].kind == "name"
                or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", item[0].text)):
            name = item[0].text
        items.append(SortItem(_expression(text, item), name, ascending))
    return items or None


def _expression(text: str, tokens: list[Token]) -> str:
    """An ORDER BY item's text, its `backticked` names double-quoted as DuckDB reads
    them."""
    parts, at = [], tokens[0].start
    for token in tokens:
        parts.append(text[at:token.start])
        if token.kind == "name":
            parts.append('"' + token.text.replace('"', '""') + '"')
        else:
            parts.append(text[token.start:token.end])
        at = token.end
    return "".join(parts)


#: the name YQL gives the n-th hidden sort column (TKeySelectorBuilder::AddColumn)
HIDDEN_SORT_COLUMN = "_yql_column_{}"


@dataclass(frozen=True)
class HiddenColumn:
    """A hidden sort column: its name, the expression it holds (over the written
    columns), and whether that is sorted descending."""

    name: str
    expression: str
    descending: bool
    #: the written column the expression is, when it is a bare name
    column: str | None = None


def hidden_sort(items: list[SortItem], columns: list[tuple[str, str]]
                ) -> tuple[list[str], list[HiddenColumn]]:
    """What a cluster sorts a replacing INSERT's table by, from its ORDER BY `items` and
    the written `columns` (name, DuckDB type): the key (written columns and hidden ones,
    in order) and the hidden columns it holds, which the table keeps.

    TKeySelectorBuilder::AddColumn (yt/yql/providers/yt/opt/yql_yt_key_selector.cpp): a
    member sorted ascending, of a (possibly optional) data type, is a key column itself,
    and a member named again is skipped (UniqMemberColumns_); any other item (DESC, an
    expression, another type) becomes `_yql_column_N`, N counting those, holding the item's
    value, or its presort bytes (Ascending/Descending, a String) when sorted DESC or of
    another type (`needPresort`), always sorted ascending (ForeignSortDirections_ true).
    FillRowSpecSort gives the row spec that key as SortedBy; the write's row spec copies
    it exactly (ValidateTableWrite, CopySortness ECopySort::Exact, in yt/yql/providers/yt/
    provider/yql_yt_datasink_type_ann.cpp), and the published table keeps the hidden
    columns: the YtSort output is copied, or merged with the row spec's aux columns among
    the columns kept ("Use explicit columns for source tables to cut aux columns", then
    GetAuxColumns added: ExecPublish in yt/yql/providers/yt/gateway/native/
    yql_yt_native.cpp), its schema the key columns first, each `ascending`
    (RowSpecToYTSchema in yt/yql/providers/yt/lib/schema/schema.cpp)."""
    kinds = dict(columns)
    key: list[str] = []
    hidden: list[HiddenColumn] = []
    members: set[str] = set()
    for item in items:
        name = item.name if item.name in kinds else None
        if name is not None:
            if name in members:
                continue
            members.add(name)
            if item.ascending and yt_column_type(kinds[name]) not in ("any", "null"):
                key.append(name)
                continue
        column = HIDDEN_SORT_COLUMN.format(len(hidden))
        hidden.append(HiddenColumn(column, item.text, not item.ascending, name))
        key.append(column)
    return key, hidden


def hidden_key_columns(key: Iterable[str] | None) -> list[str]:
    """The key columns of a table that YQL's row spec hides: a YQL system member
    (`_yql_`-named, which a query cannot name itself) among the sorted_by columns is an aux
    column, absent from the table's row type (TYqlRowSpecInfo::GetAuxColumns, and
    ParsePatched's `IsSystemMember` in yt/yql/providers/yt/lib/row_spec/yql_row_spec.cpp):
    a query reading the table does not see it, and an append need not write it."""
    return [column for column in key or () if column.startswith("_yql_")]


def own_columns(names: Iterable[str]) -> list[str]:
    """The columns of a table a query sees, in their order: all but those YQL names itself
    (hidden_key_columns), whether they are still key columns or not (a sort by the table's
    own columns keeps a hidden column's bytes)."""
    names = list(names)
    hidden = set(hidden_key_columns(names))
    return [name for name in names if name not in hidden]


def presorted(hidden: HiddenColumn, kind: str) -> bool:
    """Whether a hidden column holds presort bytes, its expression being of DuckDB type
    `kind`: when sorted DESC, or of a type other than a data type (`needPresort` in
    TKeySelectorBuilder::AddColumn)."""
    return hidden.descending or yt_column_type(kind) in ("any", "null")


def sort_key_of(key: list[str] | None, columns: list[tuple[str, str]]) -> list[str] | None:
    """`key` (insert_sort_key) when each of its columns is among the written `columns`
    (name, DuckDB type) and of a data type YT sorts by itself (not Yson, a container, or
    Null: those YQL sorts through a hidden column); else None."""
    kinds = dict(columns)
    if not key or any(name not in kinds or yt_column_type(kinds[name]) in ("any", "null")
                      for name in key):
        return None
    return key


# -- the unique keys of an INSERT's sorted result ----------------------------------------

#: insert_distinct_by's answer for a SELECT DISTINCT: its rows are distinct by all columns
ALL_COLUMNS = "*"
#: words that end a top-level GROUP BY list
_AFTER_GROUP = {"HAVING", "ORDER", "LIMIT", "OFFSET", "WINDOW", "ASSUME", "INTO"}


def insert_distinct_by(statement_text: str) -> list[str] | None:
    """The columns an `INSERT ... SELECT`'s rows are distinct by, as YQL's constraints know
    it, before the written columns are known: [ALL_COLUMNS] for a top-level SELECT DISTINCT
    (all its columns), else the columns of its top-level GROUP BY when each item is a bare
    column name (an Aggregate's keys: its distinct constraint); None for any other
    statement (a GROUP BY of expressions, ROLLUP, CUBE or GROUPING SETS, a set operation)."""
    tokens = _insert_tokens(statement_text)
    if tokens is None:
        return None
    selected, group = False, None
    for index in _top_level(tokens):
        if index == SET_OPERATION:
            return None
        word = _word(tokens[index])
        if word == "SELECT" and not selected:
            selected = True
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if following is not None and following.text.upper() == "DISTINCT":
                return [ALL_COLUMNS]
        elif (word == "GROUP" and index + 1 < len(tokens)
              and tokens[index + 1].text.upper() == "BY"):
            group = index + 2
    if group is None:
        return None
    return _grouped_columns(tokens[group:])


def _grouped_columns(tokens: list[Token]) -> list[str] | None:
    """The columns of a GROUP BY list (its tokens, up to the clause after it), when each
    item is a bare name; None otherwise."""
    for index, token in enumerate(tokens):
        if token.kind == "word" and token.text.upper() in _AFTER_GROUP:
            tokens = tokens[:index]
            break
    names: list[str] = []
    for item in _items(tokens):
        if len(item) != 1 or item[0].kind not in ("word", "name"):
            return None
        if item[0].kind == "word" and (
                item[0].text.upper() in ("ROLLUP", "CUBE", "GROUPING", "COMPACT")
                or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", item[0].text)):
            return None
        names.append(item[0].text)
    return names or None


def _items(tokens: list[Token]) -> list[list[Token]]:
    items: list[list[Token]] = [[]]
    for token in tokens:
        if token.kind == "symbol" and token.text == ",":
            items.append([])
        else:
            items[-1].append(token)
    return items


def sorted_unique(distinct_by: list[str] | None, key: list[str] | None,
                  columns: list[tuple[str, str]]) -> bool:
    """Whether the table an INSERT replaces, sorted by `key` (sort_key_of), has unique keys:
    YQL marks a sorted output's row spec so when the rows' distinct constraint is on the
    sort's columns (`distinct_by`, insert_distinct_by; [ALL_COLUMNS]: the written
    `columns`), as a set, every sort column a plain column (TYtOutTableInfo::SetUnique in
    yt/yql/providers/yt/provider/yql_yt_table.cpp: `SortMembers.size() == SortedBy.size()
    && distinct->IsOrderBy(...)`, which takes a distinct set exactly covering the sorted
    columns: TUniqueConstraintNodeBase::IsOrderBy in yql/essentials/ast/yql_constraint.cpp);
    a write replacing the table copies that row spec, UniqueKeys too (TYqlRowSpecInfo::
    CopySortness in yt/yql/providers/yt/lib/row_spec/yql_row_spec.cpp), and the published
    schema says unique_keys (RowSpecToYTSchema in yt/yql/providers/yt/lib/schema/
    schema.cpp).

    A key with a hidden sort column (hidden_sort) is never unique: the row spec's
    SortMembers are the members among SortedBy, the aux `_yql_column_N` columns past them
    (TYqlRowSpecInfo::ParsePatched in yt/yql/providers/yt/lib/row_spec/yql_row_spec.cpp:
    `i >= SortMembers.size() || SortedBy[i] != SortMembers[i]`), so SetUnique's
    `SortMembers.size() == SortedBy.size()` fails; the hidden columns are no columns the
    rows are distinct by."""
    if not key or not distinct_by or hidden_key_columns(key):
        return False
    names = ([name for name, _ in columns if not hidden_key_columns([name])]
             if distinct_by == [ALL_COLUMNS] else distinct_by)
    return set(names) == set(key)

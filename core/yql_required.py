"""Which result columns of a YQL SELECT are of a type that is not Optional, as far as the
query text alone tells: those YQL writes to a table as required columns.

A YQL write gives a column the type_v3 of its YQL type (RowSpecYqlTypeToYtNativeType in
yt/yql/providers/yt/lib/schema/schema.cpp, ydb-platform/ydb): an Optional becomes
{"type_name": "optional", ...}, anything else the bare type, which the master shows as
`required: true`. DuckDB does not say which of its columns may hold null, so dev and the
fake query tracker decide it from the text, for the result columns named with AS (or
not named: YQL's columnN, yql_unnamed) whose expression is one of:

- COUNT(...) or COUNT_IF(...): `COUNT(*)->Uint64`, `COUNT(T)->Uint64`, `COUNT(T?)->Uint64`,
  `COUNT_IF(Bool?)->Uint64` (the signatures in yt/docs/en/yql/builtins/aggregation.md,
  ytsaurus/ytsaurus), DISTINCT or not;
- a literal number, string (with its suffix too, `'a'u`) or boolean, optionally signed: a
  literal's type is a data type, never Optional (NULL is of its own Null type, written as
  "null").

- a window COUNT, ROW_NUMBER, RANK, DENSE_RANK or NTILE (`... OVER w`): `ROW_NUMBER()->
  Uint64`, `RANK([T])->Uint64` (yql/essentials/docs/en/builtins/window.md, ydb), a window
  COUNT the aggregate's Uint64;
- given the required columns of the tables a query reads (`source_required`), for a SELECT
  of backticked tables or subqueries (FROM `path` [AS alias], FROM (SELECT ...) [AS alias],
  JOINed or not; a subquery's required columns are those this module finds in it): a column read
  from a required one, named or not, or `*` of one table; of a JOIN, only `alias.column`
  reads, of a side the JOIN keeps (an inner or CROSS JOIN both, a LEFT JOIN its left
  side, a RIGHT JOIN its right one, a FULL JOIN none: the other side is NULL where no row
  matched); a GROUP BY key so read (GROUP BY keeps a key's
  type; ROLLUP, CUBE and GROUPING SETS make keys Optional, and leave them so here); and
  `+`, `-`, `*` over such values and literals (YQL's arithmetic is Optional only when an
  operand is: yql/essentials/docs/en/syntax/expressions.md, ydb; `/` and `%` of integers
  give an Optional, NULL for a zero divisor, and stay optional here, a double's too);
  COALESCE, NVL and `??` with one such operand (_coalesced); IF(condition, x, y) of such
  x and y, and CASE ... THEN x ... ELSE y END of such values (the same If in YQL);
- CAST(x AS T) of such an x whose type the text tells (a column's, given `source_types`, a
  literal's, a count's, another CAST's) when YQL's cast of that type to T never fails
  (yql_cast_types: Int32 to Int64, any integer to String or Double...).

Every other column stays optional: SUM, MIN, MAX, AVG (`SUM(Signed?)->Int64?`,
`MIN(T)->T?`: aggregation.md), IF without its third argument, a CAST that may fail (on a
cluster too); a CAST of a value whose type the text does not tell (an expression's), a CASE
inside a larger expression, a column of a UNION without ALL (a UNION ALL's is the common one
of its parts': required_columns), a JOIN's column read by its name alone, any column of a
SEMI, ONLY or EXCLUSION JOIN (which a cluster may make required).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from yt_pipeline.yql_cast_types import cast_target, column_type, never_fails, number_literal_type
from yt_pipeline.yql_rules import Token, statements
from yt_pipeline.yql_united_types import Value, united_type

#: the words that end a SELECT's list of result columns at its own depth
_LIST_END = frozenset({"FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "WINDOW",
                       "UNION", "INTERSECT", "EXCEPT", "ASSUME", "WITHOUT", "INTO"})
_SET_OPERATIONS = frozenset({"UNION", "INTERSECT", "EXCEPT"})
_NUMBER = re.compile(r"\d[\w.]*$")


def required_columns(statement: str,
                     source_required: Callable[[str], frozenset[str]] | None = None,
                     source_types: Callable[[str], dict[str, str]] | None = None
                     ) -> frozenset[str]:
    """The names of the result columns of `statement` (a SELECT, or an INSERT of one) that
    YQL gives a type that is not Optional (see the module's docstring); `source_required`
    gives the required columns of the table at a path (none for a table of no schema), and
    `source_types` the types of its columns (which tell the CASTs that never fail)."""
    return frozenset(required_types(statement, source_required, source_types))


def required_types(statement: str,
                   source_required: Callable[[str], frozenset[str]] | None = None,
                   source_types: Callable[[str], dict[str, str]] | None = None
                   ) -> dict[str, str]:
    """Each result column of `statement` whose type is not Optional (required_columns),
    with its YQL data type where the text tells it (yql_cast_types' names), else ""."""
    parts = union_all_parts(statement)
    if parts is not None:
        # YQL's UNION ALL matches its parts' columns by name: a column every part has takes
        # the common type of its types, Optional when one is, and one a part lacks is
        # Optional (UnionAllWrapper in yql/essentials/core/type_ann/type_ann_list.cpp, ydb)
        typed = [required_types(part, source_required, source_types) for part in parts]
        common = frozenset.intersection(*(frozenset(found) for found in typed))
        # the common type of two types is not followed here: a type all parts agree on
        return {name: typed[0][name] if all(found[name] == typed[0][name] for found in typed)
                else "" for name in common}
    def columns(path: str) -> dict[str, str]:
        if source_required is None:
            return {}  # no table's schema known: only a subquery's columns are
        kinds = source_types(path) if source_types is not None else {}
        return {name: column_type(kinds.get(name, "")) or ""
                for name in source_required(path)}

    def subquery(text: str) -> dict[str, str]:
        # a subquery's required columns are read as the outer query's source: YQL reads a
        # member of its row's struct with the member's own type (SqlColumnWrapper and
        # MemberWrapper in yql/essentials/core/type_ann/type_ann_core.cpp, ydb)
        return required_types(text, source_required, source_types)

    found = select_items(statement, columns, subquery)
    if found is None:
        return {}
    items, source = found
    return {name: data_type(expression, source) or "" for name, expression in items
            if _not_optional(expression, source)}


def union_all_parts(statement: str) -> list[str] | None:
    """The text of each SELECT a statement joins with UNION ALL at its own depth (the
    first with an INSERT before it, the last with what follows it); None for a statement
    of no UNION, or of another set operation too."""
    found = statements(statement)
    if len(found) != 1:
        return None
    placed = [token for token, depth in _top_level(found[0].tokens) if depth == 0]
    cuts: list[tuple[int, int]] = []  # where each UNION ALL starts and ends in the text
    for index, token in enumerate(placed):
        word = token.text.upper() if token.kind == "word" else ""
        if word in ("INTERSECT", "EXCEPT"):
            return None
        if word == "UNION":
            after = placed[index + 1] if index + 1 < len(placed) else None
            if after is None or after.kind != "word" or after.text.upper() != "ALL":
                return None  # UNION alone: DISTINCT rows, left as it is
            cuts.append((token.start, after.end))
    if not cuts:
        return None
    bounds = [found[0].tokens[0].start, *(i for cut in cuts for i in cut),
              found[0].tokens[-1].end]
    return [statement[bounds[i]:bounds[i + 1]] for i in range(0, len(bounds), 2)]


def select_items(statement: str,
                 source_columns: Callable[[str], Collection[str]] | None = None,
                 subquery: Callable[[str], dict[str, str]] | None = None,
                 outer_sides: bool = False,
                 ) -> tuple[list[tuple[str, list[Token]]], SourceColumns] | None:
    """(name, expression tokens) of each result column of `statement` (a SELECT of no
    UNION, or an INSERT of one) named with AS or read bare, and the columns of the tables
    it reads that `source_columns` gives (as required_columns reads the tables: names, or
    names with their YQL types), and those `subquery` gives of a subquery's text in its
    FROM (none known without it); None for another statement. `outer_sides`: the columns
    of a side an outer JOIN makes Optional are kept (for their data types, yql_utf8)."""
    found = statements(statement)
    if len(found) != 1:
        return None
    tokens = _top_level(found[0].tokens)
    words = [token.text.upper() for token, depth in tokens if depth == 0 and token.kind == "word"]
    if "SELECT" not in words or _SET_OPERATIONS & set(words):
        return None
    start = next(i for i, (token, depth) in enumerate(tokens)
                 if depth == 0 and token.kind == "word" and token.text.upper() == "SELECT")
    rest = tokens[start + 1:]
    source = SourceColumns()
    if source_columns is not None and not _GROUPINGS & set(words):
        source = _sources(rest, source_columns, statement, subquery, outer_sides)
    return _result_items(rest, source), source


#: GROUP BY forms whose keys are Optional in the result (a key is NULL in a rolled-up row)
_GROUPINGS = frozenset({"ROLLUP", "CUBE", "GROUPING"})
#: what may follow a SELECT's one table
_AFTER_SOURCE = frozenset({"WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "WINDOW", "ASSUME",
                           "WITHOUT", "OFFSET"})


class SourceColumns:
    """The required columns of the tables a SELECT reads: `bare`, those a name alone reads
    (of its one table), and `qualified`, those of each table's alias (`alias.a`), each
    with its YQL data type where it is known (yql_cast_types), else ""."""

    def __init__(self, bare: dict[str, str] | None = None,
                 qualified: dict[str, dict[str, str]] | None = None):
        self.bare = bare or {}
        self.qualified = qualified or {}


#: the words of a JOIN's kind, and which sides it makes Optional: "right" the table it
#: joins, "left" those before it (a LEFT JOIN's right side has NULLs where no row matched;
#: an inner or CROSS JOIN keeps every side's types)
_JOINS = {("JOIN",): "", ("INNER", "JOIN"): "", ("CROSS", "JOIN"): "",
          ("LEFT", "JOIN"): "right", ("LEFT", "OUTER", "JOIN"): "right",
          ("RIGHT", "JOIN"): "left", ("RIGHT", "OUTER", "JOIN"): "left",
          ("FULL", "JOIN"): "both", ("FULL", "OUTER", "JOIN"): "both"}
#: the words that start a JOIN of any kind (SEMI, ONLY, EXCLUSION ones too)
_JOIN_STARTS = frozenset({"JOIN", "INNER", "CROSS", "LEFT", "RIGHT", "FULL", "EXCLUSION"})


def _sources(tokens: list[tuple[Token, int]],
             source_columns: Callable[[str], Collection[str]], text: str,
             subquery: Callable[[str], dict[str, str]] | None,
             outer_sides: bool = False) -> SourceColumns:
    """The tables read when the FROM at depth 0 names backticked paths (`cluster.` before
    one, an alias after it, allowed) or subqueries in parentheses (read by `subquery`, given
    their text: `text[...]`), joined by JOINs of the kinds of _JOINS, and nothing else (a
    table function, a SEMI or ONLY JOIN: none known)."""
    at = next((i for i, (token, depth) in enumerate(tokens) if depth == 0
               and token.kind == "word" and token.text.upper() == "FROM"), None)
    if at is None:
        return SourceColumns()
    after = [token for token, depth in tokens[at + 1:] if depth == 0]
    tables: list[tuple[str | None, dict[str, str]]] = []  # (alias, required columns)
    optional_next = False  # the table a LEFT or FULL JOIN joins
    while True:
        table = _table(after, source_columns, optional_next and not outer_sides, text,
                       subquery)
        if table is None:
            return SourceColumns()
        alias, required, after = table
        tables.append((alias, required))
        if after and after[0].kind == "word" and after[0].text.upper() in ("ON", "USING"):
            while after and not (after[0].kind == "word" and after[0].text.upper()
                                 in _JOIN_STARTS | _AFTER_SOURCE):
                after = after[1:]  # the join condition (its parentheses are deeper)
        if not after or (after[0].kind == "word" and after[0].text.upper() in _AFTER_SOURCE):
            break
        kind = _join_kind(after)
        if kind is None:
            return SourceColumns()  # a comma, a SEMI or ONLY JOIN, a table function's arguments
        words, optional = kind
        after = after[words:]
        if optional in ("left", "both") and not outer_sides:
            tables = [(name, {}) for name, _ in tables]
        optional_next = optional in ("right", "both")
    groups = _group_aliases(tokens)
    qualified = {alias: _without(required, groups) for alias, required in tables if alias}
    bare = _without(tables[0][1], groups) if len(tables) == 1 else {}
    return SourceColumns(bare, qualified)


def _without(columns: dict[str, str], names: frozenset[str]) -> dict[str, str]:
    return {name: kind for name, kind in columns.items() if name not in names}


def _table(after: list[Token], source_columns: Callable[[str], Collection[str]],
           optional: bool, text: str, subquery: Callable[[str], dict[str, str]] | None
           ) -> tuple[str | None, dict[str, str], list[Token]] | None:
    """(alias, required columns, the tokens after it) of the table or subquery `after`
    starts with; none required on a JOIN's `optional` side."""
    if len(after) >= 3 and after[0].kind == "word" and after[1].text == "." \
            and after[2].kind == "name":
        after = after[2:]  # cluster.`//path`
    if len(after) >= 2 and after[0].text == "(" and after[1].text == ")" \
            and after[0].kind == after[1].kind == "symbol":
        if subquery is None:
            return None
        # the tokens between the two are deeper: the subquery's own text
        inner = text[after[0].end:after[1].start]
        required = {} if optional else dict(subquery(inner))
        after = after[2:]
    elif after and after[0].kind == "name" and after[0].text.startswith("//"):
        path, after = after[0].text, after[1:]
        found = source_columns(path)
        required = {} if optional else dict(found) if isinstance(found, Mapping) \
            else dict.fromkeys(found, "")
    else:
        return None
    alias = None
    if after and after[0].kind == "word" and after[0].text.upper() == "AS":
        after = after[1:]
    if after and after[0].kind in ("word", "name") and after[0].text.upper() not in (
            _AFTER_SOURCE | _JOIN_STARTS | {"ON", "USING"}):
        alias, after = after[0].text, after[1:]
    return alias, required, after


def _join_kind(after: list[Token]) -> tuple[int, str] | None:
    """(how many words, the sides it makes Optional) of the JOIN `after` starts with."""
    for words, optional in _JOINS.items():
        if [token.text.upper() for token in after[:len(words)]] == list(words):
            return len(words), optional
    return None


def _group_aliases(tokens: list[tuple[Token, int]]) -> frozenset[str]:
    """The names a GROUP BY gives its expressions (`GROUP BY expression AS name`)."""
    names, grouping = set(), False
    placed = [token for token, depth in tokens if depth == 0]
    for index, token in enumerate(placed):
        word = token.text.upper() if token.kind == "word" else ""
        if word == "GROUP":
            grouping = True
        elif word in ("HAVING", "ORDER", "LIMIT", "WINDOW", "ASSUME", "WITHOUT"):
            grouping = False
        elif grouping and word == "AS" and index + 1 < len(placed):
            names.add(placed[index + 1].text)
    return frozenset(names)


def _top_level(tokens: list[Token]) -> list[tuple[Token, int]]:
    """Each token with its depth in parentheses and square brackets (a list literal's
    commas, `[a, 3]`, part no result columns)."""
    placed, depth = [], 0
    for token in tokens:
        if token.kind == "symbol" and token.text in (")", "]"):
            depth -= 1
        placed.append((token, depth))
        if token.kind == "symbol" and token.text in ("(", "["):
            depth += 1
    return placed


def _result_items(tokens: list[tuple[Token, int]], source: SourceColumns
                  ) -> list[tuple[str, list[Token]]]:
    """(name, expression tokens) of each result column named with AS, read bare (`a`,
    `t.a`: named after its column), or given by `*` (each required column of the source)."""
    items: list[list[Token]] = [[]]
    for token, depth in tokens:
        if depth == 0 and token.kind == "word" and token.text.upper() in _LIST_END:
            break
        if depth == 0 and token.kind == "symbol" and token.text == ",":
            items.append([])
        else:
            items[-1].append(token)
    if items[0] and items[0][0].kind == "word" and items[0][0].text.upper() in (
            "DISTINCT", "ALL", "STREAM"):
        items[0] = items[0][1:]
    named = []
    starred = any(item and item[-1].text == "*" for item in items)
    for index, item in enumerate(items):
        if len(item) >= 3 and item[-2].kind == "word" and item[-2].text.upper() == "AS" \
                and item[-1].kind in ("word", "name"):
            named.append((item[-1].text, item[:-2]))
        elif column_read(item, source) is not None:
            named.append((str(column_read(item, source)), item))
        elif [token.text for token in item] == ["*"]:
            named.extend((column, item) for column in source.bare)
        elif item and not starred and not _bare_word(item):
            # YQL's name for an expression not named (yql_unnamed)
            named.append((f"column{index}", item))
    return named


def _bare_word(item: list[Token]) -> bool:
    """A name alone, or after a dot (a column yql_unnamed leaves unnamed), or an
    expression followed by a name without AS, which names it."""
    if len(item) == 1 and item[0].kind in ("word", "name") and not _NUMBER.match(item[0].text):
        return True
    if len(item) == 3 and item[1].text == ".":
        return True
    return len(item) >= 2 and item[-1].kind in ("word", "name") \
        and not _NUMBER.match(item[-1].text) and item[-2].text not in "+-*/%|&^<>=!?(," \
        and item[-1].text.upper() not in ("END", "NULL", "TRUE", "FALSE", "ASC", "DESC")


def column_read(expression: list[Token], source: SourceColumns) -> str | None:
    """The source column `expression` reads alone (`a`, `alias.a`), if it does."""
    if len(expression) == 3 and expression[1].text == "." and expression[0].kind == "word":
        qualifier, column = expression[0].text, expression[2].text
    elif len(expression) == 1 and expression[0].kind == "word" and "." in expression[0].text:
        qualifier, column = expression[0].text.split(".", 1)  # `alias.a`, one word
    elif len(expression) == 1 and expression[0].kind in ("word", "name"):
        return expression[0].text if expression[0].text in source.bare else None
    else:
        return None
    return column if column in source.qualified.get(qualifier, frozenset()) else None


def _not_optional(expression: list[Token], source: SourceColumns) -> bool:
    if [token.text for token in expression] == ["*"]:
        return True  # the source's required columns (_result_items)
    return (_is_count(expression) or _is_numbering(expression) or _is_literal(expression)
            or _is_pattern_match(expression) or _is_re2_test(expression)
            or _is_aggregate_list(expression) or _is_list_literal(expression)
            or _required_list_length(expression, source)
            or column_read(expression, source) is not None
            or _required_arithmetic(expression, source) or _coalesced(expression, source)
            or _required_if(expression, source) or _required_case(expression, source)
            or _required_cast(expression, source))


def _cast_parts(expression: list[Token]) -> tuple[list[Token], str] | None:
    """(the value, the type's name) of `CAST(value AS Type)`, the whole expression, when
    the type is one word (not `Int64?`, `Decimal(10, 2)`, `List<...>`)."""
    end = call_end(expression)
    if end != len(expression) or expression[0].text.upper() != "CAST":
        return None
    inside = expression[2:end - 1]
    depth, at = 0, None
    for index, token in enumerate(inside):
        if token.kind == "symbol" and token.text in "()":
            depth += 1 if token.text == "(" else -1
        if depth == 0 and token.kind == "word" and token.text.upper() == "AS":
            at = index
    if at is None or at == 0 or len(inside) != at + 2 or inside[-1].kind not in ("word",
                                                                                  "name"):
        return None
    return inside[:at], inside[-1].text


def _required_cast(expression: list[Token], source: SourceColumns) -> bool:
    """CAST(x AS T) of an x not Optional whose type's casts to T never fail (yql_cast_types:
    YQL's SafeCast is T then, T? when it may fail or x is Optional)."""
    parts = _cast_parts(expression)
    if parts is None:
        return False
    value, name = parts
    if not value or not (_operand_required(value, source) or _not_optional(value, source)):
        return False
    value_type, target = data_type(value, source), cast_target(name)
    return value_type is not None and target is not None and never_fails(value_type, target)


def data_type(expression: list[Token], source: SourceColumns,
              required: SourceColumns | None = None) -> str | None:
    """The YQL data type of `expression` (yql_cast_types' names) where the text tells it:
    a literal's, a column read's (of `source`), a count's (Uint64), a CAST's target, an
    IF's, COALESCE's or CASE's common type of its values (yql_united_types), whose
    Optional values are those `required` (the required columns read) does not tell
    required; without it every value but a literal is taken as Optional."""
    if len(expression) >= 2 and expression[0].text == "(" and call_end(
            [Token("word", "", 0, 0), *expression]) == len(expression) + 1:
        return data_type(expression[1:-1], source)
    if _is_pattern_match(expression) or _is_re2_test(expression):
        return "Bool"
    if _required_list_length(expression, source):
        return "Uint64"
    if _is_literal(expression):
        token = expression[-1]
        if token.kind == "string":
            return "String"  # a literal with no suffix (yql/essentials/docs/en/syntax/lexer.md)
        if _string_suffix(expression):
            return _STRING_SUFFIXES[expression[-1].text.lower()]
        if token.text.upper() in ("TRUE", "FALSE"):
            return "Bool"
        return number_literal_type(token.text)
    read = column_read(expression, source)
    if read is not None:
        qualifier = expression[0].text.split(".", 1)[0] if len(expression) == 1 else \
            expression[0].text
        columns = source.qualified.get(qualifier, {}) if len(expression) == 3 or (
            len(expression) == 1 and "." in expression[0].text) else source.bare
        return columns.get(read) or None
    if _is_count(expression) or _is_numbering(expression):
        return "Uint64"
    tree = united_values(expression)
    if tree is not None:
        return united_type(tree, lambda value: _value(value, source, required)).kind
    parts = _cast_parts(expression)
    return cast_target(parts[1]) if parts is not None else None


def united_values(expression: list[Token]) -> Any:
    """`expression` as the Ifs and Coalesces YQL makes of it (yql_united_types' tree):
    IF(c, a[, b]), COALESCE and NVL (folded from the left), `a ?? b ...` of whole operands
    (from the right), CASE ... ELSE ... END (halves of its THEN values, then the ELSE:
    yql_case); None for another expression."""
    end = call_end(expression)
    word = expression[0].text.upper() if expression else ""
    if end == len(expression) and word == "IF":
        found = _arguments(expression, end)
        if len(found) not in (2, 3):
            return None
        otherwise = found[2] if len(found) == 3 else [Token("word", "NULL", 0, 0)]
        return ("if", _node(found[1]), _node(otherwise))
    if end == len(expression) and word in ("COALESCE", "NVL"):
        found = _arguments(expression, end)
        tree = _node(found[0])
        for argument in found[1:]:
            tree = ("coalesce", tree, _node(argument))
        return tree
    parts = _coalesce_parts(expression)
    if parts is not None:
        if not all(_whole(part) for part in parts):
            return None
        tree = _node(parts[-1])
        for part in reversed(parts[:-1]):
            tree = ("coalesce", _node(part), tree)
        return tree
    values = _case_values(expression)
    if values is None:
        return None

    def halves(found: list[list[Token]]) -> Any:
        if len(found) == 1:
            return _node(found[0])
        middle = len(found) // 2
        return ("if", halves(found[:middle]), halves(found[middle:]))

    return ("if", halves(values[:-1]), _node(values[-1])) if len(values) > 1 else None


def _node(value: list[Token]) -> Any:
    """A value of an If or Coalesce: the tree of its own, or its tokens."""
    tree = united_values(value) if value else None
    return tree if tree is not None else value


def _value(value: list[Token], source: SourceColumns, required: SourceColumns | None
           ) -> Value:
    """What YQL's common type of `value` with another depends on (yql_united_types)."""
    if [token.text.upper() for token in value] == ["NULL"]:
        return Value(None, null=True)
    string_literal = (len(value) == 1 and value[0].kind == "string") or (
        _string_suffix(value) and value[1].text.lower() == "s")
    not_optional = _is_literal(value) or (required is not None
                                          and _not_optional(value, required))
    return Value(data_type(value, source, required), string_literal, not_optional)


#: the window functions of a Uint64 that is never NULL
_NUMBERING = frozenset({"ROW_NUMBER", "RANK", "DENSE_RANK", "NTILE"})


def call_end(expression: list[Token]) -> int | None:
    """The index after a call's closing parenthesis when `expression` starts with a call."""
    if len(expression) < 3 or expression[0].kind != "word" or expression[1].text != "(":
        return None
    depth = 0
    for index, token in enumerate(expression[1:], 1):
        if token.kind == "symbol" and token.text in "()":
            depth += 1 if token.text == "(" else -1
            if depth == 0:
                return index + 1
    return None


def over_alone(expression: list[Token], end: int) -> bool:
    """The tokens from `end` on are nothing or one OVER clause (a window's name, or its
    definition in parentheses)."""
    rest = expression[end:]
    if not rest:
        return True
    if rest[0].kind != "word" or rest[0].text.upper() != "OVER" or len(rest) < 2:
        return False
    if rest[1].text == "(":
        return call_end([rest[0], *rest[1:]]) == len(rest)
    return len(rest) == 2


def _is_numbering(expression: list[Token]) -> bool:
    end = call_end(expression)
    return (end is not None and expression[0].text.upper() in _NUMBERING
            and end < len(expression) and over_alone(expression, end))


ARITHMETIC = frozenset({"+", "-", "*"})


def operands(expression: list[Token], operators: frozenset[str]) -> list[list[Token]] | None:
    """`expression` split at its depth-0 binary operators of `operators` (a sign after an
    operator or at the start goes with its operand); None when it has other depth-0
    symbols, or no such operator."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for token in expression:
        if token.kind == "symbol" and token.text in "()":
            depth += 1 if token.text == "(" else -1
        if depth == 0 and token.kind == "symbol" and token.text in operators and parts[-1]:
            parts.append([])
            continue
        if depth == 0 and token.kind == "symbol" and token.text not in "()+-":
            return None
        parts[-1].append(token)
    return parts if len(parts) > 1 and all(parts) else None


def _operand_required(operand: list[Token], source: SourceColumns) -> bool:
    if len(operand) >= 2 and operand[0].kind == "symbol" and operand[0].text in "+-":
        operand = operand[1:]
    if len(operand) >= 2 and operand[0].text == "(" and call_end(
            [Token("word", "", 0, 0), *operand]) == len(operand) + 1:
        return _not_optional(operand[1:-1], source)
    return _is_literal(operand) or column_read(operand, source) is not None \
        or _required_arithmetic(operand, source) or _required_cast(operand, source)


def _required_arithmetic(expression: list[Token], source: SourceColumns) -> bool:
    parts = operands(expression, ARITHMETIC)
    return parts is not None and all(_operand_required(part, source) for part in parts)


def _coalesced(expression: list[Token], source: SourceColumns) -> bool:
    """COALESCE(a, b...), NVL(a, b...) or `a ?? b ...` with an operand not Optional: YQL's
    Coalesce of two is Optional only when both are (CoalesceWrapper in
    yql/essentials/core/type_ann/type_ann_core.cpp, ydb: a left operand not Optional is
    the result, or converted to the common type; an Optional one's item type is), and
    more than two are folded in pairs."""
    end = call_end(expression)
    if end == len(expression) and expression[0].text.upper() in ("COALESCE", "NVL"):
        return any(argument and (_operand_required(argument, source)
                                 or _not_optional(argument, source))
                   for argument in _arguments(expression, end))
    parts = _coalesce_parts(expression)
    if parts is None:
        return False
    if _operand_required(parts[-1], source):
        return True
    # an earlier operand decides only when every operand is whole: `a ?? b = c` is a
    # comparison, whatever `a` is
    return all(_whole(part) for part in parts) and \
        any(_operand_required(part, source) for part in parts)


def _coalesce_parts(expression: list[Token]) -> list[list[Token]] | None:
    """The operands of `a ?? b ...`, the whole expression, split at its depth-0 `??`s;
    None when it has none."""
    parts: list[list[Token]] = [[]]
    index = 0
    while index < len(expression):
        if expression[index].text == "?" and index + 1 < len(expression) \
                and expression[index + 1].text == "?" and _depth_at(expression, index) == 0:
            parts.append([])
            index += 2
            continue
        parts[-1].append(expression[index])
        index += 1
    return parts if len(parts) >= 2 and all(parts) else None


def _whole(operand: list[Token]) -> bool:
    """A column, a literal, a call, a bracketed part, or arithmetic of such (`a + 1`)."""
    if len(operand) == 1 or _is_literal(operand):  # a suffixed literal is two tokens
        return True
    if call_end(operand) == len(operand) or call_end([Token("word", "", 0, 0), *operand]) \
            == len(operand) + 1:
        return True
    return operands(operand, ARITHMETIC) is not None


def _arguments(expression: list[Token], end: int) -> list[list[Token]]:
    """The arguments of the call `expression` starts with (ending at `end`)."""
    found: list[list[Token]] = [[]]
    depth = 0
    for token in expression[2:end - 1]:
        if token.kind == "symbol" and token.text in "()":
            depth += 1 if token.text == "(" else -1
        if depth == 0 and token.kind == "symbol" and token.text == ",":
            found.append([])
        else:
            found[-1].append(token)
    return found


def _required_if(expression: list[Token], source: SourceColumns) -> bool:
    """IF(condition, x, y) with x and y not Optional: YQL makes the condition
    Coalesce(condition, false), so its type does not count, and an IF without y has NULL
    for it (TYqlIf in yql/essentials/sql/v1/builtin.cpp, ydb; `IF(Bool, T, T)->T`,
    `IF(Bool, T)->T?`: yql/essentials/docs/en/builtins/basic.md)."""
    end = call_end(expression)
    if end != len(expression) or expression[0].text.upper() != "IF":
        return False
    found = _arguments(expression, end)
    return len(found) == 3 and all(
        _operand_required(value, source) or _not_optional(value, source)
        for value in found[1:])


def _required_case(expression: list[Token], source: SourceColumns) -> bool:
    """CASE [x] WHEN c THEN v ... ELSE e END with each v and e not Optional. YQL requires
    the ELSE and makes the CASE the builtin If of its branches (CaseRule and
    ReduceCaseBranches in yql/essentials/sql/v1/sql_expression.cpp, ydb), the same If as
    IF(c, v, e) (_required_if): its conditions do not count, its values do."""
    values = _case_values(expression)
    return values is not None and all(
        value and (_operand_required(value, source) or _not_optional(value, source))
        for value in values)


def _case_values(expression: list[Token]) -> list[list[Token]] | None:
    """The THEN values and the ELSE value of `expression` when it is one CASE ... END with
    an ELSE (YQL refuses one without), else None."""
    if len(expression) < 2 or expression[0].kind != "word" or expression[-1].kind != "word" \
            or expression[0].text.upper() != "CASE" or expression[-1].text.upper() != "END":
        return None
    values: list[list[Token]] = []
    collecting, depth, cases = False, 0, 0
    for token in expression[1:-1]:
        word = token.text.upper() if token.kind == "word" else ""
        if token.kind == "symbol" and token.text in "()":
            depth += 1 if token.text == "(" else -1
        if depth == 0 and cases == 0 and word in ("THEN", "ELSE", "WHEN"):
            collecting = word != "WHEN"
            if collecting:
                values.append([])
            continue
        if word == "CASE":
            cases += 1
        elif word == "END":
            cases -= 1
            if cases < 0:
                return None  # the first CASE ended before the last word: not one CASE
        if collecting:
            values[-1].append(token)
    has_else = any(token.kind == "word" and token.text.upper() == "ELSE"
                   for token in expression)
    return values if has_else and values else None


def _depth_at(expression: list[Token], index: int) -> int:
    depth = 0
    for token in expression[:index]:
        if token.kind == "symbol" and token.text in "()":
            depth += 1 if token.text == "(" else -1
    return depth


#: the pattern operators, Re2::Grep and Re2::Match (yql_regexp)
_PATTERN_WORDS = frozenset({"REGEXP", "RLIKE", "MATCH"})
#: what at an expression's own depth makes more of it than one pattern match (or its NOT)
_BEYOND_A_MATCH = frozenset({"AND", "OR", "XOR", "IS", "IN", "BETWEEN", "LIKE", "ILIKE",
                             "GLOB", "ESCAPE", "OVER", "=", "==", "!=", "<>", "<", ">", "<=",
                             ">=", "??"})


def _is_pattern_match(expression: list[Token]) -> bool:
    """`s [NOT] REGEXP p` (RLIKE, MATCH), maybe after NOT, the whole expression: Re2::Grep
    and Re2::Match give a Bool, false for an empty `s` (`Re2::Grep(String) -> (String?) ->
    Bool`, yql/essentials/docs/en/udf/list/re2.md, ydb-platform/ydb), never NULL."""
    depth, words = 0, []
    for token in expression:
        if token.kind == "symbol" and token.text in "()[]":
            depth += 1 if token.text in "([" else -1
        elif depth == 0 and token.kind in ("word", "symbol"):
            words.append(token.text.upper())
    return sum(word in _PATTERN_WORDS for word in words) == 1 and \
        not any(word in _BEYOND_A_MATCH for word in words)


#: YQL's aggregates of a list: `AGGREGATE_LIST(T? [, limit:Uint64])->List<T>`
#: (yt/docs/en/yql/builtins/aggregation.md, ytsaurus/ytsaurus), never NULL (yql_aggregate_list)
_LIST_AGGREGATES = frozenset({"AGGREGATE_LIST", "AGG_LIST", "AGGREGATE_LIST_DISTINCT",
                              "AGG_LIST_DISTINCT"})


def _is_aggregate_list(expression: list[Token]) -> bool:
    """AGGREGATE_LIST( ... ) and its aliases, alone or over a window, or AsList of values
    (`AsList(T..)->List<T>`, yt/docs/en/yql/builtins/basic.md): a List, not Optional, which
    a YQL write gives a `list` type_v3 the master shows as a required `any`."""
    end = call_end(expression)
    if end is None:
        return False
    name = expression[0].text.upper()
    if name == "ASLIST":
        return end == len(expression) and end > 3  # AsList() is of another type
    return name in _LIST_AGGREGATES and over_alone(expression, end)


def _is_list_literal(expression: list[Token]) -> bool:
    """`[a, b, ...]`, the whole expression: AsList in operator notation (basic.md), a List of
    its values, not Optional."""
    if len(expression) < 3 or expression[0].text != "[":
        return False
    depth = 0
    for index, token in enumerate(expression):
        if token.kind == "symbol" and token.text in "[]":
            depth += 1 if token.text == "[" else -1
            if depth == 0:
                return index == len(expression) - 1
    return False


def _is_re2_test(expression: list[Token]) -> bool:
    """`Re2::Grep(p)(s)` or `Re2::Match(p)(s)`, the whole expression, the function in
    parentheses too (as a named expression `$grep = Re2::Grep(p)` is put in): a Bool, false
    for an empty s (`Re2::Grep(String) -> (String?) -> Bool`, yql/essentials/docs/en/udf/
    list/re2.md, ydb-platform/ydb), as the pattern operators written as them are."""
    made = _re2_test_made(expression)
    if made is None and expression[:1] and expression[0].text == "(":
        closed = call_end([Token("word", "", 0, 0), *expression])
        if closed is not None and _re2_test_made(expression[1:closed - 2]) == closed - 3:
            made = closed - 1
    if made is None:
        return False
    called = call_end([Token("word", "", 0, 0), *expression[made:]])
    return called is not None and called == len(expression) - made + 1


def _re2_test_made(expression: list[Token]) -> int | None:
    """The index after `Re2::Grep(p)` or `Re2::Match(p)` that `expression` starts with."""
    head = [token.text.upper() for token in expression[:4]]
    if head[:3] != ["RE2", ":", ":"] or len(head) < 4 or head[3] not in ("GREP", "MATCH"):
        return None
    end = call_end(expression[3:])
    return None if end is None else 3 + end


def _required_list_length(expression: list[Token], source: SourceColumns) -> bool:
    """ListLength(list) of a list not Optional: `ListLength(List<T>)->Uint64`, Uint64? for
    a List<T>? (yql/essentials/docs/ru/builtins/list.md, ydb-platform/ydb)."""
    end = call_end(expression)
    if end != len(expression) or expression[0].text.upper() != "LISTLENGTH":
        return False
    argument = expression[2:end - 1]
    return bool(argument) and _not_optional(argument, source)


def _is_count(expression: list[Token]) -> bool:
    """COUNT( ... ) or COUNT_IF( ... ), with nothing after its closing parenthesis or one
    OVER clause: COUNT_IF is a count too, a Uint64 that is 0 over no rows (yql_semantics.
    _count_if_of_no_rows)."""
    end = call_end(expression)
    return end is not None and expression[0].text.upper() in ("COUNT", "COUNT_IF") \
        and over_alone(expression, end)


#: the suffixes of a string literal that give its type: `'a's` a String, `'a'u` a Utf8
#: (yql/essentials/docs/en/syntax/lexer.md; yql_string_suffix refuses the others)
_STRING_SUFFIXES = {"s": "String", "u": "Utf8"}


def _string_suffix(expression: list[Token]) -> bool:
    """A string literal and its type suffix, written together: `'a'u`."""
    return len(expression) == 2 and expression[0].kind == "string" \
        and expression[1].kind == "word" and expression[0].end == expression[1].start \
        and expression[1].text.lower() in _STRING_SUFFIXES


def _is_literal(expression: list[Token]) -> bool:
    if _string_suffix(expression):
        return True
    if len(expression) == 2 and expression[0].kind == "symbol" and expression[0].text in "+-":
        expression = expression[1:]
    if len(expression) != 1:
        return False
    token = expression[0]
    if token.kind == "string":
        return True
    return token.kind == "word" and (bool(_NUMBER.match(token.text))
                                     or token.text.upper() in ("TRUE", "FALSE"))


def optional_into_required(table_required: frozenset[str],
                           written_required: frozenset[str]) -> frozenset[str]:
    """The required columns of a table a YQL append writes Optional values into: YQL
    refuses the append, as an Optional converts to no type that is not one (the append
    checks of yt/yql/providers/yt/provider/yql_yt_datasink_type_ann.cpp call TryConvertTo,
    yql/essentials/core/yql_expr_type_annotation.cpp, ydb-platform/ydb, which unwraps no
    Optional); a required column written into an optional one converts (T to T?)."""
    return table_required - written_required

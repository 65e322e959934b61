"""YQL's lists on DuckDB: an index counted from 0, and the List... built-ins that DuckDB can
give exactly, in dev mode and the fake query tracker alike (yql_semantics.rewrite calls
`index_from_0` first, and yql_functions takes `REWRITES`).

Sources, in ydb-platform/ydb (the YQL YTsaurus runs):
- an index: ydb/docs/en/core/yql/reference/yql-docs-core-2/syntax/_includes/expressions/
  items-access.md ("List<> and Dict<>, use square brackets ... If no value is found, an
  empty value (NULL) is returned"); YQL counts from 0 (String's canonical List.sql:
  SplitToList("a@b@c", "@")[0] is "a"), DuckDB from 1 and from the end for a negative one,
  where YQL's index is a Uint64 and finds nothing (NULL).
- the functions: yql/essentials/docs/en/builtins/list.md; ListIndexOf is FindIndex in
  yql/essentials/mount/lib/yql/core.yqls (a NULL list is an empty one, an item found by
  `==`, so a NULL item is never found). ListUniqStable keeps each item's first occurrence, in
  the list's order, where ListUniq's order is not defined (the Russian list.md, "ListUniq и
  ListUniqStable"). ListConcat is ListConcatWrapper in yql/essentials/core/type_ann/
  type_ann_list.cpp: a Fold1 of AggrConcat, which skips NULL, so an empty list or one of
  NULLs alone gives NULL; with a separator each later item is AggrConcat(Concat(state,
  separator), item), so a NULL after the first value still adds its separator, and a NULL
  separator is no separator.

What DuckDB does otherwise and is corrected here: list_position and list_contains take two
NULLs for equal (ListIndexOf does not; ListHas does, but gives false, not NULL, for a NULL
list); list_concat skips a NULL list (ListExtend's result is then NULL, list.md: "If at
least one of the lists is optional, then the result is also optional"); list_distinct drops
NULL (ListUniq keeps one); list_sort puts NULL last (YQL's NULL is the least value).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from yt_pipeline.errors import QueryFailed
from yt_pipeline.yql_lambdas import PREFIX
from yt_pipeline.yql_udf_calls import check_arity, closing_bracket, refused_kind

#: the words after which `[` opens a list literal, not an index
_BEFORE_LITERAL = {
    "SELECT", "IN", "AND", "OR", "NOT", "THEN", "ELSE", "WHEN", "RETURN", "BY", "ON", "WHERE",
    "HAVING", "IS", "LIKE", "CASE", "DISTINCT", "ALL", "VALUES", "FROM", "BETWEEN", "ANY",
    "EXISTS", "AS", "ILIKE", "GLOB", "REGEXP", "RLIKE", "MATCH", "XOR",
}
_WORD_BEFORE = re.compile(r"([A-Za-z_]\w*)\s*$")
_MARKER = re.compile(r"\s*\x01\d+\x01\s*")
_INTEGER = re.compile(r"\s*(-?)\s*(\d+)\s*")
#: DuckDB's largest list position, for "up to the end"
_END = "9223372036854775807"


def _is_index(text: str, at: int) -> bool:
    """Whether the `[` at `at` indexes what is before it (not a list literal)."""
    before = text[:at].rstrip()
    if not before:
        return False
    last = before[-1]
    if last in ")]\x01":
        return True
    word = _WORD_BEFORE.search(before)
    return word is not None and word.group(1).upper() not in _BEFORE_LITERAL


def _position(index: str) -> str:
    """DuckDB's position for YQL's index: one more, and none (NULL) for a negative one."""
    literal = _INTEGER.fullmatch(index)
    if literal:
        return "NULL" if literal.group(1) and int(literal.group(2)) else str(
            int(literal.group(2)) + 1)
    return f"(CASE WHEN ({index}) >= 0 THEN ({index}) + 1 END)"


def index_from_0(text: str) -> str:
    """`text` with each index into a list, `list[i]`, counted from 0 as YQL counts it. A key
    that is a string (`struct["name"]`, a marker here) and a slice are left as they are."""
    out, at = [], 0
    for opening in [m.start() for m in re.finditer(r"\[", text)]:
        if opening < at or not _is_index(text, opening):
            continue
        closing = closing_bracket(text, opening)
        index = text[opening + 1:closing]
        if not index.strip() or _MARKER.fullmatch(index) or re.search(r"(?<!:):(?!:)", index):
            continue
        out.append(text[at:opening + 1] + _position(index_from_0(index)) + "]")
        at = closing + 1
    return "".join(out) + text[at:]


# -- the functions ---------------------------------------------------------------------------

Rewrite = Callable[[list[str], str, str], str]


def _fixed(template: str, least: int, most: int | None = None) -> Rewrite:
    """A rewrite filling `template`'s {0}, {1}... with the arguments."""
    def rewrite(args: list[str], name: str, where: str) -> str:
        check_arity(name, args, least, least if most is None else most)
        out = template
        for index, arg in enumerate(args):
            out = out.replace(f"{{{index}}}", f"({arg.strip()})")
        return out
    return rewrite


def _no_key(direction: str, nulls: str) -> Rewrite:
    def rewrite(args: list[str], name: str, where: str) -> str:
        if len(args) == 2:
            raise QueryFailed(f"YQL: {name} with a key function (its second argument) is "
                              f"not supported in {where}; sort the list by its items")
        check_arity(name, args, 1, 1)
        return f"list_sort({args[0].strip()}, '{direction}', '{nulls}')"
    return rewrite


def _extend(args: list[str], name: str, where: str) -> str:
    check_arity(name, args, 1, 1000)
    lists = [f"({arg.strip()})" for arg in args]
    joined = lists[0]
    for more in lists[1:]:
        joined = f"list_concat({joined}, {more})"
    absent = " OR ".join(f"{one} IS NULL" for one in lists)
    return f"(CASE WHEN {absent} THEN NULL ELSE {joined} END)"


def _uniq(args: list[str], name: str, where: str) -> str:
    # YQL's order is a hash set's (DictKeys of ToSet), which no other engine follows: the
    # items are given sorted, NULL first, once
    check_arity(name, args, 1, 1)
    items = f"({args[0].strip()})"
    distinct = f"list_sort(list_distinct({items}), 'ASC', 'NULLS FIRST')"
    return (f"(CASE WHEN list_count({items}) < array_length({items}) "
            f"THEN list_prepend(NULL, {distinct}) ELSE {distinct} END)")


def _uniq_stable(args: list[str], name: str, where: str) -> str:
    # an item is kept where it first occurs; list_position finds NULL as any item
    check_arity(name, args, 1, 1)
    items = f"({args[0].strip()})"
    return f"list_filter({items}, lambda item, place: list_position({items}, item) = place)"


#: the key ListConcat of a list of other items than strings looks for, and fails on
#: (list_concat_failure): YQL's AggrConcat joins strings only, DuckDB's would write numbers
_CONCAT_KEY = "yql_list_concat_of:"


def list_concat_failure(message: str) -> str | None:
    """YQL's meaning of DuckDB's refusal of a ListConcat of other items, or None."""
    kind = refused_kind(message, _CONCAT_KEY)
    if kind is None:
        return None
    return (f"YQL: ListConcat joins a list of strings only, not a list of DuckDB type {kind}: "
            "convert the items with ListMap(list, ($x) -> (CAST($x AS String)))")


def _concat(args: list[str], name: str, where: str) -> str:
    check_arity(name, args, 1, 2)
    items = (f"struct_extract({{'t': ({args[0].strip()})}}, CASE WHEN "
             f"typeof({args[0].strip()}) IN ('VARCHAR[]', '\"NULL\"[]', '\"NULL\"') "
             f"THEN 't' ELSE '{_CONCAT_KEY}' || typeof({args[0].strip()}) END)")
    plain = (f"(CASE WHEN list_count({items}) > 0 THEN "
             f"array_to_string(list_filter({items}, lambda item: item IS NOT NULL), '') END)")
    if len(args) == 1:
        return plain
    separator = f"({args[1].strip()})"
    # from the first value on, a NULL item is an empty string between two separators
    first = f"list_position(list_transform({items}, lambda item: item IS NOT NULL), true)"
    rest = (f"list_transform(list_slice({items}, {first}, {_END}), "
            "lambda item: COALESCE(item, ''))")
    return (f"(CASE WHEN {separator} IS NULL THEN {plain} WHEN list_count({items}) > 0 "
            f"THEN array_to_string({rest}, {separator}) END)")


def _applied(duckdb_name: str) -> Rewrite:
    """ListMap and ListFilter of a lambda written in the call (yql_lambdas made it DuckDB's);
    a UDF or a callable named first is refused. ListFilter keeps an item whose predicate is
    true, not false nor NULL, as DuckDB's list_filter."""
    def rewrite(args: list[str], name: str, where: str) -> str:
        check_arity(name, args, 2, 2)
        if not args[1].strip().startswith("lambda " + PREFIX):
            raise QueryFailed(f"YQL: {name} is supported in {where} with a lambda written "
                              f"in the call only, like {name}(list, ($x) -> {{ RETURN $x > "
                              "1; })")
        return f"{duckdb_name}({args[0].strip()}, {args[1].strip()})"
    return rewrite


#: YQL's List... built-ins, by their name in lower case
REWRITES: dict[str, Rewrite] = {
    "aslist": lambda args, name, where: (
        f"list_value({', '.join(arg.strip() for arg in args)})"),
    "listlength": _fixed("CAST(array_length({0}) AS UBIGINT)", 1),
    "listhasitems": _fixed("(array_length({0}) > 0)", 1),
    "listhas": _fixed("COALESCE(list_position({0}, {1}) IS NOT NULL, false)", 2),
    "listhead": _fixed("list_extract({0}, 1)", 1),
    "listlast": _fixed("list_extract({0}, -1)", 1),
    "listsort": _no_key("ASC", "NULLS FIRST"),
    "listsortasc": _no_key("ASC", "NULLS FIRST"),
    "listsortdesc": _no_key("DESC", "NULLS LAST"),
    "listreverse": _fixed("list_reverse({0})", 1),
    "listskip": _fixed(f"list_slice({{0}}, {{1}} + 1, {_END})", 2),
    "listtake": _fixed("list_slice({0}, 1, {1})", 2),
    "listindexof": _fixed("CASE WHEN {1} IS NOT NULL THEN "
                          "CAST(list_position({0}, {1}) - 1 AS UBIGINT) END", 2),
    "listextend": _extend,
    "listuniq": _uniq,
    "listuniqstable": _uniq_stable,
    "listconcat": _concat,
    "listsum": _fixed("list_sum({0})", 1),
    "listmin": _fixed("list_min({0})", 1),
    "listmax": _fixed("list_max({0})", 1),
    "listavg": _fixed("list_avg({0})", 1),
    "listflatten": _fixed("flatten({0})", 1),
    "listcollect": _fixed("({0})", 1),
    "listmap": _applied("list_transform"),
    "listfilter": _applied("list_filter"),
    "listnotnull": _fixed("list_filter({0}, lambda item: item IS NOT NULL)", 1),
}

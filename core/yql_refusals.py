"""YQL forms DuckDB cannot run as YQL means them, refused by name, the same way in dev mode
and in the fake YT proxy's query tracker, so that a query refused in one is refused in the
other with the same line (only `where`, the one refusing, differs).

`check_statement` reads a statement's code with each string as a marker \\x01N\\x01 and each
backticked name or path as \\x00N\\x00, so that nothing inside them is taken for a form.
"""

from __future__ import annotations

import re

from yt_pipeline.errors import QueryFailed
from yt_pipeline.yql_duckdb_syntax import refuse_duckdb_syntax
from yt_pipeline.yql_functions import NOT_YQL, REFUSED_AS_WRITTEN, refused, unknown_builtin
from yt_pipeline.yql_offset import refuse_offset_without_limit
from yt_pipeline.yql_type_names import refuse_unknown_cast_types

#: YQL statements DuckDB cannot run the same way, by their first word
UNSUPPORTED_STATEMENTS = {
    "PROCESS": "PROCESS (a stream of a table through a UDF)",
    "REDUCE": "REDUCE (a YQL reduce through a UDF)",
    "DEFINE": "DEFINE ACTION/SUBQUERY",
    "EVALUATE": "EVALUATE",
    "DO": "DO (calling an action)",
    "DISCARD": "DISCARD",
    "UPSERT": "UPSERT",
    "REPLACE": "REPLACE INTO",
    "DECLARE": "DECLARE (query parameters)",
    "IMPORT": "IMPORT",
    "EXPORT": "EXPORT",
}
#: YQL clauses with no DuckDB twin, wherever they appear
_UNSUPPORTED_WORDS = {"FLATTEN": "FLATTEN BY", "ASSUME": "ASSUME ORDER BY"}
#: YQL forms DuckDB reads otherwise, or not at all: each is named in the error
_UNSUPPORTED_FORMS = [
    (re.compile(r"\b(RANGE|FILTER|LIKE|REGEXP|CONCAT|EACH|FOLDER|WALKFOLDERS)\s*\(\s*\x00",
                re.I),
     "the table function {0}(...)", "; name each table, joined with UNION ALL"),
    # LEFT SEMI and LEFT ONLY run (yql_one_sided_joins)
    (re.compile(r"\b(RIGHT\s+(?:ONLY|SEMI)|EXCLUSION)\s+JOIN\b", re.I), "{0} JOIN", ""),
    (re.compile(r"\b(AS_TABLE)\s*\(", re.I), "{0}", ""),
    (re.compile(r"\b(SAMPLE|TABLESAMPLE)\s+[0-9.(]", re.I), "{0}", ""),
]
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: a call of a built-in: a name, not a UDF's (`::`), a member or a $name, then `(`
_CALL = re.compile(r"(?<![\w.:$])([A-Za-z_]\w*)\s*\(")
_MARKERS = re.compile(r"([\x00\x01])\d+\1")


def first_word(text: str) -> str:
    """The statement's first word in capitals (or its first character)."""
    match = _WORD.match(text.lstrip())
    return match.group(0).upper() if match else text.lstrip()[:1]


def refuse_statement(word: str, where: str) -> None:
    """Refuse a statement DuckDB cannot run as YQL does, by its first word."""
    if word in UNSUPPORTED_STATEMENTS:
        raise QueryFailed(f"YQL: {UNSUPPORTED_STATEMENTS[word]} is not supported in {where}")


def check_statement(code: str, where: str) -> None:
    """Refuse the statement if it holds a form neither dev nor the fake can run faithfully."""
    refuse_statement(first_word(code), where)
    bare = _MARKERS.sub(" ", code)  # a marker's digits are no words
    if "$" in bare:
        raise QueryFailed(f"YQL: parameters and $names that are not named expressions are not "
                          f"supported in {where}; define it as $name = ...; before its use")
    if "::" in bare:  # a UDF call (Module::Function): its modules are imported only then
        from yt_pipeline.yql_udfs import refuse_unknown

        refuse_unknown(bare, where)
    for word in _WORD.findall(bare):
        what = _UNSUPPORTED_WORDS.get(word.upper())
        if what:
            raise QueryFailed(f"YQL: {what} is not supported in {where}")
    if _case_without_else(bare):
        # YQL's own error (CaseRule in yql/essentials/sql/v1/sql_expression.cpp, ydb), where
        # DuckDB would give NULL
        raise QueryFailed("YQL: ELSE is required (a CASE without ELSE, which YQL refuses: "
                          "write ELSE NULL for no value)")
    refuse_offset_without_limit(code)
    refuse_duckdb_syntax(code)
    refuse_unknown_cast_types(bare)
    for pattern, what, hint in _UNSUPPORTED_FORMS:
        found = pattern.search(code)
        if found:
            name = " ".join(found.group(1).upper().split())
            raise QueryFailed(f"YQL: {what.format(name)} is not supported in {where}{hint}")
    # after the table functions: CONCAT(`//a`, `//b`) is one, CONCAT("a", "b") no built-in
    _refuse_calls(bare, where)


def _refuse_calls(bare: str, where: str) -> None:
    """Refuse a call of a function YQL has not (yql_functions.NOT_YQL) or dev refuses under
    another name, in the query's own text, before dev's rewrites write DuckDB's calls."""
    for call in _CALL.finditer(bare):
        if call.group(1).lower() in NOT_YQL:
            raise unknown_builtin(call.group(1))
        if call.group(1).lower() in REFUSED_AS_WRITTEN:
            raise refused(call.group(1), where)


def _case_without_else(code: str) -> bool:
    """Whether a CASE of `code` (its words outside strings and names) ends without ELSE."""
    has_else: list[bool] = []  # for each CASE open around the word read
    for word in _WORD.findall(code):
        upper = word.upper()
        if upper == "CASE":
            has_else.append(False)
        elif upper == "ELSE" and has_else:
            has_else[-1] = True
        elif upper == "END" and has_else and not has_else.pop():
            return True
    return False

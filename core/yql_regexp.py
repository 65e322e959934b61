"""YQL's pattern operators `s REGEXP p`, `s RLIKE p` and `s MATCH p`, which DuckDB's SQL
does not have (its parser failed on them, in words that did not name the operator).

"REGEXP and RLIKE are aliases used to call Re2::Grep. MATCH: Same for Re2::Match"
(yql/essentials/docs/en/syntax/expressions.md, "Matching a string by pattern", ydb-platform/
ydb): each is written here as that call, `Re2::Grep(p)(s)`, which yql_udfs then gives its
meaning (found anywhere, or the whole string; false for NULL, as YQL's Grep and Match are).
`s NOT REGEXP p` is the call's negation. The left side is read back to a boundary word, a
comma or a bracket as an IN's is (yql_in.left_operand_start); the right side is one
operand: a string, a name, or a bracketed expression.
"""

from __future__ import annotations

import re

from yt_pipeline.errors import QueryFailed
from yt_pipeline.yql_in import left_operand_start
from yt_pipeline.yql_mixed_types import yql_name
from yt_pipeline.yql_udf_calls import closing_bracket

#: not after `::` nor `$`: the Re2::Match written for one, a `$match`, is no operator
_OPERATOR = re.compile(r"(?<![:$])\b(REGEXP|RLIKE|MATCH)\b", re.I)
#: what stands before a word that is a name: AS, a dot, a clause's or a list's start
_NAME_BEFORE = re.compile(r"(?:\bAS|\bSELECT|\bBY|[.,(])\s*$", re.I)
#: what follows a word that is a name: a list's or a clause's end
_NAME_AFTER = re.compile(r"\s*(?:$|[,);]|(?:FROM|WHERE|GROUP|ORDER|AS|HAVING|LIMIT|UNION|"
                         r"AND|OR)\b)", re.I)
_CALLED = {"REGEXP": "Grep", "RLIKE": "Grep", "MATCH": "Match"}
#: the right side when it is no bracket: a string or name marker, or a (dotted) name
_PLAIN_RIGHT = re.compile(r"\s*(\x01\d+\x01|\$?[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")
#: DuckDB's refusal of the call yql_udfs writes Re2::Grep (regexp_matches) or Re2::Match
#: (regexp_full_match) as, given a value that is no string
_REFUSED = re.compile(r"""(?:No function matches the given name and argument types '|Could """
                      r"""not choose a best candidate function for the function call ")"""
                      r"""regexp_(matches|full_match)\((.+?), (.+?)\)['"]""")
#: how a query writes the test each DuckDB function stands for
_WRITTEN = {"matches": re.compile(r"(?<![:$])\b(REGEXP|RLIKE)\b|Re2::Grep\b", re.I),
            "full_match": re.compile(r"(?<![:$])\b(MATCH)\b|Re2::Match\b", re.I)}
_UDF_NAMES = {"RE2::GREP": "Re2::Grep", "RE2::MATCH": "Re2::Match"}
#: the types of a string: a value DuckDB types so is no integer, bool or other
_TEXT_TYPES = frozenset({"VARCHAR", "STRING_LITERAL"})
#: YQL's type of a literal DuckDB types by its kind alone (a 5 is an Int32, a 0.5 a Double:
#: yql/essentials/docs/en/syntax/lexer.md)
_LITERAL_TYPES = {"INTEGER_LITERAL": "Int32", "DECIMAL_LITERAL": "Double"}


def _is_name(text: str, found: re.Match[str]) -> bool:
    """Whether the word `found` is a name (`AS match`, `t.match`, `SELECT match,`): YQL
    takes these words for names where no operand stands on both sides."""
    return bool(_NAME_BEFORE.search(text, 0, found.start())
                or _NAME_AFTER.match(text, found.end()))


def rewrite_pattern_operators(text: str) -> str:
    """`text` with each pattern operator written as the Re2 call it stands for."""
    while True:
        found = None
        for each in _OPERATOR.finditer(text):
            if not _is_name(text, each):
                found = each  # the last one: one in another's right side goes first
        if found is None:
            return text
        operator = found.group(1).upper()
        left_end = len(text[:found.start()].rstrip())
        negated = re.search(r"\bNOT\s*$", text[:left_end], re.I)
        if negated:
            left_end = len(text[:negated.start()].rstrip())
        start = left_operand_start(text, left_end)
        right_at = len(text) - len(text[found.end():].lstrip())
        if text[right_at:right_at + 1] == "(":
            right_end = closing_bracket(text, right_at) + 1
        else:
            plain = _PLAIN_RIGHT.match(text, found.end())
            right_end = plain.end() if plain else -1
        if start < 0 or right_end < 0:
            raise QueryFailed(f"YQL: a side of this {operator} is not understood in dev mode; "
                              f"put it in parentheses: (a || b) {operator} (...)")
        left, right = text[start:left_end].strip(), text[right_at:right_end].strip()
        call = f"{'NOT ' if negated else ''}Re2::{_CALLED[operator]}({right})({left})"
        text = f"{text[:start]} {call} {text[right_end:]}"


def pattern_failure(message: str, query: str) -> str | None:
    """YQL's kind of refusal of a pattern test of a value that is no string, naming the
    operator as the query writes it, or None: Re2::Grep and Re2::Match take a String
    (`(String?) -> Bool`), which YQL checks when it types the query, as it refuses any
    argument of another type (yql/essentials/docs/en/udf/list/re2.md, ydb-platform/ydb)."""
    found = _REFUSED.search(message)
    if not found:
        return None
    written = {(m.group(1) or m.group(0)).upper() for m in
               _WRITTEN[found.group(1)].finditer(query)}
    operator = " or ".join(sorted(_UDF_NAMES.get(word, word) for word in written)) or (
        "Re2::Grep" if found.group(1) == "matches" else "Re2::Match")
    given = [_LITERAL_TYPES.get(kind) or yql_name(kind)
             for kind in (found.group(2), found.group(3)) if kind not in _TEXT_TYPES]
    shown = " and ".join(given) or "a value of another type"
    return (f"YQL: {operator} takes a String or Utf8 value and pattern, and is given "
            f"{shown}: cast it, CAST(... AS String)")

"""YQL's C++ UDFs (`Module::Function(...)`) that DuckDB can give exactly, in dev mode and the
fake query tracker alike (yql_semantics.rewrite calls `rewrite_udfs`); any other UDF is
refused by name (`refuse_unknown`), the same way in both. The modules' functions are in
yql_udf_text (String, Unicode), yql_udf_math, yql_udf_more (Url, Digest, more of String)
and yql_udf_datetime; Re2's are here, with the handling of a function that a call makes
(Capture and FindAndConsume, which read their pattern, in yql_udf_re2).

Re2 (yql/essentials/docs/en/udf/list/re2.md and yql/essentials/udfs/common/re2/
re2_udf.cpp in ydb-platform/ydb): Grep (found anywhere) and Match (the whole string) give
false for NULL, Count 0, Replace NULL; the replacement's \\1 is the first group, as
DuckDB's (RE2's own) rewrite. Re2 reads an ASCII pattern byte by byte (Latin-1) in YQL and
as UTF-8 here: a `.` or a class meeting a non-ASCII character matches one byte there and
the whole character here (docs/yql-in-dev.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from yt_pipeline import yql_udf_more, yql_udf_re2, yql_udf_text
from yt_pipeline.errors import QueryFailed
from yt_pipeline.yql_udf_calls import (
    Call,
    Functions,
    Rewrite,
    applied_call,
    next_at,
    simple,
    split_arguments,
)
from yt_pipeline.yql_udf_datetime import DATETIME, DATETIME_CURRIED, curried_call
from yt_pipeline.yql_udf_math import MATH
from yt_pipeline.yql_yson import YSON

#: a UDF's name; not after a word, `.` or `$` (a named expression's use is put in before),
#: nor inside a string or a name (their markers)
_UDF = re.compile(r"(?<![\w.$\x00\x01])([A-Za-z_]\w*)::([A-Za-z_]\w*)")

# -- Re2: a pattern first, then the string ---------------------------------------------------

_RE2: dict[str, tuple[Rewrite, int, int]] = {
    # (pattern, string[, replacement]) -> SQL; the pattern's call takes it alone
    "Grep": (simple("COALESCE(regexp_matches({1}, {0}), false)"), 1, 1),
    "Match": (simple("COALESCE(regexp_full_match({1}, {0}), false)"), 1, 1),
    "Replace": (simple("regexp_replace({1}, {0}, {2}, 'g')"), 1, 2),
    # GlobalReplace's count of replacements (re2_udf.cpp): replacing each match with one
    # byte, then with none, the lengths differ by it; DuckDB's 'g' is GlobalReplace too,
    # which takes no empty match where the last one ended (regexp_extract_all does)
    "Count": (simple("CAST(COALESCE(strlen(regexp_replace({1}, {0}, '-', 'g')) - "
                      "strlen(regexp_replace({1}, {0}, '', 'g')), 0) AS UINTEGER)"), 1, 1),
}

#: those whose pattern must be a literal, to be read here (yql_udf_re2)
_RE2_READ = {"Capture": yql_udf_re2.capture, "FindAndConsume": yql_udf_re2.find_and_consume}

_MODULES: dict[str, Functions] = {
    "String": {**yql_udf_text.STRING, **yql_udf_more.STRING},
    "Unicode": yql_udf_text.UNICODE, "Math": MATH,
    "Url": yql_udf_more.URL, "Digest": yql_udf_more.DIGEST,
    "DateTime": DATETIME,  # yql_udf_datetime
    "Yson": YSON,  # yql_yson
}
#: the functions made of their arguments, called on a value next, like Re2's
_CURRIED = {"DateTime": DATETIME_CURRIED}


def supported(module: str, function: str) -> bool:
    return (function in _MODULES.get(module, {})
            or (module == "Re2" and (function in _RE2 or function in _RE2_READ))
            or function in _CURRIED.get(module, {}))


def refuse_unknown(code: str, where: str) -> None:
    """Refuse a statement's UDF call that is not one of those above, by its name."""
    for found in _UDF.finditer(code):
        if not supported(found.group(1), found.group(2)):
            raise QueryFailed(f"YQL: the UDF {found.group(1)}::{found.group(2)} is not "
                              f"supported in {where} (UDF calls, Module::Function); the "
                              "ones it runs are listed in docs/yql-in-dev.md")
    if "::" in _UDF.sub("", code):
        raise QueryFailed(f"YQL: UDF calls (Module::Function) are not supported in {where}")


def rewrite_udfs(text: str, closing: Callable[[str, int], int],
                 literals: Sequence[str] = ()) -> str:
    """`text` with each supported UDF call as the DuckDB expression giving its result, the
    last first (a call inside another's arguments is rewritten before it). `literals` are
    the SQL of the strings and names its markers \x01N\x01 stand for."""
    for found in reversed(list(_UDF.finditer(text))):
        module, function = found.group(1), found.group(2)
        opening = next_at(text, found.end())
        if opening is None or text[opening] != "(":
            raise QueryFailed(f"YQL: {module}::{function} must be called: "
                              f"{module}::{function}(...)")
        end = closing(text, opening)
        args = Call(f"{module}::{function}", split_arguments(text[opening + 1:end]))
        if module == "Re2":
            start, sql, stop = _re2_call(text, found.start(), end, function, args, closing,
                                         literals)
            text = text[:start] + sql + text[stop:]
            continue
        if function in _CURRIED.get(module, {}):
            start, sql, stop = curried_call(text, found.start(), end, function, args, closing)
            text = text[:start] + sql + text[stop:]
            continue
        rewrite, least, most, names = _MODULES[module][function]
        sql = rewrite(args.take(least, most, names), args.named)
        text = text[:found.start()] + f"({sql})" + text[end + 1:]
    return text


def _re2_call(text: str, start: int, end: int, function: str, factory: Call,
              closing: Callable[[str, int], int],
              literals: Sequence[str]) -> tuple[int, str, int]:
    """Re2's functions make a function of the pattern, called on the string next:
    `Re2::Grep(p)(s)`, or `(Re2::Grep(p))(s)` once a named expression `$grep` is put in."""
    name = f"Re2::{function}"
    if len(factory.args) > 1 or factory.named:
        raise QueryFailed(f"YQL: {name} with options (Re2::Options) is not supported in dev "
                          "mode; write them as flags in the pattern, like (?i)")
    pattern = factory.take(1, 1)[0]
    if function in _RE2_READ:
        read = yql_udf_re2.literal_text(pattern, literals, name)
        start, call, stop = applied_call(text, start, end, closing, name, "pattern", "a string")
        return start, f"({_RE2_READ[function](pattern, read, call.take(1, 1)[0])})", stop
    rewrite, _, most = _RE2[function]
    start, call, stop = applied_call(text, start, end, closing, name, "pattern", "a string")
    values = call.take(1, most)
    return start, f"({rewrite([pattern, *values], {})})", stop



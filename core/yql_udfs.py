"""YQL's C++ UDFs (`Module::Function(...)`) that DuckDB can give exactly, in dev mode and the
fake query tracker alike (yql_semantics.rewrite calls `rewrite_udfs`); any other UDF is
refused by name (`refuse_unknown`), the same way in both. DateTime's are in yql_udf_datetime.

What each gives, and for which inputs, is YQL's own: the module's page (yql/essentials/docs/
en/udf/list/{string,unicode,math,re2}.md in ydb-platform/ydb) and its source
(yql/essentials/udfs/common/{string/string_udf.cpp,re2/re2_udf.cpp}), in particular:

- String's Contains, HasPrefix/StartsWith, HasSuffix/EndsWith take an optional string and
  give false (not NULL) for an empty one (TContains, STROKA_FIND_UDF); the others give NULL
  for NULL (`{Flags:AutoMap}`).
- String's Find, ReverseFind and Substring count bytes from 0; Find gives -1 when not found.
- SplitToList of NULL is an empty list; `Limit` keeps the first Limit parts and the rest of
  the string as one more; `DelimeterString: false` splits at any of the characters given;
  JoinFromList leaves out the list's empty (NULL) items.
- Re2's Grep (found anywhere) and Match (the whole string) give false for NULL, Count 0,
  Replace NULL; the replacement's \\1 is the first group, as DuckDB's (RE2's own) rewrite.
- Math's functions are libm's on Doubles (math_ir.h in yql/essentials/udfs/common/math):
  sqrt(-1) is NaN; Log, Log2 and Log10 give NaN for any value <= 0, 0 too; Asinh is asin,
  as math_ir.h has it. Round's second argument is the power of ten rounded to (-2:
  hundredths), and a half rounds up (-2.5 to -2), RoundToDecimal in lib/round.h. Mod and
  Rem take Int64s and give NULL for a zero divisor, Mod with the divisor's sign, Rem with
  the dividend's.

A YQL String is bytes, DuckDB's VARCHAR text: String functions that count bytes count them
here too (positions of Find, Substring), but those that see characters one by one
(AsciiToLower, RemoveAll) treat a multi-byte character as one. Re2 reads an ASCII pattern
byte by byte (Latin-1) in YQL and as UTF-8 here: a `.` or a class meeting a non-ASCII
character matches one byte there and the whole character here (docs/yql-in-dev.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from yt_pipeline.errors import QueryFailed
from yt_pipeline.yql_udf_datetime import DATETIME, DATETIME_CURRIED, curried_call
from yt_pipeline.yql_udf_more import DIGEST, STRING, URL

#: a UDF's name; not after a word, `.` or `$` (a named expression's use is put in before),
#: nor inside a string or a name (their markers)
_UDF = re.compile(r"(?<![\w.$\x00\x01])([A-Za-z_]\w*)::([A-Za-z_]\w*)")
_NAMED = re.compile(r"^(.*\S)\s+AS\s+([A-Za-z_]\w*)\s*$", re.S | re.I)
#: the characters util's Strip removes (IsAsciiSpace)
_ASCII_SPACES = "chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)"
_UPPER = "'ABCDEFGHIJKLMNOPQRSTUVWXYZ'"
_LOWER = "'abcdefghijklmnopqrstuvwxyz'"

Rewrite = Callable[[list[str], dict[str, str]], str]


class _Call:
    """One call's arguments: the positional ones, and those given `value AS Name`."""

    def __init__(self, name: str, texts: list[str]):
        self.name = name
        self.args: list[str] = []
        self.named: dict[str, str] = {}
        for text in texts:
            found = _NAMED.match(text)
            if found:
                self.named[found.group(2)] = found.group(1).strip()
            elif text.strip() or texts != [text]:
                self.args.append(text.strip())

    def take(self, least: int, most: int, names: tuple[str, ...] = ()) -> list[str]:
        unknown = sorted(set(self.named) - set(names))
        if unknown:
            raise QueryFailed(f"YQL: {self.name} has no argument named {unknown[0]}"
                              + (f" (it takes {', '.join(names)})" if names else ""))
        if not least <= len(self.args) <= most:
            takes = str(least) if least == most else f"{least} to {most}"
            raise QueryFailed(f"YQL: {self.name} takes {takes} argument(s), got "
                              f"{len(self.args)}")
        return self.args + [""] * (most - len(self.args))


def _double(value: str) -> str:
    return f"CAST({value} AS DOUBLE)"


# -- String ------------------------------------------------------------------------------

def _found(function: str) -> Rewrite:
    def rewrite(args: list[str], _: dict[str, str]) -> str:
        return f"COALESCE({function}({args[0]}, {args[1]}), false)"
    return rewrite


def _byte_find(args: list[str], _: dict[str, str]) -> str:
    text, needle, start = args
    if start:  # from a byte offset: the bytes before it are left out, and counted back
        rest = f"decode(encode({text})[CAST({start} AS BIGINT) + 1:])"
        found = _byte_find([rest, needle, ""], {})
        return (f"CASE WHEN CAST({start} AS BIGINT) > strlen({text}) THEN -1 "
                f"WHEN {found} < 0 THEN -1 ELSE {found} + CAST({start} AS BIGINT) END")
    at = f"instr({text}, {needle})"
    return f"CASE WHEN {at} = 0 THEN CAST(-1 AS BIGINT) ELSE strlen(left({text}, {at} - 1)) END"


def _byte_rfind(args: list[str], _: dict[str, str]) -> str:
    text, needle = args[:2]
    before = _before_last(text, needle)
    return f"CASE WHEN {before} IS NULL THEN CAST(-1 AS BIGINT) ELSE strlen({before}) END"


def _before_last(text: str, needle: str) -> str:
    """The text before the last occurrence of `needle` (overlapping ones too, as rfind),
    NULL when there is none; the greedy (.*) ends where the last one starts."""
    return (f"CASE WHEN {needle} = '' THEN {text} WHEN instr({text}, {needle}) = 0 THEN NULL "
            f"ELSE regexp_extract({text}, '(?s)^(.*)' || regexp_escape({needle}), 1) END")


def _byte_substring(args: list[str], _: dict[str, str]) -> str:
    text, start, count = args
    start = f"CAST(COALESCE({start or 'NULL'}, 0) AS BIGINT)"
    rest = f"decode(encode({text})[{start} + 1:])"  # to the end: no count, or a NULL one
    if not count:
        return rest
    return (f"CASE WHEN {count} IS NULL THEN {rest} ELSE decode(encode({text})"
            f"[{start} + 1:{start} + CAST({count} AS BIGINT)]) END")


def _replace_first(args: list[str], _: dict[str, str]) -> str:
    text, what, replacement = args
    at = f"instr({text}, {what})"
    return (f"CASE WHEN {at} = 0 THEN {text} ELSE left({text}, {at} - 1) || {replacement} "
            f"|| substr({text}, {at} + length({what})) END")


def _replace_last(args: list[str], _: dict[str, str]) -> str:
    text, what, replacement = args
    before = _before_last(text, what)
    return (f"CASE WHEN {before} IS NULL THEN {text} ELSE {before} || {replacement} || "
            f"substr({text}, length({before}) + length({what}) + 1) END")


def _split(args: list[str], named: dict[str, str]) -> str:
    text, delimiter = args[0], args[1]
    by_string = named.get("DelimeterString", "true")
    skip_empty = named.get("SkipEmpty")
    limit = named.get("Limit")
    parts = (f"(CASE WHEN COALESCE({by_string}, true) THEN string_split({text}, {delimiter}) "
             f"ELSE string_split_regex({text}, CASE WHEN {delimiter} = '' THEN '\\b\\B' "
             f"ELSE '[' || regexp_escape({delimiter}) || ']' END) END)")  # \b\B: no match
    if limit is not None:
        if skip_empty is not None or "DelimeterString" in named:
            raise QueryFailed("YQL: SplitToList with Limit and SkipEmpty or DelimeterString "
                              "is not supported in dev mode; split without Limit")
        # the first Limit parts, then the rest of the string, its delimiters kept
        count = f"CAST({limit} AS BIGINT)"
        parts = (f"(CASE WHEN COALESCE({count}, 0) = 0 OR COALESCE(len({parts}), 0) <= {count} THEN "
                 f"{parts} ELSE list_concat(list_slice({parts}, 1, {count}), "
                 f"[array_to_string(list_slice({parts}, {count} + 1, len({parts})), "
                 f"{delimiter})]) END)")
    if skip_empty is not None:
        parts = (f"(CASE WHEN COALESCE({skip_empty}, false) THEN "
                 f"[part FOR part IN {parts} IF part <> ''] ELSE {parts} END)")
    # an empty (NULL) string splits into no parts at all
    return f"COALESCE({parts}, CAST([] AS VARCHAR[]))"


def _pad(left: bool) -> Rewrite:
    def rewrite(args: list[str], _: dict[str, str]) -> str:
        text, width, fill = (args + [""])[:3]
        fill = fill or "' '"
        # util's LeftPad/RightPad of a TStringBuf widen a text to `width` bytes, never cut
        # it; the filler is one byte (STRING_STREAM_PAD_FORMATTER_UDF)
        padding = f"repeat({fill}, greatest(CAST({width} AS BIGINT) - strlen({text}), 0))"
        padded = f"{padding} || {text}" if left else f"{text} || {padding}"
        return (f"CASE WHEN strlen({fill}) <> 1 THEN error('YQL: Not 1 symbol in "
                f"paddingSymbol') ELSE {padded} END")
    return rewrite


def _simple(template: str) -> Rewrite:
    """A rewrite filling `template`'s {0}, {1}... with the arguments (str.format is not
    used: the arguments may hold braces)."""
    def rewrite(args: list[str], _: dict[str, str]) -> str:
        out = template
        for index, arg in enumerate(args):  # an optional argument left out is NULL
            out = out.replace(f"{{{index}}}", arg or "NULL")
        return out
    return rewrite


# name -> (rewrite, least, most arguments, named arguments)
_STRING: dict[str, tuple[Rewrite, int, int, tuple[str, ...]]] = {
    "Contains": (_found("contains"), 2, 2, ()),
    "HasPrefix": (_found("starts_with"), 2, 2, ()),
    "StartsWith": (_found("starts_with"), 2, 2, ()),
    "HasSuffix": (_found("ends_with"), 2, 2, ()),
    "EndsWith": (_found("ends_with"), 2, 2, ()),
    "Strip": (_simple(f"trim({{0}}, {_ASCII_SPACES})"), 1, 1, ()),
    "AsciiToLower": (_simple(f"translate({{0}}, {_UPPER}, {_LOWER})"), 1, 1, ()),
    "AsciiToUpper": (_simple(f"translate({{0}}, {_LOWER}, {_UPPER})"), 1, 1, ()),
    # the older names change every letter (UTF8ToWide, then the case of each character)
    "ToLower": (_simple("lower({0})"), 1, 1, ()),
    "ToUpper": (_simple("upper({0})"), 1, 1, ()),
    "ReplaceAll": (_simple("replace({0}, {1}, {2})"), 3, 3, ()),
    "ReplaceFirst": (_replace_first, 3, 3, ()),
    "ReplaceLast": (_replace_last, 3, 3, ()),
    "RemoveAll": (_simple("translate({0}, {1}, '')"), 2, 2, ()),
    "Find": (_byte_find, 2, 3, ()),
    "ReverseFind": (_byte_rfind, 2, 2, ()),
    "Substring": (_byte_substring, 1, 3, ()),
    "SplitToList": (_split, 2, 2, ("DelimeterString", "SkipEmpty", "Limit")),
    "JoinFromList": (_simple("array_to_string({0}, {1})"), 2, 2, ()),
    "Base64Encode": (_simple("to_base64(encode({0}))"), 1, 1, ()),
    "HexEncode": (_simple("hex({0})"), 1, 1, ()),
    "LeftPad": (_pad(left=True), 2, 3, ()),
    "RightPad": (_pad(left=False), 2, 3, ()),
    "LevensteinDistance": (_simple("CAST(levenshtein({0}, {1}) AS UBIGINT)"), 2, 2, ()),
}

# -- Unicode: the same, counted in characters ----------------------------------------------

def _char_find(args: list[str], _: dict[str, str]) -> str:
    text, needle, start = args
    start = f"CAST(COALESCE({start or 'NULL'}, 0) AS BIGINT)"
    at = f"instr(substr({text}, {start} + 1), {needle})"
    return f"CASE WHEN {at} = 0 THEN NULL ELSE CAST({at} - 1 + {start} AS UBIGINT) END"


def _char_substring(args: list[str], _: dict[str, str]) -> str:
    text, start, count = args
    start = f"CAST(COALESCE({start or 'NULL'}, 0) AS BIGINT)"
    if not count:
        return f"substr({text}, {start} + 1)"
    return (f"CASE WHEN {count} IS NULL THEN substr({text}, {start} + 1) "
            f"ELSE substr({text}, {start} + 1, CAST({count} AS BIGINT)) END")


_UNICODE: dict[str, tuple[Rewrite, int, int, tuple[str, ...]]] = {
    "ToLower": (_simple("lower({0})"), 1, 1, ()),
    "ToUpper": (_simple("upper({0})"), 1, 1, ()),
    "GetLength": (_simple("CAST(length({0}) AS UBIGINT)"), 1, 1, ()),
    "Find": (_char_find, 2, 3, ()),
    "Substring": (_char_substring, 2, 3, ()),
    "ReplaceAll": _STRING["ReplaceAll"],
    "ReplaceFirst": _STRING["ReplaceFirst"],
    "ReplaceLast": _STRING["ReplaceLast"],
    "RemoveAll": _STRING["RemoveAll"],
    "SplitToList": _STRING["SplitToList"],
    "JoinFromList": _STRING["JoinFromList"],
    "LevensteinDistance": _STRING["LevensteinDistance"],
}

# -- Math: libm on Doubles ----------------------------------------------------------------

_MATH: dict[str, tuple[Rewrite, int, int, tuple[str, ...]]] = {
    "Pi": (_simple("pi()"), 0, 0, ()),
    "E": (_simple("exp(CAST(1 AS DOUBLE))"), 0, 0, ()),
    "Eps": (_simple("CAST(2.220446049250313e-16 AS DOUBLE)"), 0, 0, ()),
    "IsNaN": (_simple(f"isnan({_double('{0}')})"), 1, 1, ()),
    "IsInf": (_simple(f"isinf({_double('{0}')})"), 1, 1, ()),
    "IsFinite": (_simple(f"isfinite({_double('{0}')})"), 1, 1, ()),
    "Pow": (_simple(f"pow({_double('{0}')}, {_double('{1}')})"), 2, 2, ()),
    "Atan2": (_simple(f"atan2({_double('{0}')}, {_double('{1}')})"), 2, 2, ()),
    # libm's fmod, the dividend's sign kept: DuckDB's % of Doubles (its fmod() floors)
    "Fmod": (_simple(f"({_double('{0}')} % {_double('{1}')})"), 2, 2, ()),
    "Round": (_simple(f"yql_math_round({_double('{0}')}, CAST(COALESCE({{1}}, 0) AS INTEGER))"),
              1, 2, ()),
    "Rint": (_simple(f"round_even({_double('{0}')}, 0)"), 1, 1, ()),
    "Sigmoid": (_simple(f"1 / (1 + exp(-{_double('{0}')}))"), 1, 1, ()),
    "Mod": (_simple("yql_math_mod({0}, {1}, 'Mod')"), 2, 2, ()),
    "Rem": (_simple("yql_math_mod({0}, {1}, 'Rem')"), 2, 2, ()),
}
for _yql, _duckdb in (("Abs", "abs"), ("Fabs", "abs"), ("Acos", "acos"), ("Asin", "asin"),
                      ("Atan", "atan"), ("Cbrt", "cbrt"), ("Ceil", "ceil"), ("Cos", "cos"),
                      ("Cosh", "cosh"), ("Exp", "exp"), ("Floor", "floor"), ("Sin", "sin"),
                      ("Sinh", "sinh"), ("Sqrt", "sqrt"), ("Tan", "tan"), ("Tanh", "tanh"),
                      ("Trunc", "trunc"), ("Lgamma", "lgamma"), ("Tgamma", "gamma"),
                      ("Asinh", "asin")):  # math_ir.h: XX(Asinh, asin), YQL's value
    _MATH[_yql] = (_simple(f"{_duckdb}({_double('{0}')})"), 1, 1, ())
for _yql, _duckdb in (("Log", "ln"), ("Log2", "log2"), ("Log10", "log10")):
    # POSITIVE_SINGLE_ARG_FUNCS: NaN for a value <= 0, where libm gives -inf for 0
    _MATH[_yql] = (_simple(f"(CASE WHEN {_double('{0}')} <= 0 THEN CAST('nan' AS DOUBLE) "
                           f"ELSE {_duckdb}({_double('{0}')}) END)"), 1, 1, ())

#: the macros Math's rewrites call, defined on every connection running YQL
#: (yql_semantics.connect). yql_math_round is lib/round.h's RoundToDecimal, floor(v / 10^p
#: + 0.5) * 10^p, there in long double: a negative p multiplies by 10^-p and divides back,
#: which gives the long double's value rounded to a Double (0.3 for Round(0.29, -1), where
#: 3 * 0.1 is 0.30000000000000004); a value that many times is an integer (2^52 and over,
#: or inf) is its own rounding, and a 10^p beyond a Double's range rounds any finite value
#: to 0, as 10^p, a long double there, does. yql_math_mod is round.h's Mod and Rem on
#: Int64s: a Double or Float argument fails, as YQL's type check of TOptional<i64>(i64, i64)
MATH_MACROS = (
    "CREATE OR REPLACE MACRO yql_math_round(v, p) AS CASE "
    "WHEN p > 308 THEN CASE WHEN isfinite(v) THEN CAST(0 AS DOUBLE) ELSE v END "
    "WHEN p >= 0 THEN floor(v / pow(10, p) + 0.5) * pow(10, p) "
    "WHEN abs(v) * pow(10, -p) >= 4503599627370496 THEN v "
    "ELSE floor(v * pow(10, -p) + 0.5) / pow(10, -p) END",
    "CREATE OR REPLACE MACRO yql_math_mod(a, m, name) AS CASE "
    "WHEN typeof(a) IN ('DOUBLE', 'FLOAT') OR typeof(a) LIKE 'DECIMAL%' "
    "OR typeof(m) IN ('DOUBLE', 'FLOAT') OR typeof(m) LIKE 'DECIMAL%' "
    "THEN error('YQL: Math::' || name || ' takes integers (Int64), not a Double') "
    "WHEN CAST(m AS BIGINT) = 0 THEN NULL "
    "WHEN name = 'Mod' AND CAST(a AS BIGINT) % CAST(m AS BIGINT) <> 0 "
    "AND (CAST(a AS BIGINT) % CAST(m AS BIGINT) < 0) <> (CAST(m AS BIGINT) < 0) "
    "THEN CAST(a AS BIGINT) % CAST(m AS BIGINT) + CAST(m AS BIGINT) "
    "ELSE CAST(a AS BIGINT) % CAST(m AS BIGINT) END",
)

# -- Re2: a pattern first, then the string ---------------------------------------------------

_RE2: dict[str, tuple[Rewrite, int, int]] = {
    # (pattern, string[, replacement]) -> SQL; the pattern's call takes it alone
    "Grep": (_simple("COALESCE(regexp_matches({1}, {0}), false)"), 1, 1),
    "Match": (_simple("COALESCE(regexp_full_match({1}, {0}), false)"), 1, 1),
    "Replace": (_simple("regexp_replace({1}, {0}, {2}, 'g')"), 1, 2),
    # GlobalReplace's count of replacements (re2_udf.cpp): replacing each match with one
    # byte, then with none, the lengths differ by it; DuckDB's 'g' is GlobalReplace too,
    # which takes no empty match where the last one ended (regexp_extract_all does)
    "Count": (_simple("CAST(COALESCE(strlen(regexp_replace({1}, {0}, '-', 'g')) - "
                      "strlen(regexp_replace({1}, {0}, '', 'g')), 0) AS UINTEGER)"), 1, 1),
}

_MODULES: dict[str, dict[str, tuple[Rewrite, int, int, tuple[str, ...]]]] = {
    "String": {**_STRING, **STRING}, "Unicode": _UNICODE, "Math": _MATH,
    "Url": URL, "Digest": DIGEST,  # these and more of String's in yql_udf_more
    "DateTime": DATETIME,  # yql_udf_datetime
}
#: the functions made of their arguments, called on a value next, like Re2's
_CURRIED = {"DateTime": DATETIME_CURRIED}


def supported(module: str, function: str) -> bool:
    return (function in _MODULES.get(module, {}) or (module == "Re2" and function in _RE2)
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


def rewrite_udfs(text: str, closing: Callable[[str, int], int]) -> str:
    """`text` with each supported UDF call as the DuckDB expression giving its result, the
    last first (a call inside another's arguments is rewritten before it)."""
    for found in reversed(list(_UDF.finditer(text))):
        module, function = found.group(1), found.group(2)
        opening = _next(text, found.end())
        if opening is None or text[opening] != "(":
            raise QueryFailed(f"YQL: {module}::{function} must be called: "
                              f"{module}::{function}(...)")
        end = closing(text, opening)
        args = _Call(f"{module}::{function}", _split_arguments(text[opening + 1:end]))
        if module == "Re2":
            start, sql, stop = _re2_call(text, found.start(), end, function, args, closing)
            text = text[:start] + sql + text[stop:]
            continue
        if function in _CURRIED.get(module, {}):
            start, sql, stop = curried_call(text, found.start(), end, function, args, closing,
                                            _split_arguments)
            text = text[:start] + sql + text[stop:]
            continue
        rewrite, least, most, names = _MODULES[module][function]
        sql = rewrite(args.take(least, most, names), args.named)
        text = text[:found.start()] + f"({sql})" + text[end + 1:]
        if function == "SplitToList":
            text = _index_from_0(text, found.start(), found.start() + len(sql) + 2)
    return text


def _index_from_0(text: str, start: int, stop: int) -> str:
    """`text` with the index into the list text[start:stop] gives, `list[i]`, counted from 0
    as YQL counts it (DuckDB counts from 1); a negative one gives NULL, past the end too.
    The list may be parenthesized, as a named expression's use is put in."""
    after, before = _next(text, stop), _previous(text, start)
    if after is not None and text[after] == ")" and before is not None and text[before] == "(":
        after = _next(text, after + 1)
    if after is None or text[after] != "[":
        return text
    depth = 0
    for close in range(after, len(text)):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(text[close], 0)
        if depth == 0:
            break
    index = text[after + 1:close]
    if not index.strip() or re.search(r"(?<!:):(?!:)", index):  # a slice, not a cast's ::
        return text
    return (text[:after] + f"[(CASE WHEN ({index}) >= 0 THEN ({index}) + 1 END)]"
            + text[close + 1:])


def _re2_call(text: str, start: int, end: int, function: str, factory: _Call,
              closing: Callable[[str, int], int]) -> tuple[int, str, int]:
    """Re2's functions make a function of the pattern, called on the string next:
    `Re2::Grep(p)(s)`, or `(Re2::Grep(p))(s)` once a named expression `$grep` is put in."""
    rewrite, _, most = _RE2[function]
    name = f"Re2::{function}"
    if len(factory.args) > 1 or factory.named:
        raise QueryFailed(f"YQL: {name} with options (Re2::Options) is not supported in dev "
                          "mode; write them as flags in the pattern, like (?i)")
    pattern = factory.take(1, 1)[0]
    after = _next(text, end + 1)
    before = _previous(text, start)
    if after is not None and text[after] == ")" and before is not None and text[before] == "(":
        start, after = before, _next(text, after + 1)  # the parenthesized form
    if after is None or text[after] != "(":
        raise QueryFailed(f"YQL: {name}(pattern) makes a function: call it on a string, "
                          f"{name}(pattern)(value), or name it ($f = {name}(...);) and call $f")
    call_end = closing(text, after)
    call = _Call(name, _split_arguments(text[after + 1:call_end]))
    values = call.take(1, most)
    return start, f"({rewrite([pattern, *values], {})})", call_end + 1


def _next(text: str, at: int) -> int | None:
    while at < len(text) and text[at].isspace():
        at += 1
    return at if at < len(text) else None


def _previous(text: str, at: int) -> int | None:
    at -= 1
    while at >= 0 and text[at].isspace():
        at -= 1
    return at if at >= 0 else None


def _split_arguments(inside: str) -> list[str]:
    """A call's arguments: split at the commas outside parentheses and brackets."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(inside):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(inside[start:index])
            start = index + 1
    parts.append(inside[start:])
    return parts

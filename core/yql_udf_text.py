"""YQL's String and Unicode UDFs on DuckDB (registered in yql_udfs).

What each gives is YQL's own: yql/essentials/docs/en/udf/list/{string,unicode}.md in
ydb-platform/ydb and yql/essentials/udfs/common/string/string_udf.cpp:
- String's Contains, HasPrefix/StartsWith, HasSuffix/EndsWith take an optional string and
  give false (not NULL) for an empty one (TContains, STROKA_FIND_UDF); the others give NULL
  for NULL (`{Flags:AutoMap}`).
- String's Find, ReverseFind and Substring count bytes from 0; Find and ReverseFind give -1
  when not found; ReverseFind's optional position is where the occurrence starts at most
  (TReverseFind: TString::rfind(needle, pos)).
- SplitToList of NULL is an empty list; `Limit` keeps the first Limit parts and the rest of
  the string as one more; `DelimeterString: false` splits at any of the characters given;
  JoinFromList leaves out the list's empty (NULL) items.

A YQL String is bytes, DuckDB's VARCHAR text: String functions that count bytes count them
here too (positions of Find, Substring), but those that see characters one by one
(RemoveAll) treat a multi-byte character as one (docs/yql-in-dev.md); LevensteinDistance
measures the bytes, each mapped to a character of its own.
"""

from __future__ import annotations

from yt_pipeline.errors import QueryFailed
from yt_pipeline.yql_udf_calls import Functions, Rewrite, simple

#: the characters util's Strip removes (IsAsciiSpace)
_ASCII_SPACES = "chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)"
_UPPER = "'ABCDEFGHIJKLMNOPQRSTUVWXYZ'"
_LOWER = "'abcdefghijklmnopqrstuvwxyz'"


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
    text, needle, start = args
    if start:
        # TString::rfind(needle, pos): the last occurrence starting at byte `pos` or before,
        # which ends by byte pos + len(needle): found in the text up to there, cut back to
        # the start of a character (bytes 10xxxxxx continue one) so that it stays text; an
        # empty needle is found at pos itself, or at the end
        cut = f"(CAST({start} AS BIGINT) + strlen({needle}))"

        def continues(at: str) -> str:
            byte = f"encode({text})[{at}:{at}]"
            return f"({byte} >= '\\x80'::BLOB AND {byte} < '\\xC0'::BLOB)"
        boundary = (f"(CASE WHEN NOT {continues(f'{cut} + 1')} THEN {cut} "
                    f"WHEN NOT {continues(cut)} THEN {cut} - 1 "
                    f"WHEN NOT {continues(f'{cut} - 1')} THEN {cut} - 2 ELSE {cut} - 3 END)")
        head = f"decode(encode({text})[1:{boundary}])"
        found = _byte_rfind([head, needle, ""], {})
        return (f"CASE WHEN {start} IS NULL THEN {_byte_rfind([text, needle, ''], {})} "
                f"WHEN {needle} = '' THEN least(CAST({start} AS BIGINT), strlen({text})) "
                f"WHEN {cut} >= strlen({text}) THEN {_byte_rfind([text, needle, ''], {})} "
                f"ELSE {found} END")
    before = _before_last(text, needle)
    # NULL for NULL (TAutoMap), -1 when not found
    return (f"CASE WHEN {text} IS NULL THEN NULL WHEN {before} IS NULL THEN CAST(-1 AS BIGINT) "
            f"ELSE strlen({before}) END")


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


def _as_bytes(text: str) -> str:
    """`text` with each of its UTF-8 bytes as a character of its own (byte b as chr(256 + b)),
    so that DuckDB's character functions count bytes, as YQL's String functions do."""
    byte = f"('0x' || hex(encode({text})[yql_byte_at:yql_byte_at]))::INTEGER"
    return (f"array_to_string(list_transform(range(1, strlen({text}) + 1), "
            f"lambda yql_byte_at: chr(256 + {byte})), '')")


def _byte_levenstein(args: list[str], _: dict[str, str]) -> str:
    # TLevensteinDistance in string_udf.cpp measures the bytes: "`Привет, мир!`" is 23
    # edits from "as" (String's canonical Find.sql), where DuckDB's levenshtein saw 14
    return f"CAST(levenshtein({_as_bytes(args[0])}, {_as_bytes(args[1])}) AS UBIGINT)"


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


STRING: Functions = {
    "Contains": (_found("contains"), 2, 2, ()),
    "HasPrefix": (_found("starts_with"), 2, 2, ()),
    "StartsWith": (_found("starts_with"), 2, 2, ()),
    "HasSuffix": (_found("ends_with"), 2, 2, ()),
    "EndsWith": (_found("ends_with"), 2, 2, ()),
    "Strip": (simple(f"trim({{0}}, {_ASCII_SPACES})"), 1, 1, ()),
    "AsciiToLower": (simple(f"translate({{0}}, {_UPPER}, {_LOWER})"), 1, 1, ()),
    "AsciiToUpper": (simple(f"translate({{0}}, {_LOWER}, {_UPPER})"), 1, 1, ()),
    # the older names change every letter (UTF8ToWide, then the case of each character)
    "ToLower": (simple("lower({0})"), 1, 1, ()),
    "ToUpper": (simple("upper({0})"), 1, 1, ()),
    "ReplaceAll": (simple("replace({0}, {1}, {2})"), 3, 3, ()),
    "ReplaceFirst": (_replace_first, 3, 3, ()),
    "ReplaceLast": (_replace_last, 3, 3, ()),
    "RemoveAll": (simple("translate({0}, {1}, '')"), 2, 2, ()),
    "Find": (_byte_find, 2, 3, ()),
    "ReverseFind": (_byte_rfind, 2, 3, ()),
    "Substring": (_byte_substring, 1, 3, ()),
    "SplitToList": (_split, 2, 2, ("DelimeterString", "SkipEmpty", "Limit")),
    "JoinFromList": (simple("array_to_string({0}, {1})"), 2, 2, ()),
    "Base64Encode": (simple("to_base64(encode({0}))"), 1, 1, ()),
    "HexEncode": (simple("hex({0})"), 1, 1, ()),
    "LeftPad": (_pad(left=True), 2, 3, ()),
    "RightPad": (_pad(left=False), 2, 3, ()),
    "LevensteinDistance": (_byte_levenstein, 2, 2, ()),
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


UNICODE: Functions = {
    "ToLower": (simple("lower({0})"), 1, 1, ()),
    "ToUpper": (simple("upper({0})"), 1, 1, ()),
    "GetLength": (simple("CAST(length({0}) AS UBIGINT)"), 1, 1, ()),
    "Find": (_char_find, 2, 3, ()),
    "Substring": (_char_substring, 2, 3, ()),
    "ReplaceAll": STRING["ReplaceAll"],
    "ReplaceFirst": STRING["ReplaceFirst"],
    "ReplaceLast": STRING["ReplaceLast"],
    "RemoveAll": STRING["RemoveAll"],
    "SplitToList": STRING["SplitToList"],
    "JoinFromList": STRING["JoinFromList"],
    # Unicode's counts code points (TLevensteinDistance in unicode_base_udf.cpp)
    "LevensteinDistance": (simple("CAST(levenshtein({0}, {1}) AS UBIGINT)"), 2, 2, ()),
}

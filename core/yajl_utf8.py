"""What YT's JSON reader and writer take as a UTF-8 string, by the shape of its bytes.

yajl (contrib/deprecated/yajl, as ytsaurus/ytsaurus-cpp-sdk builds it) checks a string's
bytes for their shape only: a lead byte C0-DF, E0-EF or F0-F7 and that many continuation
bytes 80-BF (yajl_lex_utf8_char in src/yajl_lex.c when reading; yajl_string_validate_utf8
in src/yajl_encode.c when writing). YT's JSON writer turns that check on
(TJsonWriter's constructor sets yajl_gen_validate_utf8, yt/yt/core/json/json_writer.cpp)
and CheckYajlCode there turns a string that fails it (yajl_gen_invalid_string) into
INVALID_UTF8_IN_JSON: so read_table in JSON, and a job's JSON input, fail on a string whose
bytes fail it, such as the presort bytes YQL keeps in a hidden sort column (yql_presort).
"""

from __future__ import annotations

import re

#: a lead byte and that many continuation bytes, or ASCII
YAJL_UTF8 = re.compile(rb"(?:[\x00-\x7f]|[\xc0-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
                       rb"|[\xf0-\xf7][\x80-\xbf]{3})*")
#: CheckYajlCode's message for yajl_gen_invalid_string (json_writer.cpp)
INVALID_UTF8_IN_JSON = "Invalid UTF-8 string in JSON"


def json_writable(data: bytes) -> bool:
    """Whether YT's JSON writer writes a string of these bytes."""
    return YAJL_UTF8.fullmatch(data) is not None

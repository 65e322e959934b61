"""The text of a JSON body as YT's parser reads its strings: raw UTF-8 and `\\u` escapes.

YT stores a string as bytes, so the fake keeps each one as the text its bytes decode to
with errors="surrogateescape": bytes that are not strict UTF-8 stay as U+DC80..U+DCFF and
are written back out as the same bytes (`wire_bytes`).

What YT's parser (contrib/deprecated/yajl as ytsaurus/ytsaurus-cpp-sdk builds it, under
yt/yt/core/json/json_parser.cpp, which never sets yajl_dont_validate_strings) does:

- raw bytes in a string are checked by yajl_lex_utf8_char (src/yajl_lex.c) for their shape
  only: a lead byte C0-DF, E0-EF or F0-F7 and that many continuation bytes. Other bytes
  are "lexical error: invalid bytes in UTF8 string."; an overlong form or an encoded
  surrogate passes and is stored as is.
- a `\\u` escape is decoded by yajl_string_decode (src/yajl_encode.c): an escape of a high
  surrogate (D800-DBFF) followed by another `\\u` escape takes that one as its low half,
  whatever it is, and makes one code point of the two by formula (so "\\ud800\\u00e9" is
  U+100E9); one followed by anything else becomes "?"; any other code point, a lone low
  surrogate (DC00-DFFF) included, is written as UTF-8 by Utf32toUtf8, three bytes for a
  surrogate (ED B0 80 for U+DC00), which no strict UTF-8 decoder reads.
- with encode_utf8=false (ytsaurus-client's and yt-pipeline's format) the bytes are kept as
  they are (TUtf8Transcoder, yt/yt/core/misc/utf8_decoder.cpp); the JSON writer
  (json_writer.cpp, yajl_gen_validate_utf8 on) checks them by shape again and writes them
  raw.
"""

from __future__ import annotations

import json
import re

from yt_pipeline.yajl_utf8 import json_writable
from yt_pipeline_prod.fake.protocol import YtFakeError

INVALID_BYTES = "Error parsing JSON: lexical error: invalid bytes in UTF8 string."
#: an escape of a surrogate, the only escapes Python's json reads otherwise than yajl
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
#: a JSON string literal; found left to right from outside one, these are the strings
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_HEX = frozenset("0123456789abcdefABCDEF")
_SHORT = {'"': b'"', "\\": b"\\", "/": b"/", "b": b"\b", "f": b"\f", "n": b"\n", "r": b"\r",
          "t": b"\t"}


def body_text(data: bytes) -> str:
    """The body as text for Python's json, each string decoding to the bytes YT stores."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if not json_writable(data):  # what yajl's lexer takes as UTF-8, by shape
            raise YtFakeError(INVALID_BYTES) from None
        text = data.decode("utf-8", "surrogateescape")
    if _SURROGATE_ESCAPE.search(text):  # rare: rows that encode pay one search
        text = _STRING.sub(_as_yajl_reads, text)
    return text


def wire_bytes(text: str) -> bytes:
    """Text as YT writes the string bytes it holds."""
    return text.encode("utf-8", "surrogateescape")


def _as_yajl_reads(match: re.Match[str]) -> str:
    literal = match.group(0)
    if not _SURROGATE_ESCAPE.search(literal):
        return literal
    try:
        stored = _yajl_decode(literal[1:-1])
    except (KeyError, ValueError, IndexError):
        return literal  # not a valid literal: Python's decoder says what is wrong
    # ensure_ascii: each U+DC80..U+DCFF is written as an escape Python reads back alone
    return json.dumps(stored.decode("utf-8", "surrogateescape"))


def _yajl_decode(inner: str) -> bytes:
    """The bytes yajl_string_decode makes of a string literal's inside."""
    out = bytearray()
    index, end = 0, len(inner)
    while index < end:
        if inner[index] != "\\":
            stop = inner.find("\\", index)
            stop = end if stop < 0 else stop
            out += inner[index:stop].encode("utf-8", "surrogateescape")
            index = stop
            continue
        kind = inner[index + 1]
        if kind != "u":
            out += _SHORT[kind]
            index += 2
            continue
        code = _hex4(inner, index + 2)
        index += 6
        if code & 0xFC00 == 0xD800:
            if not inner.startswith("\\u", index):
                out += b"?"
                continue
            low = _hex4(inner, index + 2)
            index += 6
            code = ((code & 0x3F) << 10) | ((((code >> 6) & 0xF) + 1) << 16) | (low & 0x3FF)
        out += chr(code).encode("utf-8", "surrogatepass")  # Utf32toUtf8, surrogates too
    return bytes(out)


def _hex4(text: str, at: int) -> int:
    digits = text[at:at + 4]
    if len(digits) != 4 or not all(char in _HEX for char in digits):
        raise ValueError("not a \\u escape")
    return int(digits, 16)

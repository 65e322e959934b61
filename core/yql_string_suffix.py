"""A YQL string literal's type suffix: "text"s is a String, "text"u a Utf8.

YQL's lexer (yql/essentials/docs/en/syntax/lexer.md, "String literals") lets a suffix
follow a string's closing quote: `s` String, `u` Utf8, `y` Yson, `j` Json, and `p`, `pt`,
`pb`, `pv` PostgreSQL's types. Dev and the fake keep both String and Utf8 as
text, so `s` and `u` leave the value as it is; the others make values dev does not model
and are refused, naming the suffix.
"""

from __future__ import annotations

import re

from yt_pipeline.errors import QueryFailed

_SUFFIX = re.compile(r"(pt|pb|pv|[suyjp])(?![\w$])", re.I)
_REFUSED = {"y": "Yson", "j": "Json", "pt": "PostgreSQL text", "pb": "PostgreSQL bytea",
            "pv": "PostgreSQL varchar", "p": "PostgreSQL"}


def past_suffix(text: str, end: int, where: str = "dev mode") -> int:
    """Where the string literal that closed just before text[end] really ends: past its
    `s` or `u` suffix, if it has one; a suffix of a type dev does not model is refused."""
    found = _SUFFIX.match(text, end)
    if found is None:
        return end
    suffix = found.group(1).lower()
    if suffix in _REFUSED:
        raise QueryFailed(f'YQL: a string literal of type {_REFUSED[suffix]} ("..."{suffix}) '
                          f"is not supported in {where}; write a String and convert it")
    return found.end()

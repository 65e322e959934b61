"""The size of the SQL DuckDB binds once it has put each macro's body in place of its call,
each parameter replaced by the argument's text: a macro naming a parameter n times copies
the argument n times, and a call inside an argument is copied with it. Counted, not built,
so that a test can tell how the SQL of a nested expression grows without timing DuckDB."""

from __future__ import annotations

import functools
import re

from yt_pipeline.yql_macros import catalogue

_DEFINED = re.compile(r"CREATE OR REPLACE MACRO (\w+)\(([^)]*)\) AS (.*)$", re.S)
MACROS: dict[str, tuple[list[str], str]] = {}
for _name, _text, _calls in catalogue(False):
    _found = _DEFINED.match(_text)
    if _found is not None:
        MACROS[_name] = ([p.strip() for p in _found.group(2).split(",") if p.strip()],
                         _found.group(3))
_CALL = re.compile(r"\b(" + "|".join(sorted(MACROS, key=len, reverse=True)) + r")\s*\(")
#: stand-ins for a macro's parameters while its body's size is counted: one character each
_MARKS = [chr(0xE000 + i) for i in range(16)]


def _depths(text: str, start: int = 0):
    """(index, character, bracket depth after it) of each character of `text` from
    `start` outside a quoted string."""
    depth, quote = 0, None
    for i in range(start, len(text)):
        char = text[i]
        if quote:
            quote = None if char == quote else quote
            continue
        if char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        yield i, char, depth


def _closing(text: str, opening: int) -> int:
    for i, char, depth in _depths(text, opening):
        if char in ")]}" and depth == 0:
            return i
    raise ValueError(f"no closing bracket in {text[opening:opening + 80]!r}")


def _arguments(text: str) -> list[str]:
    cuts = [i for i, char, depth in _depths(text) if char == "," and depth == 0]
    bounds = [-1, *cuts, len(text)]
    return [text[bounds[i] + 1:bounds[i + 1]] for i in range(len(bounds) - 1)]


@functools.cache
def _body_size(name: str) -> tuple[int, tuple[int, ...]]:
    """(the characters of `name`'s expanded body besides its parameters, how many times
    the expanded body names each parameter)."""
    params, body = MACROS[name]
    for param, mark in zip(params, _MARKS):
        body = re.sub(rf"(?<![\w.']){re.escape(param)}(?![\w'])", mark, body)
    counts = [0] * len(params)
    const = _size(body, counts)
    return const, tuple(counts)


def _size(text: str, marks: list[int] | None = None) -> int:
    """The size of `text` expanded; each parameter mark met is counted in `marks`."""
    total, position = 0, 0
    while (call := _CALL.search(text, position)) is not None:
        opening = call.end() - 1
        closing = _closing(text, opening)
        total += _plain(text[position:call.start()], marks)
        const, counts = _body_size(call.group(1))
        total += const + 2
        for count, argument in zip(counts, _arguments(text[opening + 1:closing]), strict=False):
            if count:
                sub = [0] * len(marks) if marks is not None else None
                size = _size(argument, sub) + 2
                total += count * size
                if marks is not None and sub is not None:
                    for i, n in enumerate(sub):
                        marks[i] += count * n
        position = closing + 1
    return total + _plain(text[position:], marks)


def _plain(text: str, marks: list[int] | None) -> int:
    if marks is None:
        return len(text)
    for i in range(len(marks)):
        marks[i] += text.count(_MARKS[i])
    return len(text)


def expanded_length(sql: str) -> int:
    """The length of `sql` with every macro call expanded."""
    return _size(sql)

"""What every UDF rewrite of yql_udfs and its modules works with: a call's arguments, split
and named (`Call`), and small builders of DuckDB expressions."""

from __future__ import annotations

import re
from collections.abc import Callable

from yt_pipeline.errors import QueryFailed

#: a rewrite: the arguments' SQL (an optional one left out is "") and the named ones -> SQL
Rewrite = Callable[[list[str], dict[str, str]], str]
#: name -> (rewrite, least, most arguments, named arguments)
Functions = dict[str, tuple[Rewrite, int, int, tuple[str, ...]]]

_NAMED = re.compile(r"^(.*\S)\s+AS\s+([A-Za-z_]\w*)\s*$", re.S | re.I)


class Call:
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


def double(value: str) -> str:
    return f"CAST({value} AS DOUBLE)"


def simple(template: str) -> Rewrite:
    """A rewrite filling `template`'s {0}, {1}... with the arguments (str.format is not
    used: the arguments may hold braces)."""
    def rewrite(args: list[str], _: dict[str, str]) -> str:
        out = template
        for index, arg in enumerate(args):  # an optional argument left out is NULL
            out = out.replace(f"{{{index}}}", arg or "NULL")
        return out
    return rewrite


def next_at(text: str, at: int) -> int | None:
    while at < len(text) and text[at].isspace():
        at += 1
    return at if at < len(text) else None


def previous_at(text: str, at: int) -> int | None:
    at -= 1
    while at >= 0 and text[at].isspace():
        at -= 1
    return at if at >= 0 else None


def split_arguments(inside: str) -> list[str]:
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


def applied_call(text: str, start: int, end: int, closing: Callable[[str, int], int],
                 name: str, made_of: str, on: str) -> tuple[int, Call, int]:
    """A UDF making a function of its arguments (Re2's, DateTime's Format and Parse), whose
    own call is text[start:end + 1], is called next: `Module::F(x)(value)`, or
    `(Module::F(x))(value)` once a named expression `$f` is put in. Where the whole starts,
    the next call's arguments, and where it stops."""
    after = next_at(text, end + 1)
    before = previous_at(text, start)
    if after is not None and text[after] == ")" and before is not None and text[before] == "(":
        start, after = before, next_at(text, after + 1)  # the parenthesized form
    if after is None or text[after] != "(":
        raise QueryFailed(f"YQL: {name}({made_of}) makes a function: call it on {on}, "
                          f"{name}({made_of})(value), or name it ($f = {name}(...);) and call $f")
    call_end = closing(text, after)
    return start, Call(name, split_arguments(text[after + 1:call_end])), call_end + 1


def closing_bracket(text: str, opening: int) -> int:
    """Where the bracket or parenthesis opened at `opening` closes, nested ones skipped."""
    depth = 0
    for at in range(opening, len(text)):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(text[at], 0)
        if depth == 0:
            return at
    raise QueryFailed("YQL: unbalanced square brackets")


def check_arity(name: str, args: list[str], least: int, most: int) -> None:
    """Refuse a call of `name` with fewer than `least` or more than `most` arguments."""
    count = 0 if len(args) == 1 and not args[0].strip() else len(args)
    if not least <= count <= most:
        takes = str(least) if least == most else f"{least} to {most}"
        raise QueryFailed(f"YQL: {name} takes {takes} argument(s), got {count}")


def refused_kind(message: str, key: str) -> str | None:
    """The DuckDB type named after `key` in DuckDB's refusal of a struct key (`Could not find
    key "<key><TYPE>"`), or None: a macro that refuses an operand asks a struct for such a
    key, and the refusal says which type it was given."""
    at = message.find(f'"{key}')
    if at < 0:
        return None
    return message[at + len(key) + 1:].split('"', 1)[0]

"""Rich YPaths in an operation's input tables: the ones both backends run faithfully.

A cluster reads `//t{a,b}` as the table's columns a and b only, and `//t[#10:#20]` as its
rows 10 to 19 (YTsaurus docs, YPath: "Column selection", "Row ranges"); it parses the
string itself when the operation starts (Deserialize(TRichYPath&, INodePtr) normalizes the
path: yt/yt/client/ypath/rich.cpp). Dev does the same to the rows it feeds the jobs.

Other modifiers are refused when the configuration is read, with the reason: attributes
(`<append=%true>//t`) would be overridden by the operation's own `append:` key, and key
ranges (`//t[(1):(5)]`) depend on the table's sort order and key comparison, which dev
does not model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: a column name inside `{...}`: what a YPath literal holds without escaping
_COLUMN = re.compile(r"[A-Za-z0-9_.\-]+")
_ROW_INDEX = re.compile(r"#(\d+)")


class PathProblem(ValueError):
    """Why a table path cannot be used as it is written."""


@dataclass(frozen=True)
class TablePath:
    #: the table itself, without modifiers
    path: str
    #: the columns kept (None: all)
    columns: tuple[str, ...] | None = None
    #: (first row, row after the last; None: to the end), in the order given (None: all)
    ranges: tuple[tuple[int, int | None], ...] | None = None

    @property
    def selects(self) -> bool:
        return self.columns is not None or self.ranges is not None


def parse(text: str, *, output: bool = False) -> TablePath:
    """The table and its selectors; PathProblem for what is not supported here."""
    if text.startswith("<"):
        raise PathProblem(f"table path attributes are not supported ({text!r}): "
                          f"{_attribute_hint(text)}")
    match = re.fullmatch(r"([^{\[]*)(\{[^}]*\})?(\[[^\]]*\])?", text)
    if match is None:
        raise PathProblem(f"cannot read the table path {text!r}: write //table{{a,b}}[#from:#to]")
    path, columns, ranges = match.groups()
    if output and (columns or ranges):
        raise PathProblem(f"an output table takes no column selection or row range: {text!r}")
    return TablePath(path, _columns(text, columns), _ranges(text, ranges))


def _attribute_hint(text: str) -> str:
    """What to do instead of the attribute a path carries."""
    if "foreign" in text:
        # a reduce's foreign tables and its join_by have no counterpart here: a reduce over
        # several input tables gives each key's rows table by table, which joins as well
        return ("foreign tables (join_by) are not supported: list the table in "
                "input_tables and join in the reducer, whose rows of a key come table by table")
    if "sorted_by" in text:
        return "sorted outputs are not supported: sort the table with run_sort afterwards"
    if "append" in text:
        return "use the operation's append: key"
    return "set table attributes before the operation, not in its path"


def plain(text: str) -> str:
    """The table of a path that may carry selectors (a path that does not parse is
    returned as it is, for the caller's own error)."""
    try:
        return parse(text).path
    except PathProblem:
        return text


def _columns(text: str, given: str | None) -> tuple[str, ...] | None:
    if given is None:
        return None
    names = [name.strip() for name in given[1:-1].split(",")]
    if names == [""]:
        return ()
    for name in names:
        if not _COLUMN.fullmatch(name):
            raise PathProblem(f"bad column name {name!r} in {text!r}")
    return tuple(names)


def _ranges(text: str, given: str | None) -> tuple[tuple[int, int | None], ...] | None:
    if given is None:
        return None
    ranges: list[tuple[int, int | None]] = []
    for item in given[1:-1].split(","):
        item = item.strip()
        lower, colon, upper = (part.strip() for part in item.partition(":"))
        # [#5] is the row 5 alone; in [#1:#5], [:#5] and [#1:] a missing limit is open
        limits = [lower, upper] if colon else [lower]
        if not all(_ROW_INDEX.fullmatch(limit) or (colon and not limit) for limit in limits):
            raise PathProblem(
                f"only row ranges (#from:#to) are supported, got [{item}] in {text!r}: key "
                "ranges depend on the table's sort order; filter the rows in the job or in YQL")
        first = int(lower[1:]) if lower else 0
        if not colon:
            ranges.append((first, first + 1))
        else:
            ranges.append((first, int(upper[1:]) if upper else None))
    return tuple(ranges)

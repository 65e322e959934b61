"""Rich YPaths in an operation's input tables: the ones both backends run faithfully.

A cluster reads `//t{a,b}` as the table's columns a and b only, and `//t[#10:#20]` as its
rows 10 to 19 (YTsaurus docs, YPath: "Column selection", "Row ranges"); it parses the
string itself when the operation starts (Deserialize(TRichYPath&, INodePtr) normalizes the
path: yt/yt/client/ypath/rich.cpp). Dev does the same to the rows it feeds the jobs.

A reduce's input may be marked foreign (`<foreign=%true>//t`, YT's own spelling: YTsaurus
docs, Reduce, join_by): both modes join its rows to the primary ones by the reduce's
join_by (join_keys.py). Other modifiers are refused when the configuration is read, with
the reason: attributes (`<append=%true>//t`) would be overridden by the operation's own
`append:` key, and key ranges (`//t[(1):(5)]`) depend on the table's sort order and key
comparison, which dev does not model.
"""

from __future__ import annotations

import re

import msgspec

#: a column name inside `{...}`: what a YPath literal holds without escaping
_COLUMN = re.compile(r"[A-Za-z0-9_.\-]+")
_ROW_INDEX = re.compile(r"#(\d+)")
#: the one attribute a path may carry: a reduce's foreign table (YSON's %true, or the
#: string true that YT's tests and ytsaurus-client users write and the scheduler reads as one)
_FOREIGN = re.compile(r"<\s*foreign\s*=\s*%?true\s*>")
FOREIGN_MARK = "<foreign=%true>"


class PathProblem(ValueError):
    """Why a table path cannot be used as it is written."""


class TablePath(msgspec.Struct, frozen=True):
    #: the table itself, without modifiers
    path: str
    #: the columns kept (None: all)
    columns: tuple[str, ...] | None = None
    #: (first row, row after the last; None: to the end), in the order given (None: all)
    ranges: tuple[tuple[int, int | None], ...] | None = None
    #: a reduce's foreign table (`<foreign=%true>//t`)
    foreign: bool = False

    @property
    def selects(self) -> bool:
        return self.columns is not None or self.ranges is not None


def parse(text: str, *, output: bool = False) -> TablePath:
    """The table and its selectors; PathProblem for what is not supported here."""
    mark = _FOREIGN.match(text)
    if mark:
        if output:
            raise PathProblem(f"an output table cannot be foreign: {text!r}")
        inner = parse(text[mark.end():])
        if inner.foreign:
            raise PathProblem(f"cannot read the table path {text!r}: one <foreign=%true> is enough")
        return TablePath(inner.path, inner.columns, inner.ranges, foreign=True)
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
        return ("a foreign table is written <foreign=%true>//table, with no other attribute "
                "(and the reduce's join_by)")
    if "sorted_by" in text:
        return "sorted outputs are not supported: sort the table with run_sort afterwards"
    if "append" in text:
        return "use the operation's append: key"
    attributes = text[: text.find(">") + 1]
    if "row_count_limit" in attributes:
        # a cluster would complete the operation early (fake/row_count_limit.py in the
        # prod plugin), which dev's jobs do not model
        return "an operation keeps every job's rows: cut the table afterwards (a map or YQL)"
    if re.search(r"\bcreate\s*=", attributes):
        return "an operation's output tables are created for you"
    return "set table attributes before the operation, not in its path"


def foreign(path: str) -> str:
    """`path` marked as a reduce's foreign table: `<foreign=%true>//t`."""
    return path if _FOREIGN.match(path) else FOREIGN_MARK + path


def unmarked(text: str) -> str:
    """The path without its foreign mark (selectors kept): what a sort of it reads."""
    mark = _FOREIGN.match(text)
    return text[mark.end():] if mark else text


def is_foreign(text: str) -> bool:
    return _FOREIGN.match(text) is not None


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

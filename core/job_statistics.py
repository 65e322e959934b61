"""A job's custom statistics (what it writes to fd 5), kept and summed as a cluster does:
dev's jobs and the fake proxy's follow these rules.

What a cluster does (YTsaurus source):
- the job proxy reads fd 5 as a YSON list fragment of maps and adds each map as a sample
  under `/custom` (TUserJob::AddCustomStatistics in yt/yt/server/job_proxy/user_job.cpp);
- a sample's maps are walked down to their leaves, each leaf a statistic whose path joins
  the keys with `/`; a leaf must be an integer (int64 or uint64), else "Invalid statistics
  type: expected map or integral type but found <value>"; an empty key fails with
  "Statistic cannot have an empty name" (TStatistics::AddSample in
  yt/yt/core/misc/statistics.cpp); a path that is a prefix of another fails with
  "Incompatible statistic paths" (GetSummary there);
- a statistic keeps sum, count, min and max of its samples (TSummary there);
- a path (with its `/custom` prefix) longer than 512 characters fails the job with "Custom
  statistics path is too long: <length> > 512", and more statistics than the job's
  `custom_statistics_count_limit` (128 unless set, at most 1024: TUserJobSpec in
  yt/yt/ytlib/scheduler/config.cpp) with "Custom statistics count exceeded: <count> >
  <limit>" (user_job.cpp);
- the operation's statistics merge those of its jobs, path by path: the sums and counts
  added, the least min, the greatest max, so a statistic written twice by one job has
  count 2 (yt/yt/tests/integration/scheduler/test_scheduler_user_statistics.py).

The YSON read here is the text form ytjobs.write_statistics and yt.wrapper's
write_statistics write; a stream this parser cannot read fails the job, with this module's
own words (the cluster's YSON lexer words its errors otherwise).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

PREFIX = "/custom"
MAX_PATH_LENGTH = 512
DEFAULT_COUNT_LIMIT = 128
#: the user job spec key that bounds a job's statistics
COUNT_LIMIT_KEY = "custom_statistics_count_limit"


class StatisticsRefused(ValueError):
    """What a cluster's job proxy fails the job with, in its words."""


class Summary(msgspec.Struct):
    sum: int
    count: int
    min: int
    max: int

    def add(self, other: Summary) -> None:
        self.sum += other.sum
        self.count += other.count
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)


# -- YSON text ------------------------------------------------------------------------
_SPACE = re.compile(rb"\s*")
_NUMBER = re.compile(rb"[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)u?")
_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_.\-]*")
_ESCAPES = {b"n": b"\n", b"t": b"\t", b"r": b"\r", b"\\": b"\\", b'"': b'"', b"'": b"'",
            b"a": b"\a", b"b": b"\b", b"f": b"\f", b"v": b"\v", b"0": b"\0"}


class _Parser:
    def __init__(self, data: bytes):
        self.data = data
        self.at = 0

    def fail(self, what: str) -> StatisticsRefused:
        return StatisticsRefused(f"Error parsing YSON statistics from fd 5 at byte "
                                 f"{self.at}: {what}")

    def space(self) -> None:
        self.at = _SPACE.match(self.data, self.at).end()  # type: ignore[union-attr]

    def peek(self) -> bytes:
        self.space()
        return self.data[self.at:self.at + 1]

    def expect(self, char: bytes) -> None:
        if self.peek() != char:
            found = self.peek() or b"the end"
            raise self.fail(f"expected {char.decode()!r}, found {found.decode('latin-1')!r}")
        self.at += 1

    def fragment(self) -> list[Any]:
        items = []
        while self.peek():
            items.append(self.value())
            if self.peek() == b";":
                self.at += 1
            elif self.peek():
                raise self.fail("expected ';' between the items of the list fragment")
        return items

    def value(self) -> Any:
        char = self.peek()
        if char == b"<":  # attributes: a statistic's value is the node, not its attributes
            self.at += 1
            self.pairs(b">")
            return self.value()
        if char == b"{":
            self.at += 1
            return dict(self.pairs(b"}"))
        if char == b"[":
            self.at += 1
            items = []
            while self.peek() != b"]":
                if not self.peek():
                    raise self.fail("unexpected end of the stream in a list")
                items.append(self.value())
                if self.peek() == b";":
                    self.at += 1
                elif self.peek() != b"]":
                    raise self.fail("expected ';' or ']' in a list")
            self.at += 1
            return items
        if char == b"#":
            self.at += 1
            return None
        if char == b"%":
            for word, meaning in ((b"%true", True), (b"%false", False),
                                  (b"%nan", float("nan")), (b"%inf", float("inf")),
                                  (b"%-inf", float("-inf")), (b"%+inf", float("inf"))):
                if self.data.startswith(word, self.at):
                    self.at += len(word)
                    return meaning
            raise self.fail("unknown literal after '%'")
        if char == b"":
            raise self.fail("unexpected end of the stream")
        number = _NUMBER.match(self.data, self.at)
        if number is not None and char not in (b"", b"_") and not char.isalpha():
            self.at = number.end()
            text = number.group().decode()
            if text.endswith("u"):
                return _Uint(int(text[:-1]))
            if any(mark in text for mark in ".eE"):
                return float(text)
            return int(text)
        return self.string()

    def string(self) -> str:
        char = self.peek()
        if char == b'"':
            self.at += 1
            out = bytearray()
            while True:
                if self.at >= len(self.data):
                    raise self.fail("unexpected end of the stream in a string")
                byte = self.data[self.at:self.at + 1]
                self.at += 1
                if byte == b'"':
                    return out.decode("utf-8", "replace")
                if byte == b"\\":
                    code = self.data[self.at:self.at + 1]
                    self.at += 1
                    if code == b"x":
                        out += bytes([int(self.data[self.at:self.at + 2], 16)])
                        self.at += 2
                    elif code in _ESCAPES:
                        out += _ESCAPES[code]
                    else:
                        out += code
                else:
                    out += byte
        word = _WORD.match(self.data, self.at)
        if word is None:
            found = char.decode("latin-1") if char else "the end"
            raise self.fail(f"unexpected {found!r}")
        self.at = word.end()
        return word.group().decode()

    def pairs(self, end: bytes) -> list[tuple[str, Any]]:
        found = []
        while self.peek() != end:
            if not self.peek():
                raise self.fail("unexpected end of the stream in a map")
            key = self.string()
            self.expect(b"=")
            found.append((key, self.value()))
            if self.peek() == b";":
                self.at += 1
            elif not self.peek():
                raise self.fail("unexpected end of the stream in a map")
            elif self.peek() != end:
                raise self.fail(f"expected ';' or {end.decode()!r} in a map")
        self.at += 1
        return found


class _Uint(int):
    """A YSON uint64 (`42u`): an integral statistic, as int64 is."""


def parse(data: bytes) -> list[Any]:
    """The samples of a job's fd 5: a YSON text list fragment."""
    return _Parser(data).fragment()


# -- statistics -----------------------------------------------------------------------
def _literal(key: str) -> str:
    """The key as a YPath literal (ToYPathLiteral): the characters YPath gives a meaning
    escaped, so `a/b` stays one key."""
    return re.sub(r"([\\/@&*\[{])", r"\\\1", key)


def path_of(keys: list[str]) -> str:
    """A statistic's path from its keys, each a YPath literal: `["a/b", "c"]` is `/a\\/b/c`."""
    return "".join(f"/{_literal(key)}" for key in keys)


def keys_of(path: str) -> list[str]:
    """A statistic's keys from its path, the escapes undone (`/a\\/b/c` is `["a/b", "c"]`):
    a cluster's trees of statistics are keyed so (SerializeYsonPathsMap in
    yt/yt/core/misc/statistics-inl.h takes each token's literal value)."""
    keys: list[str] = []
    escaped = False
    for char in path:
        if escaped:
            keys[-1] += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "/":
            keys.append("")
        else:
            keys[-1] += char
    return keys


def _yson_text(value: Any) -> str:
    if isinstance(value, bool):
        return "%true" if value else "%false"
    if value is None:
        return "#"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return "[" + "".join(f"{_yson_text(item)};" for item in value) + "]"
    return f'"{value}"'


def _samples(path: str, value: Any, out: dict[str, int]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "":
                raise StatisticsRefused("Statistic cannot have an empty name")
            _samples(f"{path}/{_literal(key)}", item, out)
        return
    if isinstance(value, int) and not isinstance(value, bool):
        out[path] = value
        return
    raise StatisticsRefused("Invalid statistics type: expected map or integral type but "
                            f"found {_yson_text(value)}")


def job_summaries(data: bytes, count_limit: int = DEFAULT_COUNT_LIMIT) -> dict[str, Summary]:
    """A job's statistics from what it wrote to fd 5; StatisticsRefused, in the cluster's
    words, for what its job proxy fails the job with."""
    summaries: dict[str, Summary] = {}
    for sample in parse(data):
        leaves: dict[str, int] = {}
        _samples(PREFIX, sample, leaves)
        for path, value in leaves.items():
            if path not in summaries:
                _check_compatible(summaries, path)
                summaries[path] = Summary(value, 1, value, value)
            else:
                summaries[path].add(Summary(value, 1, value, value))
        for path in summaries:
            if len(path) > MAX_PATH_LENGTH:
                raise StatisticsRefused(f"Custom statistics path is too long: {len(path)} > "
                                        f"{MAX_PATH_LENGTH}")
        if len(summaries) > count_limit:
            raise StatisticsRefused(f"Custom statistics count exceeded: {len(summaries)} > "
                                    f"{count_limit}")
    return summaries


def _check_compatible(summaries: dict[str, Summary], path: str) -> None:
    for old in summaries:
        if old.startswith(path + "/") or path.startswith(old + "/"):
            raise StatisticsRefused(f"Incompatible statistic paths (OldPath: {old}, "
                                    f"NewPath: {path})")


def merge(total: dict[str, Summary], job: dict[str, Summary]) -> None:
    """Add a job's statistics to the operation's."""
    for path, summary in job.items():
        if path in total:
            total[path].add(summary)
        else:
            total[path] = Summary(summary.sum, summary.count, summary.min, summary.max)


def shown(total: dict[str, Summary]) -> str:
    """The operation's statistics as its log line shows them: `custom/x: sum=.. count=..
    min=.. max=..`, by path."""
    return "; ".join(f"{path[1:]}: sum={s.sum} count={s.count} min={s.min} max={s.max}"
                     for path, s in sorted(total.items()))


def as_result(total: dict[str, Summary]) -> dict[str, dict[str, int]]:
    """The operation's statistics as OperationResult.statistics gives them, in both modes:
    `{"custom/x": {"sum": .., "count": .., "min": .., "max": ..}}`."""
    return {path[1:]: msgspec.structs.asdict(summary) for path, summary in total.items()}


def count_limit(extra_spec: dict[str, Any], role: str) -> int:
    """The job's custom_statistics_count_limit from the section's spec (`mapper`,
    `reducer`, or a vanilla task), 128 unless set."""
    job = extra_spec.get(role)
    if role == "tasks" and isinstance(job, dict) and job:
        job = next(iter(job.values()))
    if isinstance(job, dict) and job.get(COUNT_LIMIT_KEY) is not None:
        return int(job[COUNT_LIMIT_KEY])
    return DEFAULT_COUNT_LIMIT

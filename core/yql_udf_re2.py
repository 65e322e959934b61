"""Re2::Capture and Re2::FindAndConsume on DuckDB (called from yql_udfs), with YQL's values
(yql/essentials/udfs/common/re2/re2_udf.cpp in ydb-platform/ydb):

- Capture(pattern)(s) is a struct of the first match's groups: `_0` the whole match, each
  unnamed group `_1`, `_2`... in order, a named one (?P<name>...) by its name (and not
  counted among the unnamed ones); a group that matched nothing, or the empty string, is
  NULL, and so is every field when nothing matches or s is NULL. Its fields are known from
  the pattern when the query is typed, so the pattern is a string literal.
- FindAndConsume(pattern)(s) is the list of the first group of each match, each search
  starting where the last match ended (RE2::FindAndConsume); a pattern without a group
  gives an empty list (RE2 matches no more arguments than groups), NULL too.

FindAndConsume searches the rest of the string as a string of its own, where DuckDB's
regexp_extract_all sees the whole: the two differ where a pattern looks at what comes
before (^, \\A, \\b, \\B), refused here; and after an empty match or an empty first group
YQL skips a byte DuckDB does not, which fails the query here (docs/yql-in-dev.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from yt_pipeline.errors import QueryFailed


def literal_text(sql: str, literals: Sequence[str], name: str) -> str:
    """The text of the string literal `sql` is (a marker \\x01N\\x01 of `literals`)."""
    sql = sql.strip()
    if (len(sql) > 2 and sql[0] == sql[-1] == "\x01" and sql[1:-1].isdigit()
            and int(sql[1:-1]) < len(literals)):
        piece = literals[int(sql[1:-1])]
        if piece.startswith("'") and piece.endswith("'"):
            return piece[1:-1].replace("''", "'")
    raise QueryFailed(f"YQL: {name}'s pattern must be a string literal in dev mode "
                      "(its groups are read from it when the query is typed)")


def group_names(pattern: str) -> list[str]:
    """The name of each capturing group of the RE2 `pattern`, in order, as Capture's fields
    name them: `_1`, `_2`... for the unnamed ones, the name for (?P<name>...)."""
    names: list[str] = []
    unnamed, at, in_class = 0, 0, False
    while at < len(pattern):
        char = pattern[at]
        if char == "\\":
            if pattern.startswith("\\Q", at):  # literal text up to \E
                end = pattern.find("\\E", at + 2)
                at = len(pattern) if end < 0 else end + 2
            else:
                at += 2
            continue
        if in_class:
            if pattern.startswith("[:", at):  # [:alpha:] inside a class
                end = pattern.find(":]", at + 2)
                at = len(pattern) if end < 0 else end + 2
                continue
            in_class = char != "]"
        elif char == "[":
            in_class = True
            at += 1
            if pattern.startswith("^", at):
                at += 1
            if pattern.startswith("]", at):  # a ] first is itself
                at += 1
            continue
        elif char == "(":
            for opening in ("(?P<", "(?<"):
                if pattern.startswith(opening, at) and pattern[at + len(opening):at + len(
                        opening) + 1] not in ("=", "!"):
                    end = pattern.find(">", at)
                    names.append(pattern[at + len(opening):end])
                    break
            else:
                if not pattern.startswith("(?", at):
                    unnamed += 1
                    names.append(f"_{unnamed}")
        at += 1
    return names


def looks_back(pattern: str) -> bool:
    """Whether `pattern` has ^, \\A, \\b or \\B outside a character class."""
    at, in_class = 0, False
    while at < len(pattern):
        char = pattern[at]
        if char == "\\":
            if pattern[at + 1:at + 2] in ("A", "b", "B"):
                return True
            at += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            at += 2 if pattern.startswith("[^", at) else 1
            if pattern.startswith("]", at):
                at += 1
            continue
        elif char == "^":
            return True
        at += 1
    return False


def capture(pattern_sql: str, pattern: str, value: str) -> str:
    groups = group_names(pattern)
    fields = {"_0": f"nullif(regexp_extract({value}, {pattern_sql}, 0), '')"}
    if groups:
        keys = ", ".join(f"'g{index}'" for index in range(1, len(groups) + 1))
        found = f"regexp_extract({value}, {pattern_sql}, [{keys}])"
        for index, name in enumerate(groups, start=1):
            fields[name] = f"nullif(struct_extract({found}, 'g{index}'), '')"
    # YQL's struct has its fields in the order of their names
    packed = ", ".join(f'"{name}" := {fields[name]}' for name in sorted(fields))
    return f"struct_pack({packed})"


def find_and_consume(pattern_sql: str, pattern: str, value: str) -> str:
    if looks_back(pattern):
        raise QueryFailed("YQL: Re2::FindAndConsume with ^, \\A, \\b or \\B in its pattern "
                          "is not supported in dev mode: YQL reads each rest of the string "
                          "as a string of its own, where they match otherwise")
    if not group_names(pattern):
        return "CAST([] AS VARCHAR[])"
    firsts = f"regexp_extract_all({value}, {pattern_sql}, 1)"
    wholes = f"regexp_extract_all({value}, {pattern_sql}, 0)"
    return (f"CASE WHEN list_contains({wholes}, '') OR list_contains({firsts}, '') THEN "
            "error('YQL: Re2::FindAndConsume met an empty match or an empty first group, "
            "after which YQL skips a byte: not supported in dev mode') "
            f"ELSE coalesce({firsts}, CAST([] AS VARCHAR[])) END")

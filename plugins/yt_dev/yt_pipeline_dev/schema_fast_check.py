"""Whether every row of a table file fits a strict schema, told at the speed of a typed
decode: msgspec checks each row against a struct made from the schema (0.3 s for a
million rows, where checking each value in Python, column_types.refused_row, takes 3 s).

It only ever answers "all fit" or "look closer": where it cannot be sure, or a row does not
fit, the caller checks row by row, which names the first row refused in the cluster's words.
So the struct may refuse more than a cluster does, never less:

- an integer of 19 digits or more (past int64, or a uint64 past it; a float's 19 digits
  are not one) sends the file to the closer look, so every integer the struct meets fits
  an int64;
- a double column takes a float or null, never an integer: its struct type is a union of
  float and an integer that no value satisfies (msgspec gives an integer token to the
  union's integer member, whatever float would make of it);
- a required `any` column takes any value but null (msgspec's Any takes null too);
- a column type the struct does not model (a composite one, a required `null` column)
  sends the whole file to the closer look, and so does a column name msgspec cannot give
  a field (one holding a quote, a backslash or a control character).
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from yt_pipeline import column_types
from ytjobs.codec import CHUNK, has_long_digit_run, line_blocks

#: an integer token in a double column: no integer is at least 1 and at most 0
_NO_INTEGER = Annotated[int, Meta(ge=1, le=0)]


def _value_type(yt_type: str) -> Any:
    """The struct type of a column's non-null values, or None when not modelled."""
    if yt_type in column_types.INTEGER_RANGES:
        low, high = column_types.INTEGER_RANGES[yt_type]
        # int64's and uint64's far ends are past what a bound may be: 19-digit integers
        # never reach the struct
        if yt_type == "int64":
            return int
        if yt_type == "uint64":
            return Annotated[int, Meta(ge=0)]
        return Annotated[int, Meta(ge=low, lt=high)]
    if yt_type in column_types.TIME_RANGES:
        low, high = column_types.TIME_RANGES[yt_type]
        return Annotated[int, Meta(ge=low, le=high)]
    # a utf8 column's text: msgspec decodes only valid UTF-8 and refuses a lone surrogate's
    # escape, which the row-by-row check then names
    return {"double": _NO_INTEGER | float, "boolean": bool, "string": str, "utf8": str,
            "any": Any}.get(yt_type)


def row_struct(columns: Mapping[str, str]) -> type | None:
    """A struct that decodes exactly the rows these columns (name: YT type; the required
    ones in `columns.required`, as column_types.SchemaColumns has them) take, or fewer;
    None when a column's type is not modelled."""
    required_columns: frozenset[str] = getattr(columns, "required", frozenset())
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    rename: dict[str, str] = {}
    for index, (name, yt_type) in enumerate(columns.items()):
        attribute = f"c{index}"
        rename[attribute] = name
        if name == "$attributes":
            # a control row (a table switch) would fit as a row, and the rows after it in a
            # job's output, which go to another table, be vouched for by this one's schema
            return None
        required = name in required_columns
        if yt_type == "null":
            if required:
                return None
            fields.append((attribute, None, None))
            continue
        value = _value_type(yt_type)
        if value is None:
            return None
        if value is Any and required:  # Any takes null, which a required column refuses
            value = bool | int | float | str | list | dict
        fields.append((attribute, value) if required else
                      (attribute, value | None, None))
    return _struct("SchemaRow", fields, rename, forbid_unknown_fields=True)


def _struct(name: str, fields: list[Any], rename: dict[str, str], **options: Any
            ) -> type | None:
    """A struct of these fields under their column names, or None when msgspec cannot name a
    field so (a column name holding a quote, a backslash or a control character, which a
    YT schema may have): the closer look checks such a table instead."""
    try:
        return msgspec.defstruct(name, fields, rename=rename, kw_only=True, **options)
    except ValueError:
        return None


def all_fit(columns: Mapping[str, str], table_file: Path, start: int = 0) -> bool:
    """True when every row of `table_file` from byte `start` fits `columns`; False when
    one may not (check row by row to know)."""
    struct = row_struct(columns)
    if struct is None:
        return False
    decode: Any = msgspec.json.Decoder(struct).decode_lines
    with table_file.open("rb") as handle:
        handle.seek(start)
        return all(_fits(decode, block) for block in line_blocks(handle, CHUNK))


#: an integer of 19 digits or more: not a float's fraction or exponent, nor part of one
_LONG_INTEGER = re.compile(rb"(?<![\d.eE+])(?<![eE]-)\d{19,}(?![\d.eE])")


def _fits(decode: Any, block: bytes) -> bool:
    # the digit-run scan is a pass in C; the pattern looks only where it found one
    if has_long_digit_run(block) and _LONG_INTEGER.search(block):
        return False
    try:
        decode(block)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return False
    return True


#: the struct type of a key column's values whose own order is YT's, by its YT type. A
#: double takes no integer: msgspec would make it a float, where YT sorts every integer
#: before every double (column_types.sort_key), so [1.5, 2] would pass as in order
_KEY_TYPES = {**dict.fromkeys(column_types.INTEGER_RANGES, int),
              **dict.fromkeys(column_types.TIME_RANGES, int),
              "double": _NO_INTEGER | float, "boolean": bool, "string": str}


def keys_in_order(table_file: Path, key: list[str], types: Mapping[str, str],
                  start: int = 0) -> bool:
    """True when the rows of `table_file` from byte `start` come in the order of their
    `key` columns (of these YT `types`), told by comparing the key values themselves
    (decoded alone, a block at a time, compared in C); False when they may not (look row by
    row to know).

    Values of one simple type, as a column of strict schema holds once its rows are
    checked, compare in YT's order (column_types.sort_key: by type, then by value; text by
    code point, as its UTF-8 bytes compare). A null beside a value does not compare, and a
    key column of another type (`any`, whose values may mix types) is not looked at here:
    both send the file to the closer look."""
    if any(types.get(name) not in _KEY_TYPES for name in key):
        return False
    fields = [(f"c{index}", _KEY_TYPES[types[name]] | None, None)
              for index, name in enumerate(key)]
    struct = _struct("KeyColumns", fields,
                     {f"c{index}": name for index, name in enumerate(key)})
    if struct is None:
        return False
    decode: Any = msgspec.json.Decoder(struct).decode_lines
    take = operator.attrgetter(*(attribute for attribute, _, _ in fields))
    previous: list[Any] = []
    with table_file.open("rb") as handle:
        handle.seek(start)
        for block in line_blocks(handle, CHUNK):
            try:
                keys = previous + list(map(take, decode(block)))
                if not all(map(operator.le, keys, itertools.islice(keys, 1, None))):
                    return False
            except (msgspec.ValidationError, msgspec.DecodeError, TypeError):
                return False
            previous = keys[-1:]
    return True

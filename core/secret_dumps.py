"""A secret in a hex dump: `xxd`, `hexdump -C`, `xxd -g1`, or hex written in groups of two
or four bytes (`bytes.hex(" ", 2)`, a UTF-16 buffer as `73 00 6b 00`), as a stage logs the
bytes it sent or received.

No form of the secret is in such text: each line starts with its offset, ends with the
bytes again as characters (the ASCII column, 16 at most), and the hex is grouped wherever
the dump's groups fall, so a secret longer than a line is cut into pieces with other text
between them. So the dump is read back: the bytes of a run of dump lines, one after
another, are searched for the bytes of each form (its UTF-8, its UTF-16, its base64...),
and where one is found, its hex digits and its characters in the ASCII column are masked,
on every line it crosses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, AnyStr

#: a line of a dump: an offset (ended by a colon, as xxd writes it, or by two spaces, as
#: `hexdump -C` does: one space would be a group of the dump's own), then groups of one to
#: four bytes' hex, a space or three apart (hexdump -C puts two in the middle), then what
#: follows after whitespace (the ASCII column) or nothing
#: (a line of one group only when it has an offset: the last line of a dump, say)
_LINE = (r"^[ \t]*([0-9A-Fa-f]{4,16}(?::[ \t]*|[ \t]{2,}))?"
         r"((?:[0-9A-Fa-f]{2}){1,4}(?:[ \t]{1,3}(?:[0-9A-Fa-f]{2}){1,4})*)"
         r"(?![0-9A-Za-z])([ \t][^\n]*)?\r?$")
_LINE_TEXT = re.compile(_LINE, re.MULTILINE)
_LINE_BYTES = re.compile(_LINE.encode(), re.MULTILINE)
_GROUP_TEXT = re.compile(r"[0-9A-Fa-f]+")
_GROUP_BYTES = re.compile(rb"[0-9A-Fa-f]+")
#: an ASCII column between bars, as hexdump -C writes it
_BARRED_TEXT = re.compile(r"\|(.*)\|")
_BARRED_BYTES = re.compile(rb"\|(.*)\|")
#: fewer bytes than this read back are not searched: a form is at least 4 bytes, and a
#: shorter run is more likely a few hex words in a log line than a dump
_MIN_BYTES = 4


def dump_spans(text: AnyStr, needles: Iterable[bytes]) -> list[tuple[int, int]]:
    """The ranges of `text` (str or bytes) to mask: where a dump in it holds one of
    `needles`, the hex digits and ASCII column characters of those bytes."""
    is_bytes = isinstance(text, bytes)
    # str or bytes alike below: the patterns are chosen for the kind `text` is, which the
    # type checker cannot follow through the choice
    line_re: Any
    group_re: Any
    barred_re: Any
    line_re, group_re, barred_re = ((_LINE_BYTES, _GROUP_BYTES, _BARRED_BYTES) if is_bytes
                                    else (_LINE_TEXT, _GROUP_TEXT, _BARRED_TEXT))
    spaces = (b" ", b"\t") if is_bytes else (" ", "\t")
    blocks: list[list[Any]] = []  # the matches of line_re
    for line in line_re.finditer(text):
        if line.group(1) is None and not any(char in line.group(2) for char in spaces):
            continue  # one hex word with nothing to show it is a dump's
        if blocks and _next_to(text, blocks[-1][-1].end(), line.start(), is_bytes):
            blocks[-1].append(line)
        else:
            blocks.append([line])
    # a cell of od -c is a character after three spaces (_od_spans)
    three_spaces: Any = b"   " if is_bytes else "   "
    od_like = three_spaces in text
    if not blocks and not od_like:
        return []
    wanted = [needle for needle in needles if len(needle) >= _MIN_BYTES]
    spans = _od_spans(text, wanted, is_bytes) if od_like else []
    for block in blocks:
        # the block's bytes (fromhex skips the spaces between groups), searched first:
        # where each byte is written is worked out only for a block holding a form
        data = b"".join(bytes.fromhex(line.group(2).decode() if is_bytes else line.group(2))
                        for line in block)
        if len(data) < _MIN_BYTES:
            continue
        covered = [False] * len(data) if any(needle in data for needle in wanted) else []
        for needle in wanted if covered else ():
            at = data.find(needle)
            while at >= 0:
                covered[at:at + len(needle)] = [True] * len(needle)
                at = data.find(needle, at + 1)
        if not any(covered):
            continue
        # each byte read back: where its two hex digits are, and its ASCII column character
        digits: list[int] = []
        shown: list[int | None] = []
        for line in block:
            count = 0
            for group in group_re.finditer(text, line.start(2), line.end(2)):
                digits += range(group.start(), group.end(), 2)
                count += (group.end() - group.start()) // 2
            shown += _column(text, line, count, barred_re)
        for index, hit in enumerate(covered):
            if hit:
                spans.append((digits[index], digits[index] + 2))
                column = shown[index]
                if column is not None:
                    spans.append((column, column + 1))
    return _merged(spans, text, is_bytes)


# -- od -c -----------------------------------------------------------------------------
# `od -c` (and `od -An -c`, `hexdump -c`) writes each byte in a cell of 4 columns, right
# aligned: a printable ASCII character as itself, a byte with a C escape as it (`\n`,
# `\0`), any other as three octal digits; 16 cells a line, after an offset of 7 octal
# digits (hex for hexdump). (GNU coreutils' src/od.c, print_named_ascii and print_ascii;
# util-linux's hexdump, `-c` in hexdump.1.) Read back like a hex dump: the bytes of a run
# of such lines are searched for each form's bytes, and the cells of those bytes masked.

#: a cell: a space byte (4 spaces), a printable character (a backslash too, as od 9 writes
#: it), an escape, an octal byte
_OD_CELL = r"(?: {3}[!-~]| {2}\\[0abfnrtv\\]| [0-7]{3}| {4})"
#: a line: an offset and up to 16 cells (hexdump pads the last line with spaces), or the
#: cells alone (od -An: a block of those starts with a line of 4 cells or more)
_OD_LINE = (rf"^(?:[0-9a-f]{{7,8}}(?P<cells>{_OD_CELL}{{1,16}})"
            rf"|(?P<bare>{_OD_CELL}{{1,16}}))[ \t]*\r?$")
_OD_LINE_TEXT = re.compile(_OD_LINE, re.MULTILINE)
_OD_LINE_BYTES = re.compile(_OD_LINE.encode(), re.MULTILINE)
_OD_ESCAPES = {"0": 0, "a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11,
               "\\": 92}


def _od_spans(source: AnyStr, wanted: list[bytes], is_bytes: bool) -> list[tuple[int, int]]:
    """The cells of an od -c dump in `source` that show the bytes of one of `wanted`."""
    text: Any = source  # text or bytes alike: its cells are sliced and read the same way
    if not wanted:
        return []
    line_re: Any = _OD_LINE_BYTES if is_bytes else _OD_LINE_TEXT
    blocks: list[list[Any]] = []
    for line in line_re.finditer(text):
        if blocks and _next_to(text, blocks[-1][-1].end(), line.start(), is_bytes):
            blocks[-1].append(line)
        elif line.group("cells") is not None or len(line.group("bare")) >= 16:
            blocks.append([line])
    spans: list[tuple[int, int]] = []
    for block in blocks:
        data = bytearray()
        cells: list[int] = []  # where each byte's cell starts
        for line in block:
            group = "cells" if line.group("cells") is not None else "bare"
            start, end = line.span(group)
            for at in range(start, end, 4):
                cell = text[at:at + 4]
                shown = (cell.decode("ascii") if is_bytes else cell).lstrip(" ") or " "
                data.append(int(shown, 8) if len(shown) == 3
                            else _OD_ESCAPES[shown[1]] if len(shown) == 2 else ord(shown))
                cells.append(at)
        if not any(needle in data for needle in wanted):
            continue
        for needle in wanted:
            at = data.find(needle)
            while at >= 0:
                for index in range(at, at + len(needle)):
                    cell = cells[index]
                    # the characters of the cell, not the spaces that align it
                    shown = len(text[cell:cell + 4].lstrip())
                    spans.append((cell + 4 - (shown or 1), cell + 4))
                at = data.find(needle, at + 1)
    return spans


def _next_to(text: AnyStr, end: int, start: int, is_bytes: bool) -> bool:
    between = text[end:start]
    return between in ((b"\n", b"\r\n") if is_bytes else ("\n", "\r\n"))


def _column(text: AnyStr, line: re.Match[AnyStr], count: int,
            barred_re: re.Pattern[AnyStr]) -> list[int | None]:
    """Where the ASCII column shows each of the line's `count` bytes (None for each when
    the line has no column of that length)."""
    if line.group(3) is not None:
        rest_start = line.start(3)
        barred = barred_re.search(text, rest_start, line.end(3))
        if barred and barred.end(1) - barred.start(1) == count:
            return list(range(barred.start(1), barred.end(1)))
        stripped = line.group(3).strip()
        if len(stripped) == count:
            start = rest_start + len(line.group(3)) - len(line.group(3).lstrip())
            return list(range(start, start + count))
    return [None] * count


def _merged(spans: list[tuple[int, int]], text: AnyStr, is_bytes: bool
            ) -> list[tuple[int, int]]:
    """The spans sorted, two joined where only the spaces of the dump stand between them
    on one line (the hex of one secret is one masked run)."""
    space = (b" ", b"\t") if is_bytes else (" ", "\t")
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and all(text[at:at + 1] in space for at in range(merged[-1][1], start)):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def mask_dumps(text: AnyStr, needles: Iterable[bytes], mask: AnyStr) -> AnyStr:
    """`text` with each range dump_spans finds replaced by `mask`."""
    spans = dump_spans(text, needles)
    if not spans:
        return text
    parts, position = [], 0
    for start, end in spans:
        parts += [text[position:start], mask]
        position = end
    parts.append(text[position:])
    return text[:0].join(parts)

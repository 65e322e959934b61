"""The end of a job's output, masked: what a failed job's error, its run's job logs and the
report show of its stderr; and the start of a line an error quotes.

Masking has to come before any cut: once the text is cut (at a byte offset or after so many
lines), the piece of a secret on the near side of the cut is no longer any of its forms and
would pass masking untouched. So the end is read with enough before it to find any secret
that reaches into it, masked, and only then cut, at the start of a whole line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from yt_pipeline.secret_forms import (
    MASK,
    broken_bytes_patterns_in,
    form_bytes,
    holds,
    longest_match,
)


def reach(masked_forms: Iterable[str]) -> int:
    """The longest occurrence of a form, in bytes (one cut into lines counted, see
    secret_forms.broken_pattern): an occurrence that starts before a piece of data ends
    less than this far into it."""
    return max((longest_match(form) for form in masked_forms), default=0)


def masked_spans(data: bytes, masked_forms: Iterable[str]) -> list[tuple[int, int]]:
    """The ranges [start, end) of `data` that any form covers, sorted and merged.
    Every occurrence counts, overlapping ones too: replacing one after another would leave
    the rest of an occurrence that overlaps one already replaced."""
    found = []
    forms = list(masked_forms)
    for form in forms:
        needle = form_bytes(form)
        at = data.find(needle) if holds(data, needle) else -1
        while at >= 0:
            found.append((at, at + len(needle)))
            at = data.find(needle, at + 1)
    if b"\n" in data:  # and each one cut into lines
        for pattern in broken_bytes_patterns_in(data, forms):
            found += [match.span() for match in pattern.finditer(data)]
    if forms:  # and each one in a hex dump (secret_dumps: loaded once there is a secret)
        from yt_pipeline.secret_dumps import dump_spans

        found += dump_spans(data, (form_bytes(form) for form in forms))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _render(data: bytes, spans: list[tuple[int, int]], start: int, end: int) -> bytes:
    """data[start:end] with each span in it replaced by the mask; no span crosses either
    end (the callers choose them so)."""
    parts, position = [], start
    for span_start, span_end in spans:
        if span_start >= start and span_end <= end:
            parts += [data[position:span_start], MASK.encode()]
            position = span_end
    parts.append(data[position:end])
    return b"".join(parts)


def _covered(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def _next_line(data: bytes, position: int, spans: list[tuple[int, int]]) -> int | None:
    """Where the first whole line at or after `position` starts: after a newline that is
    not inside a masked secret (a multi-line secret's own newlines do not end a line)."""
    newline = data.find(b"\n", position - 1)
    while newline >= 0 and _covered(newline, spans):
        newline = data.find(b"\n", newline + 1)
    return None if newline < 0 else newline + 1


def masked_end(data: bytes, keep: int, masked_forms: Iterable[str], whole: bool) -> bytes:
    """About the last `keep` bytes of a stream, masked, from whole lines only. `data` is the
    end of the stream (all of it when `whole`).

    Everything read is masked before it is cut. When `data` is not the whole stream, its
    first `reach` bytes are read only for that: a secret that began before `data` ends
    within them, so it is dropped wholly, and one that begins in them is found whole and
    masked. Callers read `keep + reach(forms)` bytes to show about `keep`."""
    forms = list(masked_forms)
    spans = masked_spans(data, forms)
    start = max(0, len(data) - keep)
    if not whole:
        start = max(start, reach(forms))
    line = _next_line(data, start, spans) if start else 0  # never the rest of a cut line
    if line is None:
        return b""
    return _render(data, spans, line, len(data))


def read_masked_end(path: Path, keep: int, masked_forms: Iterable[str]) -> bytes:
    """masked_end of a file, reading only its end: about `keep` bytes, and what masking
    needs before them."""
    forms = list(masked_forms)
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        first = max(0, size - keep - reach(forms))
        handle.seek(first)
        return masked_end(handle.read(), keep, forms, whole=first == 0)


def masked_end_of(data: bytes, keep: int, masked_forms: Iterable[str]) -> bytes:
    """masked_end of a stream held whole in `data`, masking no more of it than it shows."""
    forms = list(masked_forms)
    read = keep + reach(forms)
    return masked_end(data[-read:], keep, forms, whole=len(data) <= read)


def mask_chunks(chunks: Iterable[bytes], masked_forms: Iterable[str]) -> Iterator[bytes]:
    """A stream read in chunks, masked: a secret split between two chunks is masked too.
    The end of each chunk where an occurrence may begin is held back for the next one."""
    forms = list(masked_forms)
    longest = reach(forms)
    held = b""
    for chunk in chunks:
        held += chunk
        if len(held) < 2 * longest:
            # too little to let out more than a sliver: scanned whole for every form
            # each time, a stream read in small pieces cost a scan a piece (a byte at a
            # time, 0.2 s for a few hundred bytes); kept until the next piece or the end
            continue
        released, held = masked_release(held, forms, longest)
        if released:
            yield released
    if held:
        yield _render(held, masked_spans(held, forms), 0, len(held))


def masked_release(held: bytes, masked_forms: list[str], longest: int) -> tuple[bytes, bytes]:
    """(what of a stream's `held` bytes can be let out now, masked; what must be held for
    the bytes still to come). `longest` is reach(masked_forms): an occurrence that is not
    wholly in `held` starts within the last `longest - 1` bytes. The cut never falls inside
    a UTF-8 character, so a text stream's bytes read as text on either side of it."""
    spans = masked_spans(held, masked_forms)
    cut = min(len(held), max(0, len(held) - longest + 1))
    # back to the start of the character, three bytes at most (UTF-8's longest is four):
    # binary output that is a run of continuation bytes walked back to 0, and all of it
    # was held, masked again whole as each piece came
    for _ in range(3):
        if 0 < cut < len(held) and held[cut] & 0xC0 == 0x80:
            cut -= 1
    # an occurrence not wholly in `held` starts after `cut`; move it before any
    # masked range it would split, so that range is found whole again next time
    cut = next((start for start, end in spans if start < cut < end), cut)
    return _render(held, spans, 0, cut), held[cut:]


def masked_start(data: bytes, keep: int, masked_forms: Iterable[str]) -> bytes:
    """The first `keep` bytes of `data`, masked: what an error quotes of a line. A secret
    that starts within them is masked whole (`data` must reach `reach(forms)` bytes past
    `keep` for it to be found whole), and nothing after it is shown: masked, the text
    shrinks, and what followed the cut would move into the part shown."""
    forms = list(masked_forms)
    spans = masked_spans(data[:keep + reach(forms)], forms)
    end = min(keep, len(data))
    end = next((span_end for start, span_end in spans if start < end < span_end), end)
    return _render(data, spans, 0, end)


def last_lines(text: str, lines: int) -> str:
    """The last `lines` lines of already masked text (0: all)."""
    kept = text.rstrip().splitlines()
    return "\n".join(kept[-lines:] if lines else kept)

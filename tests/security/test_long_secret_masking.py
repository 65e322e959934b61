"""Masking a long secret (a PEM key in secrets.env) costs what the text masked needs, not
what every form of the secret could need.

A PEM key of 2.2 KB has 86 forms, the longest 34,850 characters (hex of its UTF-16 and
the like). Each form is also searched for cut into lines, through a regular expression
with a possible line break between any two characters; compiling one for the longest form
takes seconds. Masking used to compile the pattern of every form before looking whether
the form (its whitespace taken out) was in the text at all, and the tails of a failed
job's stderr asked every form's pattern for its length: a run with such a key in
secrets.env spent 25-40 s in masking as it started, and again when a job failed. A quoted
piece of a text was looked up in a set of every run of 8 to 32 characters of every form:
12 million texts for that key.
"""

from __future__ import annotations

import base64
import textwrap

import pytest

from yt_pipeline import secret_forms
from yt_pipeline.secret_forms import (
    BREAK_BYTES,
    MASK,
    MIN_ENCODED_LENGTH,
    QUOTE_BREAK_BYTES,
    QUOTED_PIECE,
    all_forms,
    form_bytes,
    longest_match,
    mask_bytes,
    mask_text,
)

BODY = base64.b64encode(bytes(range(256)) * 6).decode()
PEM = ("-----BEGIN PRIVATE KEY-----\n" + "\n".join(textwrap.wrap(BODY, 64))
       + "\n-----END PRIVATE KEY-----")


@pytest.fixture
def forms():
    secret_forms.broken_pattern.cache_clear()
    secret_forms.broken_bytes_pattern.cache_clear()
    found = all_forms([PEM])
    assert len(found) > 50 and max(map(len, found)) > 10_000  # the case this file is about
    return found


def compiled() -> int:
    return (secret_forms.broken_pattern.cache_info().currsize
            + secret_forms.broken_bytes_pattern.cache_info().currsize)


def test_a_text_of_many_lines_without_the_secret_compiles_no_pattern(forms):
    text = "stage load started\nread 10 rows\n  at line 3\n" * 50
    assert mask_text(text, forms) == text
    assert mask_bytes(text.encode(), forms) == text.encode()
    assert compiled() == 0


def test_the_secret_cut_into_other_lines_is_masked_by_the_patterns_of_its_forms_found(forms):
    rewrapped = "key:\n" + "\n    ".join(textwrap.wrap(PEM.replace("\n", " "), 50)) + "\nend\n"
    masked = mask_text(rewrapped, forms)
    assert BODY[:40] not in masked.replace("\n    ", "").replace(" ", "")
    assert masked.startswith("key:\n") and masked.endswith("\nend\n") and MASK in masked
    masked_data = mask_bytes(rewrapped.encode(), forms)
    assert BODY[:40].encode() not in masked_data.replace(b"\n    ", b"").replace(b" ", b"")
    # patterns were compiled for the forms the text holds, a few of the 86
    assert 0 < compiled() <= 6


def test_the_longest_span_of_each_form_is_known_without_compiling_it(forms):
    for form in forms:
        size = len(form_bytes(form))
        # a line break between any two characters, one in QUOTED_PIECE between two
        # quoted pieces (pprint's `b'...'\n b'...'`)
        breaks = (len(form) * BREAK_BYTES + (len(form) // QUOTED_PIECE + 1)
                  * (QUOTE_BREAK_BYTES - BREAK_BYTES) if len(form) >= MIN_ENCODED_LENGTH else 0)
        assert longest_match(form) == size + breaks
    assert compiled() == 0


def test_a_quoted_piece_of_any_length_within_one_form_is_masked(forms):
    hex_form = next(form for form in forms if form == PEM.encode().hex())
    short, long = hex_form[100:100 + MIN_ENCODED_LENGTH], hex_form[200:300]
    text = f'syntax error at or near "{short}"; unexpected token \'{long}\''
    assert mask_text(text, forms) == f'syntax error at or near "{MASK}"; unexpected token \'{MASK}\''
    # a piece made of the end of one form and the start of another is in no form
    spanning = next(piece for piece in (first[-6:] + second[:6] for first, second in
                                        zip(forms, forms[1:]))
                    if "\n" not in piece and not any(piece in form for form in forms))
    assert mask_text(f'near "{spanning}"', forms) == f'near "{spanning}"'
    assert mask_text('near "ordinary-word-here"', forms) == 'near "ordinary-word-here"'


def test_a_quoted_piece_of_zero_byte_escapes_is_text_not_a_secret():
    """A repr of a secret's UTF-16 is its characters with `\\x00` between them; a quoted
    piece of that form holding one character of the secret (`"\\x000\\x00"`, where the
    secret holds a 0) is an ordinary string of a program, and is left. One holding four
    characters of the secret or more is masked."""
    secret = "tok-0-value-1234"
    forms = all_forms([secret])
    wide = repr(secret.encode("utf-16-le"))[2:-1]  # t\x00o\x00k\x00-\x000\x00...
    for text in ['x = "\\x000\\x00" + y', "pad('\\x00-\\x000\\x00')"]:
        assert mask_text(text, forms) == text
    assert mask_text(f'bad "{wide[4:30]}" here', forms) == f'bad "{MASK}" here'
    as_json = wide.replace("\\", "\\\\")
    assert mask_text(f'bad "{as_json[:40]}" here', forms) == f'bad "{MASK}" here'


def test_a_quoted_piece_is_searched_for_only_in_forms_that_could_hold_it(forms):
    """A quoted piece is masked when it is within a form; with a long secret's forms (some
    700 KB) a piece is searched for only in the forms holding each of its characters, so
    a text of JSON records full of quoted values is not searched through every form once a
    value (15.8 s for 1.8 MB with a PEM key, 0.8 s now). The answer must be that of a
    search of every form, for pieces of each form and for pieces of no form."""
    import random

    searched: list[str] = []

    class Counted(str):
        def __contains__(self, piece: object) -> bool:
            searched.append(str(self))
            return super().__contains__(piece)  # type: ignore[operator]

    secret_forms._piece_finder.cache_clear()  # equal tuples of plain texts would be found
    counted = secret_forms._piece_finder(tuple(Counted(form) for form in forms))
    secret_forms._piece_finder.cache_clear()
    assert not counted("plain words no secret")
    # a piece with spaces: the hex, base32 and base64 forms hold none, and are not
    # searched; the secret's text and its escapes are (29 of the 158 forms)
    assert 0 < len(searched) < len(forms) // 4
    within = secret_forms._piece_finder(tuple(forms))
    every_form = "\n".join(forms)
    rng = random.Random(7)
    pieces = []
    for form in forms:
        for _ in range(4):
            size = rng.randint(MIN_ENCODED_LENGTH, 40)
            start = rng.randrange(max(1, len(form) - size))
            pieces.append(form[start:start + size])
    alphabet = "abcdefXYZ0189 _-+/=\\%&#;:,"
    pieces += ["".join(rng.choice(alphabet) for _ in range(rng.randint(8, 20)))
               for _ in range(2000)]
    for piece in pieces:
        assert within(piece) == (piece in every_form), piece
    # a piece of a form is still masked in a text, and a line of records keeps its words
    piece = next(form for form in forms if " " in form)[:24]
    assert mask_text(f'error near "{piece}"', forms) == f'error near "{MASK}"'
    records = '{"name": "user_00000001", "city": "Amsterdam", "note": "ordinary words"}'
    assert mask_text(records, forms) == records

"""masked_tails: whatever the output around a secret and wherever the end shown starts,
no piece of the secret is shown, read from a file, from bytes held whole or in chunks."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from yt_pipeline.masked_tails import (
    last_lines,
    mask_chunks,
    masked_end_of,
    read_masked_end,
)
from yt_pipeline.secret_forms import all_forms

SECRETS = ["sk-live-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
           "-----BEGIN KEY-----\n" + "\n".join(f"line{i:02d}-QIBADANBgkqhkiG9w0" for i in range(40))
           + "\n-----END KEY-----",
           "crlf-secret-part-ONE\r\npart-TWO-of-crlf",
           "abab-abab-abab"]  # overlaps itself
FILLER = st.text(alphabet="xy z\n", max_size=300)


def pieces(secret: str, size: int = 6) -> set[bytes]:
    return {line[i:i + size].encode() for line in secret.splitlines()
            for i in range(len(line) - size + 1)}


def stream(secret: str, parts: list[str]) -> bytes:
    return secret.join(parts).encode()


def shown_pieces(secret: str, data: bytes) -> list[bytes]:
    return [piece for piece in pieces(secret) if piece in data]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SECRETS), st.lists(FILLER, min_size=1, max_size=4),
       st.integers(0, 2000))
def test_no_piece_of_a_secret_in_the_end_shown(secret, parts, keep):
    data = stream(secret, parts)
    assert shown_pieces(secret, masked_end_of(data, keep, all_forms([secret]))) == []


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(SECRETS), st.lists(FILLER, min_size=1, max_size=4),
       st.integers(0, 2000))
def test_no_piece_of_a_secret_in_the_end_read_from_a_file(tmp_path_factory, secret, parts, keep):
    path = tmp_path_factory.mktemp("tails") / "job.stderr"
    path.write_bytes(stream(secret, parts))
    assert shown_pieces(secret, read_masked_end(path, keep, all_forms([secret]))) == []


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SECRETS), st.lists(FILLER, min_size=1, max_size=4),
       st.integers(1, 200))
def test_a_stream_read_in_chunks_is_masked_whole(secret, parts, size):
    data = stream(secret, parts)
    chunks = [data[i:i + size] for i in range(0, len(data), size)]
    masked = b"".join(mask_chunks(chunks, all_forms([secret])))
    assert shown_pieces(secret, masked) == []
    # nothing else is lost: the filler around each secret is all there, in order
    assert masked.replace(b"***", b"") == "".join(parts).encode()


def test_the_end_shown_is_the_last_whole_lines():
    forms = all_forms([SECRETS[0]])
    data = b"first line\n" + b"a" * 50 + b"\nusing " + SECRETS[0].encode() + b"\nlast line\n"
    assert masked_end_of(data, 65, forms) == b"using ***\nlast line\n"
    assert masked_end_of(data, 40, forms) == b"last line\n"  # the cut line is left out
    assert masked_end_of(data, 10_000, forms).startswith(b"first line\n")
    assert last_lines("one\ntwo\r\nthree\n", 2) == "two\nthree"

"""A secret in the layouts a stage's debugging writes it in, beyond a form a list can name:

- a hex dump (`xxd`, `xxd -g1`, `hexdump -C`, hex grouped two or four bytes, a UTF-16
  buffer's hex): offsets, groups and the ASCII column cut the secret into pieces;
- a line cut with a soft line break: quoted-printable's `=` (RFC 2045 section 6.7; Python's
  quopri) and PyYAML's `\\` folding a double-quoted scalar (Emitter.write_double_quoted);
- yaml.safe_dump of a secret outside ASCII (allow_unicode is off by default: `\\xEF`);
- the repr of a text (or bytes) holding both quotes, where Python escapes the secret's `'`
  (unicode_repr in CPython's Objects/unicodeobject.c, bytes_repr in bytesobject.c);
- a quote doubled inside an SQL or YQL string literal (`'it''s'`).

The dumps are written here from their layout (the man pages of xxd and hexdump), not with
the masking code, and the check is that no piece of the secret, its hex or its ASCII
column, is left.
"""

from __future__ import annotations

import quopri
import re

import pytest
import yaml

from yt_pipeline.masked_tails import masked_end_of
from yt_pipeline.secret_forms import MASK, all_forms, mask_bytes, mask_data, mask_text

SECRETS = ["sk_live_4eC39HqLyjWDarjtT1zdp7dc", "it's-a-Secret-0123456789",
           "wïde/kéy-0123456789abcdef"]


def xxd(data: bytes, group: int = 2) -> str:
    """`xxd` (`-g1` for group=1): an 8-digit offset and a colon, 16 bytes in groups, two
    spaces, the bytes as characters ('.' for any outside printable ASCII)."""
    lines = []
    for at in range(0, len(data), 16):
        row = data[at:at + 16]
        groups = " ".join(row[i:i + group].hex() for i in range(0, len(row), group))
        width = 32 + 16 // group - 1
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in row)
        lines.append(f"{at:08x}: {groups:<{width}}  {text}")
    return "\n".join(lines) + "\n"


def hexdump_c(data: bytes) -> str:
    """`hexdump -C`: an offset, two spaces, 8 bytes, two spaces, 8 bytes, `|chars|`."""
    lines = []
    for at in range(0, len(data), 16):
        row = data[at:at + 16]
        left, right = row[:8].hex(" "), row[8:].hex(" ")
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in row)
        lines.append(f"{at:08x}  {left:<23}  {right:<23}  |{text}|")
    lines.append(f"{len(data):08x}")
    return "\n".join(lines) + "\n"


def pieces(secret: str, size: int = 6) -> list[str]:
    """Every run of `size` characters of the secret, and of its hex (of UTF-8 and UTF-16)."""
    found = [secret[at:at + size] for at in range(len(secret) - size + 1)]
    for data in (secret.encode(), secret.encode("utf-16-le")):
        digits = data.hex()
        found += [digits[at:at + 2 * size] for at in range(0, len(digits) - 2 * size + 1, 2)]
    return found


def assert_nothing_left(secret: str, masked: str) -> None:
    assert MASK in masked, masked
    flat = re.sub(r"\s+", "", masked)
    left = [piece for piece in pieces(secret) if piece in masked or piece in flat]
    assert not left, (left, masked)


def dumps(secret: str) -> dict[str, str]:
    sent = b"POST /v1 HTTP/1.1\r\nAuthorization: Bearer " + secret.encode() + b"\r\n\r\n"
    wide = ("token=" + secret).encode("utf-16-le")
    return {"xxd": xxd(sent), "xxd, the secret ending it": xxd(sent[:sent.rindex(b"\r\n\r\n")]), "xxd -g1": xxd(sent, 1), "xxd -g4": xxd(sent, 4),
            "hexdump -C": hexdump_c(sent), "hexdump -C of UTF-16": hexdump_c(wide),
            "hex grouped by 2": "payload:\n" + secret.encode().hex(" ", 2),
            "UTF-16 hex": secret.encode("utf-16-le").hex(" ")}


@pytest.mark.parametrize("secret", SECRETS)
def test_a_hex_dump_of_a_secret_is_masked(secret):
    forms = all_forms([secret])
    for name, text in dumps(secret).items():
        assert_nothing_left(secret, mask_text(text, forms))
        assert_nothing_left(secret, mask_bytes(text.encode(), forms).decode())
        # the end of a job's stderr, as an error quotes it
        assert_nothing_left(secret, masked_end_of(text.encode(), 4096, forms).decode())
        # the rest of the dump stays as it was: "POST /v1" and its hex are kept
        if "xxd" in name or name == "hexdump -C":
            assert "POST /v1" in mask_text(text, forms)
            assert "50 4f 53 54" in mask_text(xxd(b"POST /v1 " + secret.encode(), 1), forms)
    assert_ordinary_text_left_alone()


@pytest.mark.parametrize("secret", SECRETS)
def test_soft_line_breaks_and_yaml_escapes_are_masked(secret):
    forms = all_forms([secret])
    texts = {
        "quoted-printable": quopri.encodestring(b"a" * 60 + secret.encode()).decode(),
        "yaml safe_dump": yaml.safe_dump({"token": secret}),
        "yaml folded": yaml.safe_dump({"token": "x" * 30 + secret}, default_style='"',
                                      width=40),
    }
    for text in texts.values():
        assert_nothing_left(secret, mask_text(text, forms))
        assert_nothing_left(secret, mask_bytes(text.encode(), forms).decode())


def test_a_repr_holding_both_quotes_and_a_doubled_quote_are_masked():
    secret = SECRETS[1]
    forms = all_forms([secret])
    texts = [repr('header "x" ' + secret), repr(b'header "x" ' + secret.encode()),
             repr(('say "' + secret).encode("utf-16-le")),
             "SELECT * FROM t WHERE token = '" + secret.replace("'", "''") + "'"]
    for text in texts:
        masked = mask_text(text, forms)
        assert MASK in masked and "Secret-0123" not in masked.replace("\\x00", ""), masked


def assert_ordinary_text_left_alone() -> None:
    """Log lines, a dump and hex words without a secret, JSON and numbers, lines ending in
    `=` or `\\`: as they were, with typical tokens as the secrets."""
    forms = all_forms(SECRETS + ["ghp_R4nd0mT0k3nV4lu3Xyz123456789abcdE"])
    texts = [
        "2026-12-06 12:00:01,123 INFO stage=join rows=1048576 took 12.5 s\n",
        xxd(b"ordinary bytes of a request, with no secret in them at all"),
        "ids: de ad be ef ca fe 00 11 22 33 44 55 66 77\n"
        "00000010: 6f72 6469 6e61 7279  ordinary\n",
        '{"user": "it\'s me", "n": 12345678901234567890, "sha": "' + "ab" * 20 + '"}',
        "quopri line=\nnext line\\\nand more",
    ]
    for text in texts:
        assert mask_text(text, forms) == text
        assert mask_bytes(text.encode(), forms) == text.encode()
    debug = {"rows": [1, 2, 3], "hex": "0a 0b 0c 0d 0e", "ratio": 0.25}
    assert mask_data(debug, forms) == debug


STAGE = """
import yaml

from yt_pipeline import BaseStage


def xxd(data):
    lines = []
    for at in range(0, len(data), 16):
        row = data[at:at + 16]
        groups = " ".join(row[i:i + 2].hex() for i in range(0, len(row), 2))
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in row)
        lines.append(f"{at:08x}: {groups:<39}  {text}")
    return "\\n".join(lines)


class Leaky(BaseStage):
    def run(self, debug):
        secret = self.deps.pipeline_config.secret("API_KEY")
        self.logger.info("sent:\\n%s", xxd(b"Authorization: Bearer " + secret.encode()))
        self.logger.info("config:\\n%s", yaml.safe_dump({"token": secret}))
        debug["dump"] = xxd(secret.encode("utf-16-le"))
        return debug
"""


def test_a_stage_logging_a_dump_and_yaml_leaves_no_secret(tmp_path, capfd):
    from test_secrets_encoded import run_leaky_stage, the_run_log

    secret = SECRETS[2]
    blobs = run_leaky_stage(tmp_path / "p", STAGE, secret, capfd)
    log = the_run_log(blobs)
    # the lines are there, the secret's part of them masked
    assert "Authorization: B" in log and "token:" in log and log.count(MASK) >= 3
    for where, data in blobs.items():
        text = data.decode("utf-8", "replace")
        flat = re.sub(r"\s+|\\n", "", text)
        left = [piece for piece in pieces(secret) if piece in text or piece in flat]
        assert not left, (where, left)


def test_a_long_secrets_forms_are_made_once_however_often_a_text_is_masked(monkeypatch):
    """A prod error is masked piece by piece (failures.scrub, each asking all_forms afresh;
    a failed job's name, tail and detail, failed_jobs): a PEM key's forms, a megabyte and
    more, are made once, not once a piece."""
    import base64
    import os

    from yt_pipeline import secret_forms
    from yt_pipeline_prod.failures import scrub

    body = base64.encodebytes(os.urandom(3000)).decode()  # a key no earlier test masked
    pem = f"-----BEGIN PRIVATE KEY-----\n{body}-----END PRIVATE KEY-----\n"
    made = []
    encodings = secret_forms._byte_encodings
    monkeypatch.setattr(secret_forms, "_byte_encodings",
                        lambda secret: made.append(secret) or encodings(secret))
    shown = [scrub(f"job {n} failed: key {pem!r}", [pem, "tok-0123456789"])
             for n in range(5)]
    assert shown == [f"job {n} failed: key '{MASK}'" for n in range(5)]
    assert made.count(pem) == 1, len(made)

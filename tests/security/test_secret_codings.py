"""A secret written in the rarer codings — base85, Ascii85, uuencode, base32 in the
extended hex and Crockford alphabets (and lower case, of UTF-16 too), hex with separators,
each byte or character escaped, ROT13, quoted-printable — is masked wherever its bytes fall
in the encoded data: in a text masked directly, and in what a run leaves (its console
output, log and record) when a stage logs the encodings.

Each encoding is made here from its definition (the standard library's encoder, or the
alphabet of the RFC), not from the masking code's list of forms, and the check is that
what is left of the encoded text is no longer than the characters that depend on the
bytes around the secret: a masked text with more of it left would hold a piece of the
secret's encoding.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import random

import pytest
from test_secrets_encoded import run_leaky_stage

from yt_pipeline.secret_forms import MASK, all_forms, mask_text

SECRETS = ["plain-Secret-0123456789", "wïde/kéy-0123456789abcdef", "eq=uals+slash/z~Q"]
_STANDARD_32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#: RFC 4648 section 7, and Crockford's base32 (https://www.crockford.com/base32.html)
_HEX_32 = "0123456789ABCDEFGHIJKLMNOPQRSTUV"
_CROCKFORD_32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def crockford(data: bytes) -> str:
    return base64.b32encode(data).decode().translate(str.maketrans(_STANDARD_32,
                                                                   _CROCKFORD_32))


def uuencode(data: bytes) -> str:
    return "".join(binascii.b2a_uu(data[at:at + 45]).decode()
                   for at in range(0, len(data), 45))


#: each coding of bytes (the secret's with others around them): its encoder, the bytes and
#: characters of a group, and the characters it adds besides (padding, a length)
BYTE_CODINGS = {
    "base85": (lambda data: base64.b85encode(data).decode(), 4, 5, 0),
    "ascii85": (lambda data: base64.a85encode(data).decode(), 4, 5, 0),
    "uuencode": (uuencode, 3, 4, 1),
    "base32hex": (lambda data: base64.b32hexencode(data).decode(), 5, 8, 6),
    "base32hex lower": (lambda data: base64.b32hexencode(data).decode().lower(), 5, 8, 6),
    "crockford": (crockford, 5, 8, 6),
    "crockford lower": (lambda data: crockford(data).lower(), 5, 8, 6),
}


def not_the_secrets(before: int, after: int, group: int, chars: int, extra: int) -> int:
    """The most characters of an encoding that may hold bits of the bytes around the
    secret: the groups holding any of the `before` bytes, or of the `after` bytes (one
    more where the secret ends inside a group), and what the coding adds."""
    return chars * (-(-before // group) + -(-after // group) + 1) + extra


#: codings of the secret by itself, all of which goes
WHOLE_CODINGS = {
    "rot13": lambda secret: codecs.encode(secret, "rot13"),
    "hex with colons": lambda secret: secret.encode().hex(":"),
    "HEX with spaces": lambda secret: secret.encode().hex(" ").upper(),
    "hex with dashes": lambda secret: secret.encode().hex("-"),
    ".reg hex of UTF-16": lambda secret: secret.encode("utf-16-le").hex(","),
    "\\x escapes": lambda secret: "".join(f"\\x{byte:02x}" for byte in secret.encode()),
    "%XX escapes": lambda secret: "".join(f"%{byte:02X}" for byte in secret.encode()),
    "octal escapes": lambda secret: "".join(f"\\{byte:03o}" for byte in secret.encode()),
    "\\u escapes": lambda secret: "".join(f"\\u{ord(char):04x}" for char in secret),
    "\\u escapes, capitals": lambda secret: "".join(f"\\u{ord(char):04X}" for char in secret),
    "quoted-printable": lambda secret: quopri.encodestring(secret.encode()).decode().strip(),
}


def left_of(masked: str, text: str) -> int:
    """How many characters of the encoded `text` are left in `masked`."""
    assert masked.startswith("cmd ") and masked.endswith(" end"), masked
    return len(masked) - len("cmd  end") - masked.count(MASK) * len(MASK)


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("coding", sorted(BYTE_CODINGS))
def test_a_coding_of_the_bytes_is_masked_wherever_the_secret_falls(secret, coding):
    encode, *shape = BYTE_CODINGS[coding]
    forms = all_forms([secret])
    rng = random.Random(f"{secret}{coding}")
    for before in range(6):
        after = rng.randrange(5)
        text = encode(rng.randbytes(before) + secret.encode() + rng.randbytes(after)).strip()
        masked = mask_text(f"cmd {text} end", forms)
        assert MASK in masked, (coding, before, text)
        assert left_of(masked, text) <= not_the_secrets(before, after, *shape), (
            coding, before, after, masked)


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("coding", sorted(WHOLE_CODINGS))
def test_a_coding_of_the_whole_secret_is_masked_whole(secret, coding):
    text = WHOLE_CODINGS[coding](secret)
    assert mask_text(f"cmd {text} end", all_forms([secret])) == f"cmd {MASK} end"


def test_base32_of_utf16_in_lower_case_is_masked():
    secret = SECRETS[1]
    for codec in ("utf-16-le", "utf-16-be"):
        for before in range(5):
            text = base64.b32encode(b"\x01" * before + secret.encode(codec)).decode().lower()
            masked = mask_text(f"cmd {text} end", all_forms([secret]))
            assert left_of(masked, text) <= not_the_secrets(before, 0, 5, 8, 6), (
                codec, before, masked)


STAGE = """
import base64, binascii, codecs

from yt_pipeline import BaseStage


class Leaky(BaseStage):
    def run(self, debug):
        secret = self.deps.pipeline_config.secret("API_KEY")
        raw = secret.encode()
        self.logger.info("git binary patch %s", base64.b85encode(b"zz" + raw).decode())
        self.logger.info("pdf stream <~%s~>", base64.a85encode(raw).decode())
        self.logger.info("dns label %s", base64.b32hexencode(b"q" + raw).decode().lower())
        self.logger.info("mac-style %s", raw.hex(":"))
        self.logger.info("rot13 %s", codecs.encode(secret, "rot13"))
        debug["uu"] = binascii.b2a_uu(raw).decode()
        return debug
"""


def test_a_run_logging_the_codings_leaves_none_of_them(tmp_path, capfd):
    secret = SECRETS[1]
    left = [data.decode(errors="replace") for data in
            run_leaky_stage(tmp_path / "p", STAGE, secret, capfd).values()]
    raw = secret.encode()
    written = {"base85": base64.b85encode(b"zz" + raw).decode(),
               "ascii85": base64.a85encode(raw).decode(),
               "base32hex": base64.b32hexencode(b"q" + raw).decode().lower(),
               "hex": raw.hex(":"), "rot13": codecs.encode(secret, "rot13"),
               "uuencode": binascii.b2a_uu(raw).decode().strip()}
    assert any("mac-style ***" in text for text in left), "the run's log has no masked line"
    for name, text in written.items():
        # the middle third of each encoding holds only the secret's own characters
        piece = text[len(text) // 3: 2 * len(text) // 3]
        assert len(piece) >= 8
        assert not [where for where in left if piece in where], name

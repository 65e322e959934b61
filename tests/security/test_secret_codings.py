"""A secret written in the rarer codings — base85, Ascii85 (with Adobe's `<~ ~>` frame or
without), uuencode, base32 in the extended hex and Crockford alphabets (upper and lower
case, padded or not, of its UTF-8 and of its UTF-16), hex with a separator between bytes
or between groups of two bytes, each byte or character escaped, ROT13, quoted-printable —
is masked wherever its bytes fall in the encoded data: in a text masked directly, and in
what a run leaves (its console output, log and record) when a stage logs the encodings.

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


def in_pairs(separator: str, per_group: int = 2):
    """Hex two (or `per_group`) bytes a group (`bytes.hex(sep, bytes_per_sep)`: "Positive values calculate
    the separator position from the right, negative values from the left", Python's
    Doc/library/stdtypes.rst, bytes.hex)."""
    return lambda data: data.hex(separator, per_group)


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
    # Ascii85 in Adobe's frame (`<~`, `~>`: base64.a85encode's adobe=True) and base85 padded
    # to whole groups (b85encode's pad=True) write the secret's whole groups alike
    "ascii85 adobe": (lambda data: base64.a85encode(data, adobe=True).decode(), 4, 5, 4),
    "base85 padded": (lambda data: base64.b85encode(data, pad=True).decode(), 4, 5, 0),
    # RFC 4648 section 3.2: padding may be left out where the length is known
    "base32hex unpadded": (lambda data: base64.b32hexencode(data).decode().rstrip("="),
                           5, 8, 0),
    "crockford unpadded lower": (lambda data: crockford(data).rstrip("=").lower(), 5, 8, 0),
    # hex two bytes a group (a group is 4 digits and its separator)
    "hex in pairs, colons": (in_pairs(":"), 2, 5, 0),
    "hex in pairs from the left": (in_pairs(":", -2), 2, 5, 0),
    "HEX in pairs, dashes": (lambda data: data.hex("-", 2).upper(), 2, 5, 0),
    "hex in pairs, spaces": (in_pairs(" "), 2, 5, 0),
    # hex four bytes a group, 32-bit words (a group is 8 digits and its separator)
    "hex in words, spaces": (in_pairs(" ", 4), 4, 9, 0),
    "hex in words from the left": (in_pairs(":", -4), 4, 9, 0),
    "HEX in words, dashes": (lambda data: data.hex("-", 4).upper(), 4, 9, 0),
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
    # as openssl's -fingerprint and Windows' certificate tools write a digest
    "HEX with colons": lambda secret: secret.encode().hex(":").upper(),
    "HEX with dashes": lambda secret: secret.encode().hex("-").upper(),
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


#: base32 of a secret's UTF-16 (a text as Windows or Java holds it), in each alphabet
UTF16_BASE32 = {
    "base32 lower": lambda data: base64.b32encode(data).decode().lower(),
    "base32hex": lambda data: base64.b32hexencode(data).decode(),
    "base32hex lower, unpadded": lambda data: base64.b32hexencode(data).decode().lower()
    .rstrip("="),
    "crockford": crockford,
    "crockford lower": lambda data: crockford(data).lower(),
}


@pytest.mark.parametrize("coding", sorted(UTF16_BASE32))
def test_base32_of_utf16_is_masked_in_each_alphabet(coding):
    encode = UTF16_BASE32[coding]
    for secret in SECRETS[:2]:
        for codec in ("utf-16-le", "utf-16-be"):
            for before in range(5):
                text = encode(b"\x01" * before + secret.encode(codec) + b"\x02")
                masked = mask_text(f"cmd {text} end", all_forms([secret]))
                assert left_of(masked, text) <= not_the_secrets(before, 1, 5, 8, 6), (
                    codec, before, masked)


# -- the independent scanner, and text without the secret --------------------------------

#: each newer coding of a secret, made with the standard library, with bytes around it
SCANNED = {
    "hex colons": lambda raw, utf16: (b"\x10" + raw).hex(":"),
    "HEX dashes": lambda raw, utf16: raw.hex("-").upper(),
    "HEX colons": lambda raw, utf16: raw.hex(":").upper(),
    "hex in pairs": lambda raw, utf16: (b"\x10" + raw).hex(":", 2),
    "HEX in pairs, odd": lambda raw, utf16: (b"\x10" + raw + b"\x11").hex("-", -2).upper(),
    "hex in words": lambda raw, utf16: (b"\x10" + raw).hex(" ", 4),
    "HEX in words, from the left": lambda raw, utf16: (b"\x10\x11\x12" + raw).hex(":", -4)
    .upper(),
    "base32 of UTF-16, lower": lambda raw, utf16: base64.b32encode(b"\x10" + utf16).decode()
    .lower(),
    "base32hex": lambda raw, utf16: base64.b32hexencode(b"\x10\x11" + raw).decode(),
    "base32hex of UTF-16": lambda raw, utf16: base64.b32hexencode(utf16).decode().lower(),
    "crockford": lambda raw, utf16: crockford(b"\x10" + raw).rstrip("="),
    "crockford of UTF-16": lambda raw, utf16: crockford(b"\x10\x11\x12" + utf16).lower(),
    "base85": lambda raw, utf16: base64.b85encode(b"\x10" + raw).decode(),
    "ascii85": lambda raw, utf16: base64.a85encode(b"\x10\x11" + raw).decode(),
    "ascii85 adobe": lambda raw, utf16: base64.a85encode(raw, adobe=True).decode(),
}


@pytest.mark.parametrize("secret", SECRETS)
def test_the_scanner_finds_each_coding_unmasked_and_none_masked(secret):
    """tests/reliability/secret_scan (written apart from the masking code, from the codings'
    definitions) reports each coding, so a run that let one through is caught; and finds
    none of them once masked."""
    from secret_scan import scan_bytes

    raw, utf16 = secret.encode(), secret.encode("utf-16-le")
    forms = all_forms([secret])
    for name, encode in SCANNED.items():
        text = f"sent {encode(raw, utf16)} to the server"
        assert scan_bytes(name, text.encode(), [secret]), name
        masked = mask_text(text, forms)
        assert MASK in masked and not scan_bytes(name, masked.encode(), [secret]), (
            name, masked)


#: text as logs hold it, without a secret: hex of other bytes, MAC addresses, words,
#: base32 and base85 of other data
ORDINARY = "\n".join([
    "link up on 00:1a:2b:3c:4d:5e (DE-AD-BE-EF-00-01), digest 9f86:d081:884c:7d65",
    "SHA1 Fingerprint=A9:4A:8F:E5:CC:B1:9B:A6:1C:4C:08:73:D3:91:E9:87:98:2F:BB:D3",
    "the quick brown fox jumps over the lazy dog; Plain-Secret words 0123456789",
    "onion " + base64.b32encode(bytes(range(40, 80))).decode().lower().rstrip("="),
    "id " + crockford(b"an ordinary identifier") + " " + base64.b32hexencode(b"x" * 12).decode(),
    "patch " + base64.b85encode(bytes(range(60))).decode(),
    "pdf <~" + base64.a85encode(b"an ordinary PDF stream of text").decode() + "~>",
])


@pytest.mark.parametrize("secret", SECRETS)
def test_text_without_the_secret_is_left_as_it_was(secret):
    """No ordinary hex, MAC address, word or encoded data is masked: each form is the whole
    secret's, and a text holding none of them is unchanged. Nor does the scanner report
    it. (A MAC address that starts with the secret's first bytes is not the secret.)"""
    from secret_scan import scan_bytes

    near_miss = secret.encode()[:5].hex(":") + ":00:00"
    text = f"{ORDINARY}\nneighbour {near_miss} and {secret.encode()[:3].hex(':', 2)}"
    assert mask_text(text, all_forms([secret])) == text
    assert not scan_bytes("ordinary", text.encode(), [secret])


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
        self.logger.info("grouped %s", (b"x" + raw).hex(":", 2).upper())
        self.logger.info("words %s", (b"xy" + raw).hex(" ", 4))
        self.logger.info("crockford %s", base64.b32hexencode(secret.encode("utf-16-le"))
                         .decode().translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUV",
                                                           "ABCDEFGHJKMNPQRSTVWXYZ")))
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
               "hex in pairs": (b"x" + raw).hex(":", 2).upper(),
               "hex in words": (b"xy" + raw).hex(" ", 4),
               "crockford of UTF-16": crockford(secret.encode("utf-16-le")),
               "uuencode": binascii.b2a_uu(raw).decode().strip()}
    assert any("mac-style ***" in text for text in left), "the run's log has no masked line"
    for name, text in written.items():
        # the middle third of each encoding holds only the secret's own characters
        piece = text[len(text) // 3: 2 * len(text) // 3]
        assert len(piece) >= 8
        assert not [where for where in left if piece in where], name

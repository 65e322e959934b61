"""A secret in layouts common tools and libraries write, beyond the codings of
test_secret_codings and the dumps of test_secret_dumps_and_folds:

- `pprint.pformat` of a long bytes value (or a str with spaces): pprint cuts the repr into
  pieces, each quoted by itself (`b'...'\\n b'...'`, CPython's Lib/pprint.py,
  _pprint_bytes and _wrap_bytes_repr, four bytes a piece; _pprint_str cuts after spaces);
- `od -c` and `hexdump -c`: a byte a 4-column cell (a character, a backslash escape, or
  three octal digits), 16 a line after an offset (GNU coreutils' od.c, print_named_ascii
  and print_ascii; util-linux hexdump's `-c` format);
- numeric character references (`&#115;`, `&#x73;`): an obfuscated address, and what
  `str.encode("ascii", "xmlcharrefreplace")` and ElementTree's `tostring(encoding=
  "us-ascii")` write for a character outside ASCII;
- a URL of the secret's UTF-16 (`quote(secret, encoding="utf-16-le")`, urlencode likewise);
- base64 of base64: a Kubernetes Secret of type dockerconfigjson, whose data is the base64
  of a JSON holding `auth`, the base64 of `user:password`.

Each layout is made here with the tool or the standard library, or from the tool's
documented layout, with random bytes around the secret at several offsets; the check is
that no piece of the secret (as the layout shows it) is left, and that ordinary text is.
"""

from __future__ import annotations

import base64
import json
import pprint
import random
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from urllib.parse import quote, urlencode

import pytest

from yt_pipeline.masked_tails import masked_end_of
from yt_pipeline.secret_forms import MASK, all_forms, mask_bytes, mask_data, mask_text

SECRETS = ["sk_live_4eC39HqLyjWDarjtT1zdp7dc", "p@ss w0rd-9876 Secret", "wïde/kéy-0123456789abcdef"]
#: typical tokens, to check ordinary text is left as it was
TOKENS = ["ghp_R4nd0mT0k3nV4lu3Xyz123456789abcdE", "AKIAIOSFODNN7EXAMPLE",
          "xoxb-1234567890-abcdefghijklmnop"]


def pieces(text: str, size: int = 6) -> list[str]:
    return [text[at:at + size] for at in range(len(text) - size + 1)]


# -- pprint -----------------------------------------------------------------------------

#: pprint's soft break between two pieces of one value: closing quote, line break and
#: indentation, an optional prefix, opening quote
_PPRINT_BREAK = re.compile(r"['\"]\n *[bBrRuU]{0,2}['\"]")


@pytest.mark.parametrize("secret", SECRETS)
def test_pprint_of_long_bytes_cutting_the_secret_is_masked(secret):
    forms = all_forms([secret])
    shown = repr(secret.encode())[2:-1]  # the secret as the repr of bytes shows it
    rng = random.Random(secret)
    cut = 0
    for before in range(8):
        data = rng.randbytes(before + 30) + secret.encode() + rng.randbytes(rng.randrange(40))
        for width in (40, 80):
            text = pprint.pformat({"body": data}, width=width)
            joined = _PPRINT_BREAK.sub("", text)
            assert shown in joined  # pprint wrote it so
            cut += shown not in text
            for masked in (mask_text(text, forms), mask_bytes(text.encode(), forms).decode(),
                           masked_end_of(text.encode(), 4096, forms).decode()):
                assert MASK in masked, masked
                flat = _PPRINT_BREAK.sub("", masked)
                left = [piece for piece in pieces(shown) if piece in flat]
                assert not left, (before, width, left, masked)
    assert cut >= 8  # most of them cut the secret between two lines


def test_pprint_of_a_long_str_cut_after_a_space_in_the_secret_is_masked():
    secret = SECRETS[1]
    forms = all_forms([secret])
    for words in range(1, 12):
        text = pprint.pformat({"message": "word " * words + secret + " and more" * 6},
                              width=40)
        masked = mask_text(text, forms)
        flat = _PPRINT_BREAK.sub("", masked)
        assert not [piece for piece in pieces(secret) if piece in flat], masked
        assert "word" in masked and "and more" in masked


# -- od -c ------------------------------------------------------------------------------

_NAMED = {0: "\\0", 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f",
          13: "\\r"}


def od_c(data: bytes, offsets: str = "o") -> str:
    """`od -c` (offsets="o"), `od -An -c` (""), `hexdump -c` ("x"): each byte right-aligned
    in a 4-column cell: printable ASCII as itself, the C escapes by name, any other byte
    as three octal digits; 16 a line after the offset (7 octal, or 7 hex, digits), and
    the offset of the end on a line of its own."""
    lines = []
    for at in range(0, len(data), 16):
        cells = "".join(f"{_NAMED.get(b) or (chr(b) if 32 <= b < 127 else f'{b:03o}'):>4}"
                        for b in data[at:at + 16])
        lines.append((f"{at:07o}" if offsets == "o" else f"{at:07x}" if offsets else "")
                     + cells)
    if offsets:
        lines.append(f"{len(data):07o}" if offsets == "o" else f"{len(data):07x}")
    return "\n".join(lines) + "\n"


def od_flat(text: str) -> str:
    """The characters an od -c dump shows, one after another (offsets and spaces out)."""
    return "".join(re.sub(r"^[0-9a-f]{7}", "", line).replace(" ", "")
                   for line in text.splitlines())


@pytest.mark.parametrize("secret", SECRETS)
def test_od_c_of_a_secret_is_masked(secret):
    forms = all_forms([secret])
    rng = random.Random(secret)
    for before in range(0, 20, 3):
        data = (b"Authorization: Bearer " + rng.randbytes(before) + secret.encode()
                + b"\r\n" + rng.randbytes(rng.randrange(20)))
        if before % 2:  # the secret in the last line of the dump, that line short
            data = data[:data.index(b"\r\n")]
        texts = {kind: od_c(data, kind) for kind in ("o", "x", "")}
        if shutil.which("od"):
            texts["od"] = subprocess.run(["od", "-c"], input=data, capture_output=True,
                                         check=True, env={"LC_ALL": "C"}).stdout.decode()
            assert texts["od"] == texts["o"]
        for kind, text in texts.items():
            for masked in (mask_text(text, forms), mask_bytes(text.encode(), forms).decode(),
                           masked_end_of(text.encode(), 4096, forms).decode()):
                flat = od_flat(masked)
                # the secret's ASCII characters (a space shows as nothing: left out)
                shown = "".join(char if char.isascii() else "#" for char in secret)
                left = [piece for piece in pieces(shown.replace(" ", ""))
                        if "#" not in piece and piece in flat]
                assert MASK in masked and not left, (kind, before, left, masked)
                assert "Authorization:" in flat  # the rest of the dump is kept
    assert_ordinary_text_left_alone()


# -- numeric character references --------------------------------------------------------

@pytest.mark.parametrize("secret", SECRETS)
def test_numeric_character_references_are_masked(secret):
    forms = all_forms([secret])
    rng = random.Random(secret)
    around = "".join(rng.choice("abcdef@.") for _ in range(6))
    texts = [
        "".join(f"&#{ord(char)};" for char in around + secret + around),
        "".join(f"&#x{ord(char):x};" for char in around + secret + around),
        (around + secret).encode("ascii", "xmlcharrefreplace").decode(),
    ]
    element = ET.Element("token")
    element.text = secret
    texts.append(ET.tostring(element, encoding="us-ascii").decode())
    for text in texts:
        masked = mask_text(text, forms)
        assert MASK in masked and secret not in masked, masked
        # each character's reference of the secret is gone
        refs = [f"&#{ord(char)};" for char in secret] + [f"&#x{ord(char):x};" for char in secret]
        runs = ["".join(refs[at:at + 4]) for at in range(len(secret) - 3)]
        assert not [run for run in runs if run in masked], masked


# -- the URL of UTF-16 -------------------------------------------------------------------

@pytest.mark.parametrize("secret", SECRETS)
def test_a_url_of_the_secrets_utf16_is_masked(secret):
    forms = all_forms([secret])
    texts = [
        "GET /login?token=" + quote(secret, safe="", encoding="utf-16-le"),
        "POST body " + urlencode({"password": secret}, encoding="utf-16-le"),
        "x=" + "".join(f"%{byte:02X}" for byte in secret.encode("utf-16-le")),
    ]
    for text in texts:
        masked = mask_text(text, forms)
        assert MASK in masked, masked
        left = masked.replace("%00", "")
        assert not [piece for piece in pieces(quote(secret, safe="")) if piece in left], masked


# -- base64 of base64 --------------------------------------------------------------------

def core(before: int, length: int, bits: int = 6) -> tuple[int, int]:
    """The characters of base64 that hold bits of the `length` bytes after `before` bytes
    alone (RFC 4648: character j holds bits 6j .. 6j+5)."""
    return -(-8 * before // bits), 8 * (before + length) // bits


def double_core(login: bytes, secret: str, config: str, outer: str) -> str:
    """The part of `outer` (base64 of `config`, which holds the base64 of `login` and the
    secret) made of the inner characters that are the secret's alone."""
    auth = base64.b64encode(login + secret.encode()).decode()
    start, end = core(len(login), len(secret.encode()))
    at = config.index(auth) + start
    pure = outer[slice(*core(at, end - start))]
    assert len(pure) >= 16
    return pure


@pytest.mark.parametrize("secret", SECRETS)
def test_base64_of_base64_as_a_kubernetes_secret_holds_it_is_masked(secret):
    forms = all_forms([secret])
    rng = random.Random(secret)
    for user in ("u", "ab", "bot", "robot$x", "deployer"):
        login = f"{user}:".encode()
        auth = base64.b64encode(login + secret.encode()).decode()
        config = json.dumps({"auths": {"registry.example.com" + "x" * rng.randrange(4):
                                       {"auth": auth}}})
        outer = base64.b64encode(config.encode()).decode()
        pure = double_core(login, secret, config, outer)
        text = f"data:\n  .dockerconfigjson: {outer}\n"
        masked = mask_text(text, forms)
        assert MASK in masked and masked.startswith("data:\n  .dockerconfigjson: ")
        assert not [piece for piece in pieces(pure, 8) if piece in masked], (user, masked)


# -- ordinary text -----------------------------------------------------------------------

def assert_ordinary_text_left_alone() -> None:
    """Log lines, pprint output, dumps, references, URLs and JSON records without a secret:
    as they were, with typical tokens among the secrets."""
    forms = all_forms(SECRETS + TOKENS)
    other = b"GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n" + bytes(range(40))
    texts = [
        "2026-12-06 12:00:01,123 INFO stage=join rows=1048576 took 12.5 s\n",
        pprint.pformat({"body": other * 2, "n": list(range(30))}, width=60),
        pprint.pformat(["a 'quoted' word " * 3, 'and "another" ' * 4], width=30),
        od_c(other), od_c(other, "x"), od_c(other, ""),
        "&#60;p&#62; caf&#233; &#x263a; &amp; &#8212; 12345678901234567890",
        "q=%73%00%6F%00%6D%00%65%00 " + base64.b64encode(base64.b64encode(other)).decode(),
        json.dumps([{"id": n, "token_id": f"{n:032x}", "ratio": n / 7} for n in range(20)]),
        "'line one'\n 'line two'\n b'\\x00\\x01'\n",
    ]
    for text in texts:
        assert mask_text(text, forms) == text
        assert mask_bytes(text.encode(), forms) == text.encode()
    debug = {"rows": [1, 2, 3], "dump": od_c(b"0123456789abcdef" * 3), "ratio": 0.25}
    assert mask_data(debug, forms) == debug


# -- a run -------------------------------------------------------------------------------

STAGE = """
import base64, json, pprint
from urllib.parse import quote

from yt_pipeline import BaseStage


def od_c(data):
    named = {0: "\\\\0", 9: "\\\\t", 10: "\\\\n", 13: "\\\\r"}
    lines = []
    for at in range(0, len(data), 16):
        cells = "".join(f"{named.get(b) or (chr(b) if 32 <= b < 127 else f'{b:03o}'):>4}"
                        for b in data[at:at + 16])
        lines.append(f"{at:07o}{cells}")
    return "\\n".join(lines)


class Leaky(BaseStage):
    def run(self, debug):
        secret = self.deps.pipeline_config.secret("API_KEY")
        raw = secret.encode()
        self.logger.info("sent %s", pprint.pformat({"body": bytes(range(37)) + raw}))
        self.logger.info("od -c:\\n%s", od_c(b"Authorization: Bearer " + raw))
        self.logger.info("html %s", "".join(f"&#{ord(c)};" for c in secret))
        self.logger.info("url %s", quote(secret, safe="", encoding="utf-16-le"))
        auth = base64.b64encode(b"robot:" + raw).decode()
        debug["dockerconfig"] = base64.b64encode(
            json.dumps({"auths": {"r.example.com": {"auth": auth}}}).encode()).decode()
        return debug
"""


def test_a_run_logging_these_layouts_leaves_none_of_them(tmp_path, capfd):
    from test_secrets_encoded import run_leaky_stage, the_run_log

    secret = SECRETS[0]
    blobs = run_leaky_stage(tmp_path / "p", STAGE, secret, capfd)
    log = the_run_log(blobs)
    assert "od -c:" in log and "html" in log and log.count(MASK) >= 4
    raw = secret.encode()
    auth = base64.b64encode(b"robot:" + raw).decode()
    config = json.dumps({"auths": {"r.example.com": {"auth": auth}}})
    outer = base64.b64encode(config.encode()).decode()
    written = {
        "pprint": secret,
        "html": "".join(f"&#{ord(c)};" for c in secret),
        "utf-16 url": quote(secret, safe="", encoding="utf-16-le"),
        "base64 of base64": double_core(b"robot:", secret, config, outer),
    }
    for where, data in blobs.items():
        text = data.decode("utf-8", "replace")
        flat = od_flat(_PPRINT_BREAK.sub("", text))
        for name, form in written.items():
            assert not [piece for piece in pieces(form, 12) if piece in text or piece in flat], (
                where, name)


# -- the independent scanner -------------------------------------------------------------

@pytest.mark.parametrize("secret", SECRETS)
def test_the_scanner_finds_the_secret_in_each_layout_unmasked(secret):
    """tests/reliability/secret_scan (written apart from the masking code) reports each
    layout above, so a run that let one through would be caught; and not their masked
    text, nor ordinary text."""
    from secret_scan import scan_bytes

    raw = secret.encode()
    rng = random.Random(secret)
    auth = base64.b64encode(b"robot:" + raw).decode()
    layouts = {
        "pprint": pprint.pformat({"body": rng.randbytes(33) + raw}, width=40),
        "od -c": od_c(b"Authorization: Bearer " + rng.randbytes(5) + raw),
        "od -An -c": od_c(rng.randbytes(7) + raw, ""),
        "html refs": "".join(f"&#{ord(char)};" for char in secret),
        "html hex refs": "".join(f"&#x{ord(char):x};" for char in secret),
        "utf-16 url": quote(secret, safe="", encoding="utf-16-le"),
        "base64 of base64": base64.b64encode(json.dumps({"auth": auth}).encode()).decode(),
    }
    forms = all_forms([secret])
    for name, text in layouts.items():
        assert scan_bytes(name, text.encode(), [secret]), name
        assert not scan_bytes(name, mask_text(text, forms).encode(), [secret]), name
    ordinary = pprint.pformat({"body": bytes(range(200))}) + od_c(bytes(range(100)))
    assert not scan_bytes("ordinary", ordinary.encode(), [secret])

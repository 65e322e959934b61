"""A secret's bytes in the encodings added after those of test_secrets_more_encodings: hex
(lower and upper case) of its UTF-16LE and UTF-16BE (a Windows registry or memory dump;
Java's `getBytes("UTF-16")` is big-endian after its BOM), base64 (standard and URL-safe)
and base32 of its UTF-16BE and base32 of its UTF-16LE, lower-case base32 of its UTF-8
(RFC 4648 section 6 alphabet, as DNS labels and onion names write it), and base64 of its
UTF-32LE. Each is masked wherever the secret's bytes fall in the encoded data: in a
stage's log, in the error it raises (console and run record), and the code archive's scan
refuses a file holding it."""

from __future__ import annotations

import base64
import re

import pytest
from test_secrets_encoded import dotenv_quoted, folder_blobs, the_run_log

from yt_pipeline.secret_forms import all_forms, mask_text
from yt_pipeline.testing import invoke_cli, write_pipeline

SECRETS = ["plain-Secret-0123456789", "wïde/kéy~0123456789abcdef?>"]


def _b32lower(data: bytes) -> bytes:
    return base64.b32encode(data).lower()


#: name: (how the secret's text becomes bytes, how those bytes are written, the bits a
#: character of the written form holds: 4 for hex, 6 for base64, 5 for base32)
ENCODINGS = {
    "hex utf-16le": ("utf-16-le", bytes.hex, 4),
    "HEX utf-16le": ("utf-16-le", lambda data: data.hex().upper(), 4),
    "hex utf-16be": ("utf-16-be", bytes.hex, 4),
    "HEX utf-16be": ("utf-16-be", lambda data: data.hex().upper(), 4),
    "base64 utf-16be": ("utf-16-be", base64.b64encode, 6),
    "urlsafe base64 utf-16be": ("utf-16-be", base64.urlsafe_b64encode, 6),
    "base32 utf-16be": ("utf-16-be", base64.b32encode, 5),
    "base32 utf-16le": ("utf-16-le", base64.b32encode, 5),
    "lower base32 utf-8": ("utf-8", _b32lower, 5),
    "base64 utf-32le": ("utf-32-le", base64.b64encode, 6),
}


def encoded(name: str, secret: str, before: bytes = b"", after: bytes = b"") -> tuple[str, str]:
    """The secret's bytes with `before` and `after` around them, in encoding `name`, and the
    part of that text that holds bits of the secret's bytes alone."""
    codec, encode, bits = ENCODINGS[name]
    data = secret.encode(codec)
    text = encode(before + data + after)
    text = text.decode("ascii") if isinstance(text, bytes) else text
    start, end = -(-8 * len(before) // bits), 8 * (len(before) + len(data)) // bits
    return text, text[start:end]


@pytest.mark.parametrize("name", list(ENCODINGS))
@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("offset", range(5))
def test_each_encoding_is_masked_wherever_the_secret_falls(name, secret, offset):
    forms = all_forms([secret])
    text, core = encoded(name, secret, b"<" * offset, b">" * 4)
    if name.startswith("urlsafe") and secret == SECRETS[1] and offset == 0:  # its alphabet
        assert re.search("[-_]", core), core
    masked = mask_text(f"cmd {text} end", forms)
    assert masked.startswith("cmd ") and masked.endswith(" end") and "***" in masked, masked
    # what is left of the encoded text is the few characters that hold the bytes around
    assert not any(core[at:at + 12] in masked for at in range(len(core) - 11)), masked


STAGE = """
import base64

from yt_pipeline import BaseStage


def written(secret):
    before, after = b"k=", b";"
    b32lower = lambda data: base64.b32encode(data).lower()
    framed = {codec: before + secret.encode(codec) + after
              for codec in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le")}
    return {
        "hex16le": framed["utf-16-le"].hex(),
        "HEX16le": framed["utf-16-le"].hex().upper(),
        "hex16be": framed["utf-16-be"].hex(),
        "HEX16be": framed["utf-16-be"].hex().upper(),
        "b64be": base64.b64encode(framed["utf-16-be"]).decode(),
        "urlbe": base64.urlsafe_b64encode(framed["utf-16-be"]).decode(),
        "b32be": base64.b32encode(framed["utf-16-be"]).decode(),
        "b32le": base64.b32encode(framed["utf-16-le"]).decode(),
        "b32lower": b32lower(framed["utf-8"]).decode(),
        "b64u32": base64.b64encode(framed["utf-32-le"]).decode(),
    }


class Leaky(BaseStage):
    def run(self, debug):
        secret = self.deps.pipeline_config.secret("API_KEY")
        for label, text in written(secret).items():
            self.logger.info("%s %s", label, text)
        raise RuntimeError("refused: " + " ".join(f"{k}={v}" for k, v in written(secret).items()))
"""
#: the same encodings as the stage writes them, by label
LABELS = {"hex16le": "hex utf-16le", "HEX16le": "HEX utf-16le", "hex16be": "hex utf-16be",
          "HEX16be": "HEX utf-16be", "b64be": "base64 utf-16be",
          "urlbe": "urlsafe base64 utf-16be", "b32be": "base32 utf-16be",
          "b32le": "base32 utf-16le", "b32lower": "lower base32 utf-8",
          "b64u32": "base64 utf-32le"}


@pytest.mark.parametrize("secret", SECRETS)
def test_the_encodings_are_masked_in_logs_errors_and_records(tmp_path, capfd, secret):
    assert set(LABELS.values()) == set(ENCODINGS)
    root = write_pipeline(tmp_path / "p", {
        "configs/secrets.env": f"API_KEY={dotenv_quoted(secret)}\n",
        "stages/leaky/stage.py": STAGE,
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["leaky"]}})
    result = invoke_cli("run", root)
    assert result.exit_code == 1, result.output
    printed = (result.output + "".join(capfd.readouterr())).encode()
    blobs = {**folder_blobs(root), "printed": printed}
    # the run's log has each line, its encoded secret cut out, and the error
    log = the_run_log(blobs)
    for label in LABELS:
        assert re.search(rf"{label} \S*\*\*\*", log), (label, log)
        assert re.search(rf"{label}=\S*\*\*\*", log), (label, log)
    # the error is in the console's output and in a run record too, masked
    assert "refused: " in printed.decode() and "hex16le=" in printed.decode()
    records = [name for name, data in blobs.items()
               if name.startswith(".runs/") and not name.endswith(".log")
               and b"refused: " in data and b"hex16le=" in data]
    assert records, sorted(blobs)
    cores = {name: encoded(name, secret, b"k=", b";")[1] for name in ENCODINGS}
    for where, data in blobs.items():
        for name, core in cores.items():
            # no 12 characters of the secret's own part of the encoding are left anywhere
            left = [core[at:at + 12] for at in range(len(core) - 11)
                    if core[at:at + 12].encode() in data]
            assert not left, (where, name, left)


MAP_CONFIG = ("client:\n  operations:\n    map:\n      input_table: //t\n"
              "      output_table: //u\n      mapper: src/mapper.py\n")


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_the_archive_scan_refuses_a_file_holding_an_encoding(tmp_path, name):
    secret = SECRETS[1]
    text, _ = encoded(name, secret, b"$t='", b"'")
    root = write_pipeline(tmp_path / "p", {
        "configs/secrets.env": f"API_KEY={dotenv_quoted(secret)}\n",
        "stages/s/stage.py": "from yt_pipeline import BaseStage\n\n\nclass S(BaseStage):\n"
                             "    def run(self, debug):\n        return debug\n",
        "stages/s/src/mapper.py": "print()\n",
        "stages/s/src/blob.txt": f"data = {text}\n",
        "stages/s/config.yaml": MAP_CONFIG,
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["s"]}})
    result = invoke_cli("run", root)
    assert result.exit_code != 0, result.output
    assert "blob.txt" in result.stderr and "API_KEY" in result.stderr, result.stderr
    assert text not in result.output
    # nothing was packed: the archive was refused before it was written
    assert not (root / ".build/source.tar.gz").exists()
    assert not list(root.rglob("*.tar.gz"))

"""PyYAML's set of refused characters is compiled from a listed spelling put in `re`'s cache
before yaml is imported (yaml_charset): the same characters, and PyYAML uses it."""

from __future__ import annotations

import re
import subprocess
import sys

from yt_pipeline.yaml_charset import NON_PRINTABLE, PYYAML_NON_PRINTABLE


def test_the_listed_set_is_pyyamls_over_every_code_point():
    every = "".join(map(chr, range(0x110000)))
    theirs = [m.start() for m in re.finditer(PYYAML_NON_PRINTABLE, every)]
    ours = [m.start() for m in re.finditer(NON_PRINTABLE, every)]
    assert ours == theirs
    assert len(ours) == 9 + 2 + 18 + 6 + 26 + 2048 + 2  # the ranges, counted by hand


def test_pyyaml_takes_the_listed_set_when_yaml_strict_comes_first():
    # a fresh interpreter: this one has imported yaml already
    check = ("import yt_pipeline.yaml_strict, yaml.reader; "
             "print(ascii(yaml.reader.Reader.NON_PRINTABLE.pattern))")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                          timeout=60, check=True)
    # PyYAML's own text would be printed if it had changed it, or had compiled its own
    assert done.stdout.rstrip("\n") == ascii(NON_PRINTABLE)


PROBE = """
import yt_pipeline.yaml_strict
import yaml

for text in ("a: \\x07", "a: \\ufffe", "a: b\\x1b[0m", "a: \\xa0\\ud7ff\\ue000\\ufffd\\U0010ffff"):
    try:
        # the pure-Python reader is the one that uses the pattern (libyaml has its own)
        print(ascii(yaml.load(text, Loader=yaml.SafeLoader)))
    except yaml.reader.ReaderError as exc:
        print(exc.reason if hasattr(exc, "reason") else exc)
"""


def test_pythons_reader_refuses_and_takes_what_yaml_does_with_the_listed_set():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.splitlines() == [
        "special characters are not allowed",
        "special characters are not allowed",
        "special characters are not allowed",
        ascii({"a": "\xa0\ud7ff\ue000\ufffd\U0010ffff"}),
    ]

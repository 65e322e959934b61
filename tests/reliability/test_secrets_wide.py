"""A secret written two or four bytes a character (UTF-16, UTF-32, with or without a BOM)
and JSON as encoders other than Python's write it (`/` as `\\/`, `\\uXXXX` in capitals)
is masked where each can appear: a stage's log lines (the console, the run's log and the
records hold the repr of the bytes and the JSON text) and the files a failed job wrote in
its kept sandbox (the bytes themselves)."""

from __future__ import annotations

import codecs
import json
import re

from test_secrets_encoded import dotenv_quoted, folder_blobs, the_run_log

from yt_pipeline.secret_forms import all_forms, mask_text
from yt_pipeline.testing import invoke_cli, write_pipeline

#: a `/` (so JSON may write `\/`) and non-ASCII letters (so JSON may write `\u00ef`)
SECRET = "wïde/kéy-0123456789abcdef"
WIDE_CODECS = ("utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be")
INPUT, OUTPUT = "//home/wide/input", "//home/wide/output"


def slash_escaped(text: str) -> str:
    """JSON with `/` as `\\/`, as PHP's json_encode writes it by default."""
    return json.dumps(text).replace("/", "\\/")


def capital_escapes(text: str) -> str:
    """JSON with `\\uXXXX` in capital hex digits, as Jackson (Java) writes it."""
    return re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), json.dumps(text))


STAGE = """
import json, re

from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Leaky(BaseStage):
    def run(self, debug):
        secret = self.deps.pipeline_config.secret("API_KEY")
        for codec in CODECS:
            self.logger.info("%s: %r", codec, secret.encode(codec))
        self.logger.info("slashes %s", json.dumps(secret).replace("/", "\\\\/"))
        self.logger.info("capitals %s", re.sub(r"\\\\u([0-9a-f]{4})",
                         lambda m: "\\\\u" + m.group(1).upper(), json.dumps(secret)))
        run_map(self, self.config.client.operations.map)
        return debug
""".replace("CODECS", repr(WIDE_CODECS))

# the job writes the secret in each wide encoding to files of its own, then fails: its
# sandbox is kept
MAPPER = """
import os, sys
from ytjobs import read_rows, write_rows

secret = os.environ["API_KEY"]
for codec in CODECS:
    with open("note." + codec + ".bin", "wb") as handle:
        handle.write(b"key=" + secret.encode(codec) + b";")
write_rows(read_rows())
sys.exit(2)
""".replace("CODECS", repr(WIDE_CODECS))


def make(root):
    return write_pipeline(root, {
        "configs/secrets.env": f"API_KEY={dotenv_quoted(SECRET)}\n",
        "stages/leaky/stage.py": STAGE,
        "stages/leaky/src/mapper.py": MAPPER,
        ".dev/home/wide/input.jsonl": '{"id":1}\n',
        "stages/leaky/config.yaml": (
            f"client:\n  operations:\n    map:\n      input_table: {INPUT}\n"
            f"      output_table: {OUTPUT}\n      env:\n        API_KEY: null\n"),
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["leaky"]}})


def written_forms() -> dict[str, bytes]:
    """Each form the stage and the job write, as it would read in a file."""
    found = {}
    for codec in WIDE_CODECS:
        data = SECRET.encode(codec)
        found[codec] = data
        found[f"repr {codec}"] = repr(data)[2:-1].encode()
        found[f"repr {codec} in JSON"] = json.dumps(repr(data)[2:-1])[1:-1].encode()
    for name, text in (("slashes", slash_escaped(SECRET)), ("capitals", capital_escapes(SECRET))):
        found[name] = text[1:-1].encode()
        found[f"{name} in JSON"] = json.dumps(text[1:-1])[1:-1].encode()
    return found


def test_wide_and_json_forms_are_masked_in_logs_records_and_the_kept_sandbox(tmp_path, capfd):
    root = make(tmp_path / "p")
    result = invoke_cli("run", root)
    assert result.exit_code == 1, result.output
    printed = (result.output + "".join(capfd.readouterr())).encode()
    blobs = {**folder_blobs(root), "printed": printed}
    leaks = [f"{where}: {name}" for where, data in blobs.items()
             for name, form in written_forms().items() if form in data]
    assert leaks == []
    # the lines are there, masked
    run_log = the_run_log(blobs)
    assert "utf-16-le: b'***'" in run_log
    assert "utf-16: b'\\xff\\xfe***'" in run_log
    assert "utf-32-be: b'***'" in run_log
    assert "slashes \"***\"" in run_log and "capitals \"***\"" in run_log
    # each file the job wrote is masked, the BOM before the secret left as it was
    # (the first attempt's sandbox and the last rerun's folder each keep them)
    notes = [(name.rsplit("/", 1)[1], data) for name, data in blobs.items()
             if "sandbox_" in name and "/note." in name]
    assert len(notes) == 2 * len(WIDE_CODECS)
    for name, data in notes:
        codec = name.removeprefix("note.").removesuffix(".bin")
        bom = {"utf-16": codecs.BOM_UTF16, "utf-32": codecs.BOM_UTF32}.get(codec, b"")
        assert data == b"key=" + bom + b"***;", name


def test_a_slash_escape_is_looked_for_only_in_a_secret_holding_a_slash():
    plain, slashed = "plain-secret-value", 'with/"slash"-secret'
    assert not any("\\/" in form for form in all_forms([plain]))
    assert mask_text(slash_escaped(slashed), all_forms([slashed])) == '"***"'


def test_html_escapes_and_go_json_are_masked_for_a_secret_holding_markup_characters():
    secret = 'a<b>&"c"-markup-secret'
    forms = all_forms([secret])
    # html.escape, as a page or an XML file holds it; Go's json.Marshal (HTML-safe by
    # default: `<`, `>`, `&` as \u003c, \u003e, \u0026, encoding/json's Marshal doc)
    written = ["a&lt;b&gt;&amp;&quot;c&quot;-markup-secret", 'a&lt;b&gt;&amp;"c"-markup-secret',
               'a\\u003cb\\u003e\\u0026\\"c\\"-markup-secret']
    assert [mask_text(f"x {text} y", forms) for text in written] == ["x *** y"] * 3
    assert not any("&amp;" in form or "u003c" in form for form in all_forms(["plain-secret"]))

"""A dev job that prints a secret on stdout (debugging) fails with "line 1 of its output is
not JSON: '...'": the error quotes the start of that line, and no part of the secret may
survive the cut. The failed operation's sandbox is kept: neither the job's output nor a
file the job wrote in its working folder may hold the secret there, while the input
tables the sandbox links to stay as they were."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_secrets_encoded import dotenv_quoted, folder_blobs
from test_secrets_nested import forms_of
from test_secrets_tails import pieces

from yt_pipeline.masked_tails import masked_start
from yt_pipeline.secret_forms import all_forms
from yt_pipeline.testing import invoke_cli, write_pipeline

SECRET = 'api"KEY\\job-output-0123456789abcdef'
INPUT, OUTPUT = "//home/out/input", "//home/out/output"

STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Leaky(BaseStage):
    def run(self, debug):
        run_map(self, self.config.client.operations.map)
        return debug
"""
# PREFIX: how many characters come before the secret on the line printed; WRITE: the job
# also writes it to a file of its own and fails
MAPPER = """
import os, sys
from ytjobs import read_rows, write_rows

secret = os.environ["API_KEY"]
if os.environ.get("WRITE"):
    with open("debug.txt", "w") as handle:
        handle.write("key=" + secret + "\\n")
    with open("note.bin", "wb") as handle:
        handle.write(secret.encode())
    write_rows(read_rows())
    sys.exit(2)
if os.environ.get("CODE"):
    # beside its own code, through the links to the extracted archive (`stages/...`)
    with open("stages/leaky/src/cache.txt", "w") as handle:
        handle.write("key=" + secret + "\\n")
    with open("ytjobs/note.txt", "w") as handle:
        handle.write("key=" + secret + "\\n")
    write_rows(read_rows())
    sys.exit(2)
if os.environ.get("NAMES"):
    open("cache-" + secret + ".txt", "w").close()
    os.makedirs("dir-" + secret + "/inner-" + secret)
    os.symlink("/nowhere/" + secret, "link")
    write_rows(read_rows())
    sys.exit(2)
print("x" * int(os.environ["PREFIX"]) + secret)
"""


def make(root, **env: str):
    env_yaml = "".join(f"        {name}: '{value}'\n" for name, value in env.items())
    return write_pipeline(root, {
        "configs/secrets.env": f"API_KEY={dotenv_quoted(SECRET)}\n",
        "stages/leaky/stage.py": STAGE,
        "stages/leaky/src/mapper.py": MAPPER,
        ".dev/home/out/input.jsonl": '{"id":1}\n',  # there before the run
        "stages/leaky/config.yaml": (
            f"client:\n  operations:\n    map:\n      input_table: {INPUT}\n"
            f"      output_table: {OUTPUT}\n      env:\n        API_KEY: null\n{env_yaml}"),
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["leaky"]}})


def found(blobs: dict[str, bytes]) -> list[str]:
    return [f"{name}: {form!r}" for name, data in blobs.items()
            for form in forms_of(SECRET) | pieces(SECRET, 10) if form.encode() in data]


@pytest.mark.parametrize("prefix", [0, 30, 70, 79])
def test_a_bad_output_line_is_quoted_without_any_part_of_a_secret(tmp_path, capfd, prefix):
    root = make(tmp_path / "p", PREFIX=str(prefix))
    result = invoke_cli("run", root)
    assert result.exit_code == 1, result.output
    assert "line 1 of its output is not JSON: 'xxx" in result.output or prefix == 0
    printed = result.output + "".join(capfd.readouterr())
    kept = [name for name in folder_blobs(root) if "sandbox_" in name]
    assert any(name.endswith("map0.out") for name in kept), kept
    assert found({**folder_blobs(root), "output": printed.encode()}) == []


def test_files_a_failed_job_wrote_are_masked_in_the_kept_sandbox(tmp_path, capfd):
    root = make(tmp_path / "p", WRITE="1")
    result = invoke_cli("run", root)
    assert result.exit_code == 1, result.output
    blobs = folder_blobs(root)
    debug = [data for name, data in blobs.items() if name.endswith("debug.txt")]
    # the first attempt's sandbox and the last rerun's folder each keep one
    assert debug and set(debug) == {b"key=***\n"}
    printed = result.output + "".join(capfd.readouterr())
    assert found({**blobs, "output": printed.encode()}) == []
    # the input table the sandbox links to is the table's own file: not written through
    assert blobs[".dev/home/out/input.jsonl"] == b'{"id":1}\n'


def test_names_a_failed_job_gave_its_files_are_masked_in_the_kept_sandbox(tmp_path):
    """A file or folder named after a secret (a cache keyed by a token), and a link
    pointing at one, kept the secret in the kept sandbox: only contents were masked."""
    root = make(tmp_path / "p", NAMES="1")
    result = invoke_cli("run", root)
    assert result.exit_code == 1, result.output
    [sandbox] = (root / ".dev").glob(".sandboxes/sandbox_*")
    names = {str(path.relative_to(sandbox)) for path in sandbox.rglob("*")
             if not path.relative_to(sandbox).parts[0].startswith(("_ytp", ".ytp"))}
    assert {"cache-***.txt", "dir-***", "dir-***/inner-***", "link"} <= names, names
    assert [name for name in names if any(form in name for form in forms_of(SECRET))] == []
    assert (sandbox / "link").readlink() == Path("/nowhere/***")


def test_files_a_failed_job_wrote_beside_its_code_are_masked_in_the_kept_sandbox(tmp_path):
    """The sandbox links the extracted archive's folders (`stages/`, `ytjobs/`) into the
    job's working folder: a file a job writes through them (a cache beside its script)
    lands in the extracted code, which was kept unmasked. The archive itself holds no
    secret (the build refuses one), so any there is a job's."""
    root = make(tmp_path / "p", CODE="1")
    result = invoke_cli("run", root)
    assert result.exit_code == 1, result.output
    blobs = folder_blobs(root)
    written = {name: data for name, data in blobs.items()
               if name.endswith(("stages/leaky/src/cache.txt", "ytjobs/note.txt"))}
    assert len(written) == 2 and set(written.values()) == {b"key=***\n"}, written
    assert found(blobs) == []
    # what the job did not write stays as extracted
    [mapper] = [data for name, data in blobs.items()
                if "sandbox_" in name and name.endswith("stages/leaky/src/mapper.py")]
    assert mapper == (root / "stages/leaky/src/mapper.py").read_bytes()


@pytest.mark.parametrize("at", range(0, 12))
def test_masked_start_never_shows_part_of_a_secret(at):
    forms = all_forms(["secret-ABCDEFGH"])
    line = b"." * at + b"secret-ABCDEFGH" + b"z" * 40
    shown = masked_start(line, 10, forms)
    assert b"secret"[:max(1, 10 - at)] not in shown.replace(b"***", b"")
    assert shown.startswith(b"." * min(at, 10))

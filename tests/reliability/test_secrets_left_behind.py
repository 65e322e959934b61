"""Everything a run leaves on disk, and prints, holds no secret, where the stage put the
secrets in the places likeliest to leak: a table path, a column name, a row value, the text
of a query (a string literal, a CAST), an attribute name and a list position the cluster
refuses, a move to a missing folder, a job's stderr and an exception message. Runs pass,
fail mid-stage and are killed (SIGKILL) mid-stage, in dev and in prod on the fake proxy;
each leaves its folder (.runs/ with its stage transaction notes and lock files, .build/,
.dev/ with kept sandboxes) to be scanned, byte by byte, archives and gzip members opened,
for every form secret_scan.py makes and a few more (EXTRA_FORMS).

Left out of the scan: the tables the stage itself named in dev's folder (their files, their
locks, a killed attempt's staged writes, the column cache of their schemas, the copy of its
input rows a kept sandbox holds). They hold the paths, columns and rows the stage chose, as
a cluster's tables do; a kept sandbox's name and its other files, a record or a log are not
a table, and are scanned.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from secret_scan import members, scan_bytes

from yt_pipeline.testing import write_pipeline

#: API_KEY: in table paths, a column name, a row value, an attribute name, a job's stderr
KEY = "Zq7sekretK9xPLmW"
#: YT_TOKEN (the fake proxy's too): in query text, a table read, an attribute
TOKEN = "ytp-TOKEN-Qw3rty7890abcd"
#: PASSPHRASE: not ASCII, so its JSON, YSON and URL forms differ from its text
WORDS = "pässwört-Ünï-7310"
SECRETS = (KEY, TOKEN, WORDS)
ROOT = "//home/sp"

STAGE = f'''
import os
import time
from pathlib import Path

from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Probe(BaseStage):
    def run(self, debug):
        secret = self.deps.pipeline_config.secret
        key, token, words = secret("API_KEY"), secret("YT_TOKEN"), secret("PASSPHRASE")
        yt = self.deps.yt_client
        refused = {{}}

        def attempt(what, call):
            try:
                call()
            except Exception as error:
                refused[what] = str(error).splitlines()[0]
                self.logger.warning("%s refused: %s", what, error)

        yt.write_table("{ROOT}/in", [{{"id": 1, "note": words}}])
        yt.write_table(f"{ROOT}/t_{{key}}", [{{"id": 1, f"c_{{key}}": key}}])
        yt.run_yql(f"INSERT INTO `{ROOT}/q_{{key}}` WITH TRUNCATE SELECT 1 AS id, 2 AS c_{{key}}")
        attempt("append", lambda: yt.run_yql(
            f"INSERT INTO `{ROOT}/q_{{key}}` SELECT 1 AS id, '{{key}}' AS c_{{key}}"))
        attempt("cast", lambda: yt.run_yql(
            f"INSERT INTO `{ROOT}/q_{{key}}` SELECT 1 AS id, "
            f"CAST('{{token}}' AS Int64) ?? '{{words}}' AS c_{{key}}"))
        attempt("missing", lambda: yt.run_yql(f"SELECT * FROM `{ROOT}/none_{{token}}`"))
        attempt("read", lambda: list(yt.read_table(f"{ROOT}/gone_{{token}}")))
        if hasattr(yt, "yt"):  # prod: the cluster's own refusals
            raw = yt.yt()
            raw.set("{ROOT}/in/@probe", {{"items": [1, 2]}})
            attempt("attribute", lambda: raw.get(f"{ROOT}/in/@{{key}}/x"))
            attempt("list position", lambda: raw.get(f"{ROOT}/in/@probe/items/{{key}}"))
            attempt("move", lambda: raw.move(f"{ROOT}/t_{{key}}", f"//home/none_{{key}}/x"))
            attempt("copy", lambda: raw.copy("{ROOT}/in", f"{ROOT}/in/@{{token}}"))
        operation = dict(self.config.client.operations.map)
        operation["output_table"] = f"{ROOT}/out_{{key}}"
        attempt("map", lambda: run_map(self, operation))
        debug["refused"] = refused
        Path(os.environ["SP_REACHED"]).touch()
        time.sleep(float(os.environ.get("SP_SLEEP", "0")))
        if os.environ.get("SP_FAIL"):
            raise RuntimeError(f"gave up with {{words}} and {{token}}")
        return debug
'''

#: writes the key it was given through the vault to its stderr, then fails
MAPPER = """
import os
import sys

key = os.environ.get("YT_SECURE_VAULT_API_KEY") or os.environ.get("API_KEY") or ""
sys.stdin.read()
sys.stderr.write("job sees " + key + "\\n")
sys.exit("job gave up with " + key)
"""

STAGE_CONFIG = f"""
client:
  operations:
    map:
      input_table: {ROOT}/in
      output_table: {ROOT}/out
      max_failed_job_count: 1
      env:
        API_KEY: null
"""


def extra_forms(secret: str) -> dict[str, bytes]:
    """Forms secret_scan does not make: base64 of the secret alone with its padding, each
    character as a JSON `\\uXXXX` escape (an encoder escaping all), and YSON's text string
    (ytsaurus-client's yson writer: its bytes past ASCII as `\\xHH`)."""
    import yt.yson

    raw = secret.encode()
    found = {"base64-padded": base64.b64encode(raw),
             "base64-urlsafe-padded": base64.urlsafe_b64encode(raw),
             "json-all-escaped": "".join(f"\\u{ord(c):04x}" for c in secret).encode(),
             "json-all-escaped-upper": "".join(f"\\u{ord(c):04X}" for c in secret).encode(),
             "yson": yt.yson.dumps(secret, yson_format="text")[1:-1]}
    for offset in range(3):  # unpadded, at each offset within the encoded data
        core = base64.b64encode(bytes(offset) + raw)[-(-8 * offset // 6):].rstrip(b"=")
        found[f"base64-unpadded@{offset}"] = core[:len(core) - 1]
    return found


def leaks_in(where: str, data: bytes) -> list[str]:
    found = [str(leak) for leak in scan_bytes(where, data, SECRETS)]
    for secret in SECRETS:
        found += [f"{where}: {name}" for name, form in extra_forms(secret).items()
                  if form in data]
    return found


#: dev's stand-in for the cluster's tables (see the module's docstring)
TABLE_STORAGE = (".dev/home/", ".dev/.locks/home.", ".dev/.txn/", ".dev/.cache/yql_columns/")


def left_behind(root: Path) -> list[str]:
    """The leaks in every file under `root` (paths, contents, archive and gzip members)."""
    found = []
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if (name == "configs/secrets.env" or name.startswith(TABLE_STORAGE)
                or "/.ytp_inputs/" in name):
            continue
        found += leaks_in(f"{name} (path)", name.encode())
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            found += leaks_in(name, data)
            for member, inner in members(name, data):
                found += leaks_in(member, inner)
    return found


@dataclass
class Run:
    root: Path
    mode: str
    code: int
    output: str

    def refused(self) -> dict[str, str]:
        entry = json.loads((self.root / f".runs/stages.{self.mode}.json").read_text())
        return entry["probe"]["debug"]["refused"]


def make(root: Path, mode: str, proxy_url: str = "") -> Path:
    secrets = f"YT_TOKEN={TOKEN}\nAPI_KEY={KEY}\nPASSPHRASE={WORDS}\n"
    pipeline = {"mode": mode, "cache": True}
    if mode == "prod":
        from yt_pipeline_prod.testing import TEST_PROD_OPTIONS

        secrets = f"YT_PROXY={proxy_url}\n" + secrets
        pipeline.update(build_folder=f"{ROOT}/build", prod=TEST_PROD_OPTIONS)
    return write_pipeline(root, {
        "configs/secrets.env": secrets,
        "stages/probe/stage.py": STAGE,
        "stages/probe/src/mapper.py": MAPPER,
        "stages/probe/config.yaml": STAGE_CONFIG,
    }, config={"pipeline": pipeline, "stages": {"enabled_stages": ["probe"]}})


def run(root: Path, mode: str, how: str) -> Run:
    """Run the pipeline to its end ("pass", "fail": the stage raises at its end) or kill
    its process group once the stage has done everything ("kill")."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("YT_PROXY", "YT_TOKEN", "API_KEY", "PASSPHRASE")}
    env["SP_REACHED"] = str(root / "reached")
    env.update({"fail": {"SP_FAIL": "1"}, "kill": {"SP_SLEEP": "60"}}.get(how, {}))
    process = subprocess.Popen([sys.executable, "-m", "yt_pipeline", "run", str(root)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                               start_new_session=True)
    if how == "kill":
        deadline = time.monotonic() + 60
        while not (root / "reached").exists():
            assert time.monotonic() < deadline and process.poll() is None, "never reached"
            time.sleep(0.02)
        os.killpg(process.pid, signal.SIGKILL)
    output, _ = process.communicate(timeout=120)
    (root / "reached").unlink(missing_ok=True)
    return Run(root, mode, process.returncode, output.decode("utf-8", "replace"))


@pytest.fixture(scope="module")
def dev_runs(tmp_path_factory) -> dict[str, Run]:
    base = tmp_path_factory.mktemp("dev")
    return {how: run(make(base / how, "dev"), "dev", how) for how in ("pass", "fail", "kill")}


@pytest.fixture(scope="module")
def prod_runs(tmp_path_factory) -> dict[str, Run]:
    pytest.importorskip("yt_pipeline_prod")
    from yt_pipeline_prod.testing import start_fake_proxy

    base = tmp_path_factory.mktemp("prod")
    runs = {}
    for how in ("pass", "fail", "kill"):
        fake = start_fake_proxy(token=TOKEN)  # one cluster a run: no run sees another's
        try:
            runs[how] = run(make(base / how, "prod", fake.url), "prod", how)
        finally:
            fake.stop()
    return runs


# -- dev -------------------------------------------------------------------------------

def test_dev_refusals_name_the_secrets_masked(dev_runs):
    refused = dev_runs["pass"].refused()
    assert refused["append"] == ('YQL: Table "//home/sp/q_***" row type differs from the '
                                 'written row type: Struct<c_***:Int32!=String>')
    assert refused["read"] == "table //home/sp/gone_*** does not exist"
    assert refused["missing"] == "YQL reads table //home/sp/none_***, which does not exist"
    assert set(refused) == {"append", "cast", "missing", "read", "map"}


@pytest.mark.parametrize("how", ["pass", "fail", "kill"])
def test_dev_run_leaves_no_secret(dev_runs, how):
    done = dev_runs[how]
    assert done.code == {"pass": 0, "fail": 1, "kill": -signal.SIGKILL}[how], done.output
    assert leaks_in("output", done.output.encode()) == []
    assert left_behind(done.root) == []


def test_dev_failed_job_sandbox_is_kept_where_its_error_says(dev_runs):
    """The sandbox of the failed map, named after its tables, one holding the key: kept
    under a name without it, the one its error names (the error's masking of the name
    used to leave a path that does not exist)."""
    done = dev_runs["pass"]
    line = done.refused()["map"]
    assert "sandbox kept at " in line, line
    kept = Path(line.split("sandbox kept at ")[1].split(";")[0])
    assert kept.parent == done.root / ".dev/.sandboxes"
    assert kept.name == "sandbox_probe.map_home.sp.in_to_home.sp.out__", kept
    assert (kept / "map0.stderr").read_text().startswith("job sees ***"), kept


# -- prod on the fake proxy ------------------------------------------------------------

def test_prod_refusals_name_the_secrets_masked(prod_runs):
    refused = prod_runs["pass"].refused()
    assert refused["append"] == ('Table "//home/sp/q_***" row type differs from the written '
                                 'row type: Struct<c_***:Int32!=String>')
    assert refused["attribute"] == 'Attribute "***" is not found'
    assert refused["list position"] == 'Invalid list index "***"'
    assert refused["move"] == "Error resolving path //home/none_***"
    assert refused["read"] == "table //home/sp/gone_*** does not exist"


@pytest.mark.parametrize("how", ["pass", "fail", "kill"])
def test_prod_run_leaves_no_secret(prod_runs, how):
    done = prod_runs[how]
    assert done.code == {"pass": 0, "fail": 1, "kill": -signal.SIGKILL}[how], done.output
    assert leaks_in("output", done.output.encode()) == []
    assert left_behind(done.root) == []


def test_prod_killed_run_leaves_its_notes_and_lock_to_scan(prod_runs):
    """The scan of the killed run saw what it is for: the note of the stage's open
    transaction and the run's lock."""
    root = prod_runs["kill"].root
    lock = json.loads((root / ".runs/prod.lock").read_text())
    [note] = list((root / ".runs/stage_transactions").iterdir())
    assert note.name.startswith(f"{lock['run_id']}--")
    assert json.loads(note.read_text())["title"] == (
        f"yt-pipeline {lock['run_id']} stage probe attempt 1")


# -- the cache, with a written table's path kept masked --------------------------------

CACHED_STAGE = """
from yt_pipeline import BaseStage


class Named(BaseStage):
    def run(self, debug):
        key = self.deps.pipeline_config.secret("API_KEY")
        self.deps.yt_client.write_table(f"//home/c/t_{key}", [{"id": 1}])
        return debug
"""


def test_a_cached_stage_that_wrote_a_table_named_by_a_secret_runs_again(tmp_path):
    """The state keeps the table's path masked: which table it was is not known again, so
    the next run cannot tell it is still there and runs the stage (where it used to be a
    cache hit that kept the path in clear), saying why in a line that names no secret."""
    from yt_pipeline.testing import invoke_cli

    root = write_pipeline(tmp_path / "p", {
        "configs/secrets.env": f"API_KEY={KEY}\n",
        "stages/named/stage.py": CACHED_STAGE,
    }, config={"pipeline": {"mode": "dev", "cache": True},
               "stages": {"enabled_stages": ["named"]}})
    first = invoke_cli("run", root)
    assert first.exit_code == 0, first.output
    state = json.loads((root / ".runs/stages.dev.json").read_text())
    assert state["named"]["wrote"] == ["//home/c/t_***"]
    run_id = state["named"]["run_id"]
    second = invoke_cli("run", root)
    assert second.exit_code == 0, second.output
    [miss] = [line for line in second.output.splitlines() if "cache miss" in line]
    assert (f"[named] cache miss: table //home/c/t_*** it wrote in run {run_id} has a secret "
            "in its path, which is not kept: whether it is still there cannot be told; code="
            ) in miss, miss
    assert "[named] started" in second.output
    assert leaks_in("output", (first.output + second.output).encode()) == []
    assert left_behind(root) == []

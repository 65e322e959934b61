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
import functools
import json
import os
import shutil
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
        # queries of a table an earlier stage wrote, refused as they compile
        attempt("member", lambda: yt.run_yql(f"SELECT no_{{key}} FROM `{ROOT}/seed`"))
        attempt("syntax", lambda: yt.run_yql(f"SELECT {{words}} FROM `{ROOT}/seed`"))
        attempt("literal", lambda: yt.run_yql(
            f"SELECT * FROM `{ROOT}/seed` WHERE note = '{{token}}"))
        attempt("default", lambda: yt.run_yql(
            f"INSERT INTO `{ROOT}/seed` SELECT CAST(note AS Int64) ?? '{{key}}' AS note "
            f"FROM `{ROOT}/seed`"))
        if hasattr(yt, "yt"):  # prod: the cluster's own refusals
            raw = yt.yt()
            raw.set("{ROOT}/in/@probe", {{"items": [1, 2]}})
            attempt("attribute", lambda: raw.get(f"{ROOT}/in/@{{key}}/x"))
            # not ASCII: the client sends it in a header, escaped, which its error repeats
            attempt("attribute in words", lambda: raw.get(f"{ROOT}/in/@{{words}}"))
            attempt("move in words", lambda: raw.move("{ROOT}/in", f"//home/{{words}}/x"))
            attempt("list position", lambda: raw.get(f"{ROOT}/in/@probe/items/{{key}}"))
            attempt("move", lambda: raw.move(f"{ROOT}/t_{{key}}", f"//home/none_{{key}}/x"))
            attempt("copy", lambda: raw.copy("{ROOT}/in", f"//home/none_{{token}}/x"))
            attempt("copy to an attribute", lambda: raw.copy("{ROOT}/in",
                                                             f"{ROOT}/in/@{{token}}"))
            attempt("set at a position", lambda: raw.set(
                f"{ROOT}/in/@probe/items/{{key}}", 1))
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

SEED_STAGE = f"""
from yt_pipeline import BaseStage


class Seed(BaseStage):
    def run(self, debug):
        self.deps.yt_client.run_yql(
            "INSERT INTO `{ROOT}/seed` WITH TRUNCATE SELECT 1 AS id, 'plain' AS note")
        return debug
"""

#: writes the key it was given through the vault to its stderr, as it is and encoded as a
#: job's own code may (a Basic header, a dump, a URL, JSON and YSON writers), then fails
MAPPER = """
import base64
import json
import os
import sys
from urllib.parse import quote

key = os.environ.get("YT_SECURE_VAULT_API_KEY") or os.environ.get("API_KEY") or ""
data = key.encode()
sys.stdin.read()
sys.stderr.write("job sees " + key + "\\n")
sys.stderr.write("auth " + base64.b64encode(b"user:" + data).decode() + "\\n")
sys.stderr.write("padded " + base64.b64encode(data).decode() + "\\n")
sys.stderr.write("dump " + data.hex() + " " + data.hex().upper() + "\\n")
sys.stderr.write("url " + quote("k=" + key, safe="") + "\\n")
sys.stderr.write("every char " + "".join("\\\\u%04x" % ord(c) for c in key) + "\\n")
sys.stderr.write("record " + json.dumps({"key": key}) + "\\n")
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


@functools.lru_cache(maxsize=8)
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
        "stages/seed/stage.py": SEED_STAGE,
        "stages/probe/stage.py": STAGE,
        "stages/probe/src/mapper.py": MAPPER,
        "stages/probe/config.yaml": STAGE_CONFIG,
    }, config={"pipeline": pipeline, "stages": {"enabled_stages": ["seed", "probe"]}})


#: where the "commit" run is killed: its stage's success is in its commit record (the
#: journal), its transaction still open (prod) and noted, its lock held
COMMIT_POINT = "journal: after the commit record"
HOW = ("pass", "fail", "kill", "commit")


def run(root: Path, mode: str, how: str, commit_point: int = 0) -> Run:
    """Run the pipeline to its end ("pass"; "fail": the stage raises at its end; "resume":
    with --resume), or kill its process group once the stage has done everything ("kill"),
    or have it killed at the crash point numbered `commit_point` (core/crashpoints.py;
    "commit"). "pass" notes its crash points in `<mode>-points`."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("YT_PROXY", "YT_TOKEN", "API_KEY", "PASSPHRASE")}
    env["SP_REACHED"] = str(root / "reached")
    env.update({"pass": {"YTP_CRASH_COUNT": str(root.parent / f"{mode}-points")},
                "fail": {"SP_FAIL": "1"}, "kill": {"SP_SLEEP": "60"},
                "commit": {"YTP_CRASH_AT": str(commit_point)}, "resume": {}}[how])
    resume = ["--resume"] if how == "resume" else []
    process = subprocess.Popen([sys.executable, "-m", "yt_pipeline", "run", str(root), *resume],
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


def commit_point_of(base: Path, mode: str) -> int:
    """The number of the last COMMIT_POINT (probe's) in the "pass" run's crash points."""
    points = (base / f"{mode}-points").read_text().splitlines()
    return max(int(number) for number, name in (line.split(" ", 1) for line in points)
               if name == COMMIT_POINT)


@pytest.fixture(scope="module")
def dev_runs(tmp_path_factory) -> dict[str, Run]:
    base = tmp_path_factory.mktemp("dev")
    runs = {}
    for how in HOW:
        point = commit_point_of(base, "dev") if how == "commit" else 0
        runs[how] = run(make(base / how, "dev"), "dev", how, point)
    return runs


@pytest.fixture(scope="module")
def prod_runs(tmp_path_factory) -> dict[str, Run]:
    pytest.importorskip("yt_pipeline_prod")
    from yt_pipeline_prod.testing import start_fake_proxy

    base = tmp_path_factory.mktemp("prod")
    runs = {}
    for how in HOW:
        point = commit_point_of(base, "prod") if how == "commit" else 0
        fake = start_fake_proxy(token=TOKEN)  # one cluster a run: no run sees another's
        try:
            runs[how] = run(make(base / how, "prod", fake.url), "prod", how, point)
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
    assert refused["member"] == "YQL: 1:8: Member not found: no_***"
    assert refused["literal"] == ("YQL: 1:45: unterminated ' quote (line 1, column 45 of the "
                                  "query)")
    assert set(refused) == {"append", "cast", "missing", "read", "member", "syntax",
                            "literal", "default", "map"}


EXIT_CODES = {"pass": 0, "fail": 1, "kill": -signal.SIGKILL, "commit": -signal.SIGKILL}


@pytest.mark.parametrize("how", HOW)
def test_dev_run_leaves_no_secret(dev_runs, how):
    done = dev_runs[how]
    assert done.code == EXIT_CODES[how], done.output
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
    # each form of the key masked, what is not the key's own left as the job wrote it
    assert (kept / "map0.stderr").read_text().splitlines() == [
        "job sees ***", "auth dXNlcjp***", "padded ***w==", "dump *** ***", "url k%3D***",
        "every char ***", 'record {"key": "***"}', "job gave up with ***"]


# -- prod on the fake proxy ------------------------------------------------------------

def test_prod_refusals_name_the_secrets_masked(prod_runs):
    """A cluster's refusals quote what they refuse: the attribute key ('Attribute %Qv is not
    found', ThrowNoSuchAttribute in yt/yt/core/ytree/exception_helpers.cpp), the path of a
    move or copy ("Error resolving path %v", ResolveYPath in yt/yt/core/ytree/
    ypath_client.cpp), a list position (ParseListIndex, as fake/list_items.py has it), the
    columns of an append (GetTypeDiff, as core/yql_type_diff.py has it): each, the fake's
    as a cluster's, reaches the stage's log and its debug with the secret masked."""
    refused = prod_runs["pass"].refused()
    assert refused["append"] == ('Table "//home/sp/q_***" row type differs from the written '
                                 'row type: Struct<c_***:Int32!=String>')
    assert refused["attribute"] == 'Attribute "***" is not found'
    assert refused["list position"] == 'Invalid list index "***"'
    assert refused["move"] == "Error resolving path //home/none_***"
    assert refused["copy"] == "Error resolving path //home/none_***"
    assert refused["read"] == "table //home/sp/gone_*** does not exist"
    assert refused["member"].endswith(" failed: YQL: 1:8: Member not found: no_***")
    assert refused["missing"].endswith(" failed: Table //home/sp/none_*** does not exist")


@pytest.mark.parametrize("how", HOW)
def test_prod_run_leaves_no_secret(prod_runs, how):
    done = prod_runs[how]
    assert done.code == EXIT_CODES[how], done.output
    assert leaks_in("output", done.output.encode()) == []
    assert left_behind(done.root) == []


@pytest.mark.parametrize("how", ["kill", "commit"])
def test_prod_killed_run_leaves_its_notes_and_lock_to_scan(prod_runs, how):
    """The scan of the killed runs saw what it is for: the note of the stage's open
    transaction and the run's lock; and killed after its commit record, that record, with
    the tables the stage wrote and their transaction."""
    root = prod_runs[how].root
    lock = json.loads((root / ".runs/prod.lock").read_text())
    [note] = list((root / ".runs/stage_transactions").iterdir())
    assert note.name.startswith(f"{lock['run_id']}--")
    assert json.loads(note.read_text())["title"] == (
        f"yt-pipeline {lock['run_id']} stage probe attempt 1")
    if how == "commit":
        [record] = [json.loads(path.read_text())
                    for path in (root / ".runs/journal.prod").glob("*.json")]
        assert "//home/sp/t_***" in record["entry"]["wrote"], record
        assert note.name == f"{lock['run_id']}--{record['token']['transaction_id']}.json"


def test_dev_run_killed_after_its_commit_record_keeps_it_masked(dev_runs):
    """The record names the transaction's folder alone: its tables' paths hold the key."""
    [record] = [json.loads(path.read_text())
                for path in (dev_runs["commit"].root / ".runs/journal.dev").glob("*.json")]
    assert record["stage"] == "probe"
    assert "//home/sp/t_***" in record["entry"]["wrote"], record
    assert list(record["token"]) == ["txn"], record


def copied(root: Path, name: str) -> Path:
    """A copy of a killed run's folder, to resume: the fixtures' runs stay as they were for
    the other tests."""
    return shutil.copytree(root, root.parent / f"{root.name}-{name}")


def test_dev_commit_recorded_with_secret_paths_is_finished_by_the_resume(dev_runs):
    done = run(copied(dev_runs["commit"].root, "resumed"), "dev", "resume")
    assert done.code == 0, done.output
    assert "finishing 1 commit(s) of an interrupted run: probe" in done.output, done.output
    assert "[probe] started" not in done.output  # finished, not run again
    rows = (done.root / f".dev/home/sp/t_{KEY}.jsonl").read_text().splitlines()
    assert [json.loads(row) for row in rows] == [{"id": 1, f"c_{KEY}": KEY}]
    assert list((done.root / ".runs/journal.dev").glob("*.json")) == []
    assert leaks_in("output", done.output.encode()) == []
    assert left_behind(done.root) == []


def test_dev_commit_whose_manifest_is_damaged_too_is_left_naming_it(dev_runs):
    """The record does not list the tables: with the manifest that does damaged, which
    tables the commit changes cannot be told, and the resume stops naming the manifest."""
    root = dev_runs["commit"].root
    [manifest] = list((root / ".dev/.txn").glob("*/manifest.json"))
    copy = copied(root, "damaged")
    damaged = copy / manifest.relative_to(root)
    damaged.write_text('{"tables": ')
    done = run(copy, "dev", "resume")
    errors = [line for line in done.output.splitlines() if line.startswith("error:")]
    assert done.code == 1 and errors == [
        f"error: {damaged} is damaged (Expecting value: line 1 column 12 (char 11)): it lists "
        "the tables a commit recorded in .runs/journal.<state>/ changes, which is left "
        "unfinished and the tables as they are; the commit markers .dev/.locks/*.pending "
        f"naming {damaged.parent.relative_to(copy / '.dev')} say which staged file of it is "
        "which table's"], done.output
    assert not (copy / f".dev/home/sp/t_{KEY}.jsonl").exists()
    assert leaks_in("output", done.output.encode()) == []


# -- the cache, with a written table's path kept masked --------------------------------

CACHED_STAGES = {
    "stages/named/stage.py": """
from yt_pipeline import BaseStage


class Named(BaseStage):
    def run(self, debug):
        key = self.deps.pipeline_config.secret("API_KEY")
        self.deps.yt_client.write_table(f"//home/c/t_{key}", [{"id": 1}])
        return debug
""",
    # a local cache file keyed by the key, as a stage's code may keep one
    "stages/reader/stage.py": """
from pathlib import Path

from yt_pipeline import BaseStage


class Reader(BaseStage):
    def run(self, debug):
        key = self.deps.pipeline_config.secret("API_KEY")
        debug["cached"] = (Path(__file__).parents[2] / "data" / f"cache_{key}.txt").read_text()
        return debug
""",
    f"data/cache_{KEY}.txt": "cached words",
}


def test_a_cached_stage_with_a_path_named_by_a_secret_runs_again(tmp_path):
    """The state keeps a written table's path, and a read data file's, masked: which one
    it was is not known again, so the next run cannot tell it is unchanged and runs the
    stage (where it used to be a cache hit that kept the path in clear), saying why in a
    line that names no secret."""
    from yt_pipeline.testing import invoke_cli

    root = write_pipeline(tmp_path / "p", {"configs/secrets.env": f"API_KEY={KEY}\n",
                                           **CACHED_STAGES},
                          # two stages of no dependency: each misses for its own path
                          # (in a chain, the second would miss for its upstream's rerun)
                          config={"pipeline": {"mode": "dev", "cache": True},
                                  "stages": {"graph": {"named": [], "reader": []}}})
    first = invoke_cli("run", root)
    assert first.exit_code == 0, first.output
    state = json.loads((root / ".runs/stages.dev.json").read_text())
    assert state["named"]["wrote"] == ["//home/c/t_***"]
    assert list(state["reader"]["opened"]) == ["data/cache_***.txt"]
    run_id = state["named"]["run_id"]
    second = invoke_cli("run", root)
    assert second.exit_code == 0, second.output
    misses = sorted(line.split("cache miss: ")[1].split("; code=")[0]
                    for line in second.output.splitlines() if "cache miss" in line)
    assert misses == [
        f"data file data/cache_***.txt it read in run {run_id} has a secret in its path, "
        "which is not kept: whether it changed cannot be told",
        f"table //home/c/t_*** it wrote in run {run_id} has a secret in its path, which is "
        "not kept: whether it is still there cannot be told"]
    assert "[named] started" in second.output and "[reader] started" in second.output
    assert leaks_in("output", (first.output + second.output).encode()) == []
    # the data file the stage read is the one file named by the key
    assert [leak for leak in left_behind(root) if not leak.startswith("data/")] == []

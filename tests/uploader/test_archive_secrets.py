"""No secret reaches the code archive: not through a stage config's JSON twin, not as a copy
of secrets.env under another name, not in any file packed. Each test opens the archive."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
from packaging_helpers import archive_files

from yt_pipeline.testing import invoke_cli

pytest.importorskip("yt_pipeline_uploader")

TOKEN = "ytp-token-ARCHIVE-0123456789abcdef"
API_KEY = 'api-"key"-ARCHIVE-9876'
STAGE = "from yt_pipeline import BaseStage\n\nclass S(BaseStage):\n    def run(self, debug):\n        return debug\n"
MAP = "client:\n  operations:\n    map: {input_table: //t, output_table: //u}\n"
#: every written form of both secrets: a member holding any of them is a leak
FORMS = [TOKEN, API_KEY, json.dumps(API_KEY)[1:-1], quote(API_KEY, safe="")]


@pytest.fixture(autouse=True)
def token(monkeypatch):
    monkeypatch.setenv("YT_TOKEN", TOKEN)
    monkeypatch.delenv("API_KEY", raising=False)


def make(make_pipeline, extra: dict[str, str] | None = None, config_yaml: str = MAP,
         upload_paths: list | None = None) -> Path:
    files = {"stages/s/stage.py": STAGE, "stages/s/src/mapper.py": "print()\n",
             "stages/s/config.yaml": config_yaml,
             "configs/secrets.env": f"API_KEY='{API_KEY}'\n", **(extra or {})}
    return make_pipeline(files, config={
        "pipeline": {"mode": "dev", "upload_paths": upload_paths or []},
        "stages": {"enabled_stages": ["s"]}})


def package(root: Path):
    return invoke_cli("package", str(root))


def packed(root: Path) -> dict[str, bytes]:
    result = package(root)
    assert result.exit_code == 0, result.output
    return archive_files(root / ".build" / "source.tar.gz")


def leaks(files: dict[str, bytes]) -> list[str]:
    return [name for name, data in files.items() for form in FORMS if form.encode() in data]


def refused(root: Path) -> str:
    """The one-line error of a build that must not happen; the archive stays as it was."""
    archive = root / ".build" / "source.tar.gz"
    before = archive.read_bytes() if archive.exists() else None
    result = package(root)
    assert result.exit_code == 2, result.output
    assert (archive.read_bytes() if archive.exists() else None) == before
    assert TOKEN not in result.output and API_KEY not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    return errors[0]


# --- the stage config's JSON twin ---------------------------------------------------------

def test_a_token_reference_in_a_stage_config_is_refused(make_pipeline):
    root = make(make_pipeline, config_yaml=MAP + 'job:\n  token: "OAuth ${oc.env:YT_TOKEN}"\n')
    assert refused(root) == (
        "error: stages/s/config.yaml: job.token holds the value of YT_TOKEN, a secret, which "
        "would be shipped in the code archive; give it to the job through the operation's "
        "`env` instead (a name from secrets.env travels as a secret)")
    assert not (root / ".build" / "source.tar.gz").exists()


def test_a_reference_to_a_short_secret_is_refused_too(make_pipeline, monkeypatch):
    # too short for the search by value, but a reference names the secret
    monkeypatch.setenv("YT_TOKEN", "t0k")
    root = make(make_pipeline, config_yaml=MAP + "job: {token: '${oc.env:YT_TOKEN}'}\n")
    assert "job.token holds the value of YT_TOKEN" in refused(root)


def test_a_secret_typed_into_a_stage_config_is_refused(make_pipeline):
    config = MAP + f"job:\n  keys: [plain, '{API_KEY}']\n"
    assert "stages/s/config.yaml: job.keys[1] holds the value of API_KEY" in refused(
        make(make_pipeline, config_yaml=config))


def test_a_key_that_interpolates_a_secret_is_refused(make_pipeline, monkeypatch):
    monkeypatch.setenv("API_KEY", API_KEY)
    config = MAP + "auth:\n  header: 'Bearer ${oc.env:API_KEY}'\njob:\n  copy: 'x ${auth.header}'\n"
    message = refused(make(make_pipeline, config_yaml=config))
    assert "stages/s/config.yaml: auth.header holds the value of API_KEY" in message


def test_the_interpolating_key_is_named_when_only_it_ships_the_secret(make_pipeline):
    # the secret is written in pieces that only interpolation joins
    head, tail = TOKEN[:10], TOKEN[10:]
    config = MAP + f"parts: {{a: '{head}', b: '{tail}'}}\njob: {{token: '${{parts.a}}${{parts.b}}'}}\n"
    assert "stages/s/config.yaml: job.token holds the value of YT_TOKEN" in refused(
        make(make_pipeline, config_yaml=config))


def test_references_to_other_variables_still_reach_the_job(make_pipeline, monkeypatch):
    monkeypatch.setenv("REGION", "eu-west-central")
    config = MAP + "job: {region: '${oc.env:REGION}', proxy: '${oc.env:NOT_SET_ANYWHERE,none}'}\n"
    files = packed(make(make_pipeline, config_yaml=config))
    assert json.loads(files["stages/s/config.json"])["job"] == {
        "region": "eu-west-central", "proxy": "none"}
    assert leaks(files) == []


# --- files named as secrets ---------------------------------------------------------------

SECRET_NAMES = ["secrets.env~", ".secrets.env.swp", "secrets.env.bak", "secrets.env.orig",
                "SECRETS.ENV", "Secrets.Env", "#secrets.env#", "prod.secrets.env", ".env",
                ".env.local", ".ENV.production", ".env~"]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_copies_of_secrets_are_never_packed(make_pipeline, name):
    copy = f"YT_TOKEN={TOKEN}\nAPI_KEY='{API_KEY}'\n"
    root = make(make_pipeline, extra={f"configs/{name}": copy, f"stages/s/src/{name}": copy,
                                      "configs/settings.txt": "kept\n"},
                upload_paths=[{"source": "configs", "target": "cfg"}])
    files = packed(root)
    assert "cfg/settings.txt" in files and "stages/s/src/mapper.py" in files
    assert [n for n in files if n.rsplit("/", 1)[-1] == name] == []
    assert leaks(files) == []


def test_a_dotenv_file_in_src_is_left_out_without_upload_paths(make_pipeline):
    files = packed(make(make_pipeline, extra={"stages/s/src/.env": f"YT_TOKEN={TOKEN}\n"}))
    assert "stages/s/src/mapper.py" in files and "stages/s/src/.env" not in files
    assert leaks(files) == []


def test_names_that_only_look_alike_are_packed(make_pipeline):
    names = ["secrets.environment.py", "envelope.py", "my.env.example.txt", "dotenv.py", ".envrc"]
    files = packed(make(make_pipeline, extra={f"stages/s/src/{n}": "X = 1\n" for n in names}))
    assert {f"stages/s/src/{n}" for n in names} <= set(files)


@pytest.mark.parametrize("name", ["secrets.env.bak", ".env"])
def test_naming_a_secret_copy_in_upload_paths_is_refused(make_pipeline, name):
    root = make(make_pipeline, extra={name: f"YT_TOKEN={TOKEN}\n"}, upload_paths=[name])
    assert refused(root) == (f"error: pipeline.upload_paths[0]: source {name} is a secrets "
                             "file; it is never packed")


# --- every byte packed is searched ----------------------------------------------------------

@pytest.mark.parametrize("written", [TOKEN, API_KEY, json.dumps(API_KEY)[1:-1],
                                     quote(API_KEY, safe="")])
def test_a_file_holding_a_secret_refuses_the_build(make_pipeline, written):
    root = make(make_pipeline)
    packed(root)  # a good build first: the refused one must leave it as it was
    (root / "stages/s/src/settings.py").write_text(f"VALUE = '{written}'\n")
    name = "YT_TOKEN" if written == TOKEN else "API_KEY"
    assert refused(root) == (
        f"error: stages/s/src/settings.py holds the value of {name}, a secret, and would be "
        "shipped in the code archive; remove it from the file, or keep the file out with a "
        ".ytignore rule (a job that needs the secret gets it through its operation's `env`)")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le",
                                   "utf-32-be"])
def test_a_file_holding_a_secret_two_or_four_bytes_a_character_refuses_the_build(make_pipeline,
                                                                                  codec):
    # a resource file written for Windows or Java (UTF-16), or a UTF-32 dump
    root = make(make_pipeline, extra={"stages/s/src/wide.bin": ""})
    (root / "stages/s/src/wide.bin").write_bytes(b"key=" + API_KEY.encode(codec) + b";")
    assert refused(root).startswith("error: stages/s/src/wide.bin holds the value of API_KEY")


def test_a_secret_in_an_uploaded_folder_refuses_the_build(make_pipeline):
    root = make(make_pipeline, extra={"lib/data/keys.txt": f"old: {TOKEN}\n", "lib/ok.py": ""},
                upload_paths=["lib"])
    assert refused(root).startswith("error: lib/data/keys.txt holds the value of YT_TOKEN")


def test_a_secret_across_two_reads_is_found(make_pipeline):
    # tar reads a file in blocks; the secret straddles the first boundary
    text = "#" * (16 * 1024 - 7) + TOKEN + "\n" + "#" * 70_000
    root = make(make_pipeline, extra={"stages/s/src/big.py": text})
    assert refused(root).startswith("error: stages/s/src/big.py holds the value of YT_TOKEN")


def test_a_file_kept_out_by_ytignore_does_not_refuse(make_pipeline):
    root = make(make_pipeline, extra={"stages/s/src/notes.txt": f"{TOKEN}\n",
                                      "stages/s/src/.ytignore": "notes.txt\n"})
    files = packed(root)
    assert "stages/s/src/notes.txt" not in files and leaks(files) == []


def test_short_values_are_not_searched_for(make_pipeline):
    # "true" is in ytjobs itself: searching for it would refuse every build
    root = make(make_pipeline, extra={"configs/secrets.env": "FLAG=true\nPIN=1234567\n",
                                      "stages/s/src/pin.py": "PIN = 1234567\n"})
    assert "stages/s/src/pin.py" in packed(root)


# --- names ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [f"stages/s/src/cache-{TOKEN}.txt",
                                  f"stages/s/src/{quote(API_KEY, safe='')}/data.txt"])
def test_a_file_named_after_a_secret_refuses_the_build(make_pipeline, path):
    # a cache keyed by a token, a folder named after a key: the archive lists every member's
    # name, and a prod run uploads it where any user of the pipeline's folder can read it
    root = make(make_pipeline)
    packed(root)
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text("nothing secret in here\n")
    name = "YT_TOKEN" if TOKEN in path else "API_KEY"
    shown = path.replace(TOKEN, "***").replace(quote(API_KEY, safe=""), "***")
    assert refused(root) == (
        f"error: {shown}: its name holds the value of {name}, a secret, and would be shipped "
        "in the code archive; rename it, or keep it out with a .ytignore rule")

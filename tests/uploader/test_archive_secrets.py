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

"""secrets.env that cannot be trusted as written is refused before anything runs, in one
line naming the file and the key, without any value: a name given twice (which value wins
would be python-dotenv's choice, silently), a file any user of the machine may write (who
could add a YTP_ setting or swap the token), a link to a file outside the pipeline folder.
A file others may read is read, with one warning line that says how to close it."""

from __future__ import annotations

import os

from yt_pipeline.testing import invoke_cli, write_pipeline

STAGE = """
from yt_pipeline import BaseStage


class Noop(BaseStage):
    def run(self, debug):
        return debug
"""


def pipeline(root, secrets_text=None):
    files = {"stages/noop/stage.py": STAGE}
    if secrets_text is not None:
        files["configs/secrets.env"] = secrets_text
    write_pipeline(root, files, config={"pipeline": {"mode": "dev"},
                                        "stages": {"enabled_stages": ["noop"]}})
    if secrets_text is not None:
        os.chmod(root / "configs/secrets.env", 0o600)
    return root


def refused_lines(root):
    result = invoke_cli("run", str(root))
    assert result.exit_code == 2, result.output
    assert not (root / ".runs").exists()  # nothing ran
    return [line for line in result.output.splitlines() if line.startswith("error:")]


def test_a_name_given_twice_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("API_KEY", raising=False)
    root = pipeline(tmp_path / "p", "API_KEY=first-value-111\n# note\nAPI_KEY=second-value-222\n")
    lines = refused_lines(root)
    assert lines == ["error: configs/secrets.env: line 3: API_KEY is given twice (first on "
                     "line 1): keep one"], lines
    result = invoke_cli("config", str(root))
    assert "value-111" not in result.output and "value-222" not in result.output


def test_a_file_any_user_may_write_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("API_KEY", raising=False)
    root = pipeline(tmp_path / "p", "API_KEY=open-value-333\n")
    os.chmod(root / "configs/secrets.env", 0o666)
    lines = refused_lines(root)
    assert lines == ["error: configs/secrets.env: any user of this machine may write it "
                     "(mode 0666): chmod o-w configs/secrets.env"], lines


def test_a_link_to_a_file_outside_the_pipeline_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("API_KEY", raising=False)
    root = pipeline(tmp_path / "p")
    outside = tmp_path / "elsewhere.env"
    outside.write_text("API_KEY=far-value-444\n")
    os.chmod(outside, 0o600)
    (root / "configs/secrets.env").symlink_to(outside)
    lines = refused_lines(root)
    assert lines == ["error: configs/secrets.env: a link to a file outside the pipeline "
                     "folder: copy the file here, or set its names in the environment"], lines


def test_a_link_inside_the_pipeline_folder_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv("API_KEY", raising=False)
    root = pipeline(tmp_path / "p")
    (root / "private").mkdir()
    (root / "private/creds.env").write_text("API_KEY=near-value-555\n")
    os.chmod(root / "private/creds.env", 0o600)
    (root / "configs/secrets.env").symlink_to(os.path.join("..", "private", "creds.env"))
    result = invoke_cli("config", str(root))
    assert result.exit_code == 0, result.output
    assert "API_KEY: '***'" in result.output and "near-value-555" not in result.output


def test_init_makes_a_secrets_env_only_its_owner_may_read(tmp_path):
    assert invoke_cli("init", str(tmp_path / "new")).exit_code == 0
    mode = (tmp_path / "new/configs/secrets.env").stat().st_mode & 0o777
    assert oct(mode) == oct(0o600)


def run_output(root):
    result = invoke_cli("run", str(root))
    assert result.exit_code == 0, result.output
    return result.output


def warned_lines(output):
    return [line for line in output.splitlines() if "secrets.env" in line]


def test_a_file_any_user_may_read_is_read_with_one_warning(tmp_path, monkeypatch):
    monkeypatch.delenv("API_KEY", raising=False)
    root = pipeline(tmp_path / "p", "API_KEY=read-value-666\n")
    os.chmod(root / "configs/secrets.env", 0o644)
    output = run_output(root)
    lines = warned_lines(output)
    assert len(lines) == 1, output
    assert lines[0].endswith("configs/secrets.env: any user of this machine may read the "
                             "secrets in it (mode 0644): chmod 600 configs/secrets.env"), lines
    assert "WARNING" in lines[0]
    assert "read-value-666" not in output


def test_a_file_its_group_may_read_is_read_with_one_warning(tmp_path, monkeypatch):
    monkeypatch.delenv("API_KEY", raising=False)
    root = pipeline(tmp_path / "p", "API_KEY=group-value-777\n")
    os.chmod(root / "configs/secrets.env", 0o640)
    output = run_output(root)
    lines = warned_lines(output)
    assert len(lines) == 1, output
    assert lines[0].endswith("configs/secrets.env: the file's group may read the secrets in "
                             "it (mode 0640): chmod 600 configs/secrets.env"), lines
    assert "group-value-777" not in output


def test_a_file_only_its_owner_may_read_gives_no_warning(tmp_path, monkeypatch):
    monkeypatch.delenv("API_KEY", raising=False)
    root = pipeline(tmp_path / "p", "API_KEY=owner-value-888\n")
    assert (root / "configs/secrets.env").stat().st_mode & 0o777 == 0o600
    output = run_output(root)
    assert warned_lines(output) == [], output
    assert "WARNING" not in output


def test_the_warning_is_given_once_however_often_the_file_is_read(tmp_path, monkeypatch,
                                                                   caplog):
    from yt_pipeline.config import load_config

    monkeypatch.delenv("API_KEY", raising=False)
    root = pipeline(tmp_path / "p", "API_KEY=twice-value-999\n")
    os.chmod(root / "configs/secrets.env", 0o604)
    with caplog.at_level("WARNING", logger="yt_pipeline.config"):
        for _ in range(3):
            assert load_config(root).secret("API_KEY") == "twice-value-999"
    told = [record.getMessage() for record in caplog.records
            if record.name == "yt_pipeline.config"]
    assert told == ["configs/secrets.env: any user of this machine may read the secrets in "
                    "it (mode 0604): chmod 600 configs/secrets.env"], told

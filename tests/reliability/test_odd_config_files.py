"""Configuration in shapes nobody writes on purpose: a configuration file that is a folder,
a dangling link or a link to itself; a secrets.env line with a name and no value; a --set
key with spaces around its parts; a nested key set under a value that is not a mapping;
a pipeline.dev_dir that names a file. Each is refused before anything runs, exit code 2,
with one line naming the file (or the variable, or --set) and the key; no traceback, no
secret, and no table or state written."""

from __future__ import annotations

import pytest

from yt_pipeline.testing import invoke_cli, write_pipeline

SECRET = "odd-SECRET-token-7719"
STAGE = """
from yt_pipeline import BaseStage


class Noop(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//tmp/ran", [{"ran": True}])
        return debug
"""
CONFIG = "pipeline: {mode: dev}\nstages: {enabled_stages: [noop]}\n"


def make(tmp_path, files=None):
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": CONFIG,
        "stages/noop/stage.py": STAGE,
        "stages/noop/config.yaml": "client: {size: 1}\n",
        **(files or {}),
    })
    return root


def refused(root, *args, command="run", env=None, monkeypatch=None):
    """The command must stop with exit code 2 and one error line, before anything ran."""
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    result = invoke_cli(command, str(root), *args)
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.output
    assert "Traceback" not in result.output
    assert SECRET not in result.output + result.stderr
    assert not (root / ".dev" / "tmp" / "ran.jsonl").exists()  # nothing ran
    assert not (root / "state.dev.yml").exists()
    return errors[0]


# -- a configuration file that is no file -----------------------------------------------------

def _folder(path):
    path.unlink()
    path.mkdir()


def _dangling(path):
    path.unlink()
    path.symlink_to("gone.yaml")


def _loop(path):
    path.unlink()
    path.symlink_to(path)


KINDS = {
    "folder": (_folder, "is a folder, not a file"),
    "dangling link": (_dangling, "a link to gone.yaml, which does not exist"),
    "link to itself": (_loop, "a link that leads back to itself"),
}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("command", ["run", "status"])
def test_a_pipeline_config_that_is_no_file(tmp_path, kind, command):
    root = make(tmp_path)
    spoil, words = KINDS[kind]
    spoil(root / "configs" / "config.yaml")
    error = refused(root, command=command)
    assert error.startswith("error: configs/config.yaml: "), error
    assert words in error


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_stage_config_that_is_no_file(tmp_path, kind):
    """A stage without a config.yaml has an empty one; a config.yaml that is there but
    cannot be read is a mistake to say, not a stage to run with no settings."""
    root = make(tmp_path)
    spoil, words = KINDS[kind]
    spoil(root / "stages" / "noop" / "config.yaml")
    error = refused(root)
    assert error.startswith("error: stages/noop/config.yaml: "), error
    assert words in error


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_secrets_file_that_is_no_file(tmp_path, kind):
    """Skipped as missing, it would leave the run without its credentials, to be told later
    that YT_TOKEN is not set."""
    root = make(tmp_path, {"configs/secrets.env": f"YT_TOKEN={SECRET}\n"})
    spoil, words = KINDS[kind]
    spoil(root / "configs" / "secrets.env")
    error = refused(root)
    assert error.startswith("error: configs/secrets.env: "), error
    assert words in error


def test_a_stage_without_a_config_file_still_runs(tmp_path):
    root = make(tmp_path)
    (root / "stages" / "noop" / "config.yaml").unlink()
    result = invoke_cli("run", str(root))
    assert result.exit_code == 0, result.output
    assert (root / ".dev" / "tmp" / "ran.jsonl").read_text().strip() == '{"ran":true}'


# -- secrets.env: a name with no value --------------------------------------------------------

@pytest.mark.parametrize("line", ["YT_TOKEN", SECRET, "export", "  YT_TOKEN  "])
def test_a_secrets_line_without_equals_is_refused_naming_its_line(tmp_path, line):
    """python-dotenv reads a bare name as a name without a value (dotenv's parser: a
    binding whose value is None) and the loader drops it: a token written there, or a name
    whose value was forgotten, would later be reported as not set. The line is not
    quoted: it may be the secret itself."""
    root = make(tmp_path, {"configs/secrets.env": f"YT_PROXY=localhost:1\n{line}\n"})
    (root / "configs" / "secrets.env").chmod(0o600)
    error = refused(root)
    assert error == ("error: configs/secrets.env: line 2: expected NAME=value, found a line "
                     "without '='"), error


@pytest.mark.parametrize("line", [f"MY-TOKEN={SECRET}", f"1ABC={SECRET}", f"'A B'={SECRET}",
                                  f"{SECRET}=x", f"YT.TOKEN={SECRET}"])
def test_a_secrets_line_whose_name_no_shell_takes_is_refused_naming_its_line(tmp_path, line):
    """python-dotenv takes any characters before "=" as the name (and a quoted name with a
    space): the value would be set under a name nothing reads, and the credential later
    reported as not set. Neither the line's name nor its value is shown."""
    root = make(tmp_path, {"configs/secrets.env": f"YT_PROXY=localhost:1\n\n{line}\n"})
    (root / "configs" / "secrets.env").chmod(0o600)
    error = refused(root)
    assert error == ("error: configs/secrets.env: line 3: expected NAME=value, where NAME is "
                     "letters, digits and '_', not starting with a digit"), error


@pytest.mark.parametrize("line", ["export YT_TOKEN=tok-123456", "_T0KEN=tok-123456",
                                  "  YT_TOKEN = tok-123456"])
def test_a_secrets_line_with_a_shell_name_is_read(tmp_path, line):
    root = make(tmp_path, {"configs/secrets.env": f"{line}\n"})
    (root / "configs" / "secrets.env").chmod(0o600)
    result = invoke_cli("run", str(root))
    assert result.exit_code == 0, result.output


def test_a_secrets_name_with_an_empty_value_is_still_read(tmp_path):
    root = make(tmp_path, {"configs/secrets.env": "YT_TOKEN=\n"})
    (root / "configs" / "secrets.env").chmod(0o600)
    result = invoke_cli("run", str(root))
    assert result.exit_code == 0, result.output


# -- a stage's section that must be a mapping -------------------------------------------------

@pytest.mark.parametrize("text, key, got", [
    ("client:\n", "client", "null"),
    ("client: [operations]\n", "client", "list"),
    ("client: {operations: [map]}\n", "client.operations", "list"),
    ("client:\n  operations:\n", "client.operations", "null"),
    ("job:\n", "job", "null"),
    ("job: [1, 2]\n", "job", "list"),
    ("job: text\n", "job", "str"),
])
def test_a_stage_section_that_is_not_a_mapping_is_refused(tmp_path, text, key, got):
    """`client` (and its `operations`) is read by the operation helpers, `job` by the jobs;
    null or a list was taken, to fail (an AttributeError, a job's KeyError) mid-run."""
    root = make(tmp_path, {"stages/noop/config.yaml": text})
    error = refused(root)
    assert error == (f"error: stages/noop/config.yaml: {key}: must be a mapping of keys, "
                     f"got {got}"), error


# -- --set and YTP_ keys ----------------------------------------------------------------------

def test_set_key_parts_are_read_without_the_spaces_around_them(tmp_path):
    """`--set " pipeline . workers = 2"` sets pipeline.workers; it used to set a key
    `pipeline ` that the spelling check then blamed on configs/config.yaml."""
    root = make(tmp_path)
    result = invoke_cli("config", str(root), "--set", " pipeline . workers =2")
    assert result.exit_code == 0, result.output
    assert "workers: 2" in result.output
    assert "pipeline :" not in result.output


@pytest.mark.parametrize("where, args, env, source", [
    ("set", ["--set", "pipeline.mode.deeper=1"], {}, "--set pipeline.mode.deeper"),
    ("environment", [], {"YTP_PIPELINE__MODE__DEEPER": "1"},
     "environment YTP_PIPELINE__MODE__DEEPER"),
])
def test_a_key_under_a_value_names_where_it_was_set(tmp_path, monkeypatch, where, args, env,
                                                    source):
    root = make(tmp_path)
    error = refused(root, *args, env=env, monkeypatch=monkeypatch)
    assert error == (f"error: {source}: pipeline.mode.deeper: cannot set a nested key: "
                     "pipeline.mode is not a mapping"), error


def test_a_key_under_a_value_in_secrets_env_names_the_file(tmp_path):
    root = make(tmp_path, {"configs/secrets.env": f"YTP_PIPELINE__MODE__DEEPER={SECRET}\n"})
    (root / "configs" / "secrets.env").chmod(0o600)
    error = refused(root)
    assert error == ("error: configs/secrets.env YTP_PIPELINE__MODE__DEEPER: "
                     "pipeline.mode.deeper: cannot set a nested key: pipeline.mode is not a "
                     "mapping"), error


# -- pipeline.dev_dir -------------------------------------------------------------------------

@pytest.mark.parametrize("dev_dir", ["notes.txt", "notes.txt/tables"])
def test_a_dev_dir_that_is_a_file_is_refused(tmp_path, dev_dir):
    root = make(tmp_path, {"notes.txt": "mine\n"})
    error = refused(root, "--set", f"pipeline.dev_dir={dev_dir}")
    assert error == (f"error: --set pipeline.dev_dir: pipeline.dev_dir: must be a folder, "
                     f"and notes.txt is a file, got {dev_dir!r}"), error
    assert (root / "notes.txt").read_text() == "mine\n"

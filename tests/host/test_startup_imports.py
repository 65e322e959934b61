"""What a command imports: `--help` and a dev run of hello world load only what they use.

Start-up time is mostly imports, and one import moved back to the top of a module undoes
what bench/startup measured, so the modules are read from `sys.modules` of a fresh
interpreter running the command (no timings here).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MARK = "IMPORTED:"

#: loaded by no command that does not use it
NEVER = (
    "yt",  # ytsaurus-client: prod only
    "duckdb",  # dev YQL only
    "_duckdb",  # its engine, which dev YQL imports alone
    "libcst",  # yt-pipeline migrate only
    "importlib.metadata",  # plugins are found from entry_points.txt directly
    "email",  # what importlib.metadata would import to read a distribution's metadata
    "yt_pipeline.migrate",
    "yt_pipeline.compat.yql_requests",  # a client's request methods load it when called
    "yt_pipeline.report_data",
)
#: a dev run imports a plugin's entry-point module (pluggy registers its hooks), not the
#: modules that module loads on first use
DEV_RUN_NEVER = NEVER + (
    "rich",  # stderr is not a terminal: progress is plain log lines
    "yt_pipeline_prod.client",
    "yt_pipeline_prod.launcher",
    "yt_pipeline_prod.settings",
    "yt_pipeline_uploader.archive",  # no stage of hello world has job code to pack
    "yt_pipeline.packaging",
    "yt_pipeline_uploader.walk",
    "yt_pipeline_uploader.wrapper",
    "yt_pipeline_dev.launcher",  # no operation runs, no stage has operation sections
    "yt_pipeline.operations",
    "yt_pipeline.operation_config",
    "concurrent.futures",  # no operation is submitted without waiting
    "yt_pipeline_dev.yql_duckdb",
    "ytjobs.mapper",  # the host reads tables with ytjobs.codec alone
    "socket",
    "hashlib",  # it loads OpenSSL; names and keys are digested with BLAKE2 (digests.py)
    "yt_pipeline.secret_dumps",  # hex dumps are searched for secrets once there is one
    "yt_pipeline.yql_presort",  # read only for a table a YQL query sorted
)
#: --help lists commands; it reads no configuration and runs nothing
HELP_NEVER = NEVER + (
    "yaml",
    "json",
    "hashlib",
    "yt_pipeline.config",
    "yt_pipeline.discovery",
    "yt_pipeline.modes",  # plugins import it when asked for their modes
    "yt_pipeline.runner",
    "yt_pipeline.pipeline",
    "yt_pipeline_dev.client",
    "yt_pipeline_uploader.build",
)


def imported_by(args: list[str], cwd: Path) -> set[str]:
    code = (  # json is imported after the list is taken: the command may not import it
        "import sys\n"
        "from yt_pipeline.cli import invoke\n"
        "code = invoke(sys.argv[1:])\n"
        "modules = sorted(sys.modules)\n"
        "import json\n"
        f"print({MARK!r} + json.dumps(modules))\n"
        "sys.exit(code)\n"
    )
    # no secret: what a run loads to mask one is not asked of a run without
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("YTP_") and k != "YT_TOKEN"}
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith(MARK))
    return set(json.loads(line[len(MARK):]))


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """The `names` that are in `modules`, themselves or by a submodule."""
    return [name for name in names
            if name in modules or any(m.startswith(name + ".") for m in modules)]


def imported_alone(module: str) -> set[str]:
    """What a fresh interpreter holds after importing `module` and nothing else."""
    code = f"import sys, {module}\nprint({MARK!r} + ' '.join(sorted(sys.modules)))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith(MARK))
    return set(line[len(MARK):].split())


def loaded_by_dependencies(names: tuple[str, ...]) -> list[str]:
    """The `names` the host's own dependencies load, which no command can avoid: msgspec
    before 0.20 imports json in its versioneer `_version.py` (read in the 0.18.0 to 0.19.0
    wheels; 0.20.0's holds the version as text), and setup.cfg admits 0.18. Empty with the
    newer releases, where the tests below hold the commands to every name."""
    return loaded(imported_alone("msgspec"), names)


@pytest.fixture
def hello(tmp_path: Path) -> Path:
    folder = tmp_path / "hello"
    shutil.copytree(REPO / "examples/01_hello_world", folder)
    return folder


def test_a_dev_run_imports_only_what_it_uses(hello):
    modules = imported_by(["run", str(hello)], hello)
    assert "yt_pipeline_dev.client" in modules  # the run did happen, in dev
    assert "yt_pipeline_prod.plugin" in modules  # and every plugin was registered
    assert loaded(modules, DEV_RUN_NEVER) == loaded_by_dependencies(DEV_RUN_NEVER)


def test_a_run_with_an_unchanged_configuration_does_not_load_yaml(hello):
    # the first run parses the configuration files and keeps them (yaml_memo); the state
    # file it writes is read back without YAML (state._written_statuses)
    assert "yaml" in imported_by(["run", str(hello)], hello)
    modules = imported_by(["run", str(hello)], hello)
    assert "yt_pipeline_dev.client" in modules
    assert loaded(modules, ("yaml",)) == []


def test_help_imports_only_the_commands(hello):
    modules = imported_by(["--help"], hello)
    assert "yt_pipeline_uploader.plugin" in modules  # plugins add their commands to it
    assert loaded(modules, HELP_NEVER) == loaded_by_dependencies(HELP_NEVER)


@pytest.mark.parametrize(("example", "ran"), [
    ("04_map", "yt_pipeline_dev.launcher"),  # jobs, so a code archive
    ("03_yql", "yt_pipeline_dev.yql_duckdb"),  # YQL: a table's learned types kept by name
])
def test_a_dev_run_leaves_openssl_unloaded(tmp_path, example, ran):
    """The code archive is built, digested, and checked before its extraction with
    CPython's own SHA-256 while it is small, and YQL's cache of a table's types is named
    with BLAKE2 (yt_pipeline.digests): loading OpenSSL for them cost 3.5 ms of a run."""
    folder = tmp_path / example
    shutil.copytree(REPO / "examples" / example, folder)
    modules = imported_by(["run", str(folder)], folder)
    assert ran in modules
    assert loaded(modules, ("hashlib", "_hashlib")) == []


def test_the_builtin_and_openssl_sha256_agree():
    """Whichever digests it, an archive's SHA-256 is the same: prod looks an archive up
    on the cluster by it."""
    import hashlib

    from yt_pipeline.digests import BUILTIN_SHA256_UP_TO, sha256

    for size in (0, 1, 1000, BUILTIN_SHA256_UP_TO, BUILTIN_SHA256_UP_TO + 1):
        data = bytes(range(256)) * (size // 256) + bytes(size % 256)
        digest = sha256(size)
        digest.update(data[: size // 2])
        digest.update(data[size // 2:])
        assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    assert type(sha256(BUILTIN_SHA256_UP_TO)) is not type(hashlib.sha256())
    assert type(sha256(BUILTIN_SHA256_UP_TO + 1)) is type(hashlib.sha256())

"""Paths that try to leave their folder: table paths, `pipeline.dev_dir`, `upload_paths`,
`file_paths`, symlinks and `.ytignore` rules in stage code, members of the code archive.

Each case is a real dev `yt-pipeline run`. A bad path is refused with one `error:` line that
names it, and nothing appears or changes outside the pipeline folder: the folder that holds
it (with bait files beside it) is listed before and after.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from yt_pipeline import hookimpl
from yt_pipeline.packaging import CodePackage
from yt_pipeline.testing import invoke_cli, write_pipeline

TABLE_STAGE = """
import json, os
from yt_pipeline import BaseStage


class Tables(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        action, path = json.loads(os.environ["PATH_ACTION"])
        if action == "write":
            yt.write_table(path, [{"a": 1}])
        elif action == "append":
            yt.write_table(path, [{"a": 1}], append=True)
        elif action == "read":
            list(yt.read_table(path))
        elif action == "create":
            yt.create_path(path)
        elif action == "remove":
            yt.remove(path, recursive=True)
        elif action == "list":
            yt.list(path)
        elif action == "yql":
            yt.run_yql(path)
        return debug
"""
MAP_STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Copy(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//tmp/paths/input", [{"id": 1}, {"id": 2}])
        run_map(self, self.config.client.operations.map)
        return debug
"""
MAPPER = """
import os, sys
from ytjobs import read_rows, write_rows

extra = sorted(n for n in os.listdir(".") if n.endswith(".txt"))
write_rows({**row, "files": extra} for row in read_rows())
"""
MAP_CONFIG = """
client:
  operations:
    map:
      input_table: {input}
      output_table: {output}
{extra}"""


@pytest.fixture
def world(tmp_path):
    """A pipeline folder `p` with bait beside it: files a bad path could reach."""
    (tmp_path / "outside.txt").write_text("outside the pipeline\n")
    (tmp_path / "outdir").mkdir()
    (tmp_path / "outdir" / "data.txt").write_text("outside too\n")
    return tmp_path


def snapshot(base: Path, pipeline: Path) -> dict[str, tuple[int, int]]:
    """Every path under `base` outside `pipeline`, with its size and mtime."""
    found = {}
    for path in base.rglob("*"):
        if path == pipeline or pipeline in path.parents:
            continue
        info = path.lstat()
        found[str(path.relative_to(base))] = (info.st_size, info.st_mtime_ns)
    return found


def make(world: Path, files: dict[str, str], pipeline: str = "mode: dev",
         stage: str = "copy") -> Path:
    return write_pipeline(world / "p", {
        "configs/config.yaml": f"pipeline: {{{pipeline}}}\nstages: {{enabled_stages: [{stage}]}}\n",
        **files,
    })


def map_pipeline(world: Path, pipeline: str = "mode: dev", extra: str = "",
                 input: str = "//tmp/paths/input", output: str = "//tmp/paths/output") -> Path:
    return make(world, {
        "stages/copy/stage.py": MAP_STAGE,
        "stages/copy/src/mapper.py": MAPPER,
        "stages/copy/config.yaml": MAP_CONFIG.format(input=input, output=output, extra=extra),
        "assets/a.txt": "inside\n",
    }, pipeline)


def refused(world: Path, root: Path, exit_code: int, *needles: str) -> str:
    """Run; expect one error line holding every needle and nothing changed outside `root`."""
    before = snapshot(world, root)
    result = invoke_cli("run", root)
    assert result.exit_code == exit_code, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    assert snapshot(world, root) == before
    return errors[0]


def succeeds(world: Path, root: Path) -> None:
    before = snapshot(world, root)
    result = invoke_cli("run", root)
    assert result.exit_code == 0, result.output
    assert snapshot(world, root) == before


# -- table paths -------------------------------------------------------------------------

BAD_TABLE_PATHS = [
    ("write", "//a/../../x", "the part '..'"),
    ("write", "//../../../../outside", "the part '..'"),
    ("append", "//tmp/x/..", "the part '..'"),
    ("write", "/abs/table", "must start with //"),
    ("write", "tmp/relative", "must start with //"),
    ("write", "../../outside", "must start with //"),
    ("write", "//tmp/x\x00y", "the part 'x\\x00y'"),
    ("write", "//tmp/..\\..\\x", "is not allowed"),
    ("write", "///x", "the part ''"),
    ("write", "//tmp/" + "x" * 300, "longer than 200 bytes"),
    ("read", "//../../outside", "the part '..'"),
    ("create", "//../made", "the part '..'"),
    ("remove", "//..", "the part '..'"),
    ("remove", "//", "is the root, not a table"),
    ("list", "//tmp/../..", "the part '..'"),
    ("yql", "INSERT INTO `//tmp/../../../x` SELECT 1 AS a", "the part '..'"),
    ("yql", "SELECT * FROM `//../../outside`", "the part '..'"),
    ("yql", "COPY (SELECT 1 AS a) TO '../../x.csv'", "COPY statements are not supported"),
]


@pytest.mark.parametrize(("action", "path", "why"), BAD_TABLE_PATHS,
                         ids=[f"{a}:{p[:30]!r}" for a, p, _ in BAD_TABLE_PATHS])
def test_bad_table_paths_are_refused(world, monkeypatch, action, path, why):
    root = make(world, {"stages/tables/stage.py": TABLE_STAGE}, stage="tables")
    monkeypatch.setenv("PATH_ACTION", json.dumps([action, path]))
    error = refused(world, root, 1, "error: stage tables failed: ", why)
    if action not in ("yql",) and why != "is the root, not a table":
        assert repr(path)[:40] in error


@pytest.mark.parametrize("side", ["input", "output"])
def test_bad_operation_table_paths_are_refused(world, side):
    root = map_pipeline(world, **{side: "//tmp/../../../../escaped"})
    refused(world, root, 1, "error: stage copy failed: ", "'//tmp/../../../../escaped'",
            "the part '..'")
    assert not (root / ".dev/tmp/paths/output.jsonl").exists()


@pytest.mark.parametrize("dev_dir", ["../elsewhere", "/tmp/ytp-dev-elsewhere", ".", "a/../.."])
def test_dev_dir_must_stay_inside_the_pipeline_folder(world, dev_dir):
    root = map_pipeline(world, pipeline=f"mode: dev, dev_dir: {json.dumps(dev_dir)}")
    refused(world, root, 2, "configs/config.yaml: pipeline.dev_dir: must be a folder inside "
            f"the pipeline folder (like .dev), got {dev_dir!r}")
    assert not Path("/tmp/ytp-dev-elsewhere").exists()


@pytest.mark.parametrize("dev_dir", [".build", ".runs", "configs", "stages/copy", ".git",
                                     "./.build/tables"])
def test_dev_dir_in_a_folder_kept_for_something_else_is_refused(world, dev_dir):
    # the clean-up of a dev run removes what it does not know in dev_dir: in .build that
    # was every dev table, in stages the stage code
    root = map_pipeline(world, pipeline=f"mode: dev, dev_dir: {json.dumps(dev_dir)}")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    refused(world, root, 2, "configs/config.yaml: pipeline.dev_dir: must be a folder of its "
            f"own (like .dev), got {dev_dir!r}")


def test_dev_dir_inside_is_used(world):
    root = map_pipeline(world, pipeline="mode: dev, dev_dir: local/tables")
    succeeds(world, root)
    assert (root / "local/tables/tmp/paths/output.jsonl").read_text().count("\n") == 2


# -- upload_paths ------------------------------------------------------------------------

def _link_folder(root: Path, world: Path) -> None:
    (root / "linked").symlink_to(world / "outdir")


def _link_inside_assets(root: Path, world: Path) -> None:
    (root / "assets" / "escape.txt").symlink_to(world / "outside.txt")


UPLOAD_CASES = {
    "dotdot": ("['../outside.txt']", None, "source ../outside.txt is outside the pipeline"),
    "absolute": ("['{world}/outdir']", None, "source {world}/outdir is outside the pipeline"),
    "symlinked-folder": ("[linked]", _link_folder, "(it leads to {world}/outdir)"),
    "symlink-inside-folder": ("[assets]", _link_inside_assets,
                              "assets/escape.txt leads outside"),
    "target-dotdot": ("[{{source: assets, target: ../../x}}]", None,
                      "target '../../x' must be a relative path inside the archive"),
    "target-absolute": ("[{{source: assets, target: /tmp/x}}]", None,
                        "target '/tmp/x' must be a relative path inside the archive"),
    "nul": ('["assets\\0x"]', None, "source 'assets\\x00x' holds a NUL byte"),
}


@pytest.mark.parametrize("case", list(UPLOAD_CASES))
def test_upload_paths_leaving_the_pipeline_folder_are_refused(world, case):
    value, setup, message = UPLOAD_CASES[case]
    root = map_pipeline(world, pipeline="mode: dev, upload_paths: " + value.format(world=world))
    if setup:
        setup(root, world)
    error = refused(world, root, 2, "pipeline.upload_paths[0]: ", message.format(world=world))
    assert "\n" not in error
    assert not (root / ".build").exists()  # refused before anything was built


# -- stage code: symlinks and .ytignore --------------------------------------------------

def archive_names(root: Path) -> list[str]:
    with tarfile.open(root / ".build/source.tar.gz") as tar:
        return tar.getnames()


def test_a_symlink_in_stage_code_leading_outside_is_refused(world):
    root = map_pipeline(world)
    (root / "stages/copy/src/evil.txt").symlink_to(world / "outside.txt")
    refused(world, root, 2, f"stage copy: {root / 'stages/copy/src/evil.txt'} leads outside "
            f"{root} (to {world / 'outside.txt'})")


def test_ignored_symlinks_are_never_followed(world):
    root = map_pipeline(world)
    src = root / "stages/copy/src"
    (src / "evil.txt").symlink_to(world / "outside.txt")
    (src / "evil_dir").symlink_to(world / "outdir")
    (src / ".#mapper.py").symlink_to("user@host.1234")  # an editor's lock: leads nowhere
    (src / ".ytignore").write_text("evil*\n.#*\n")
    succeeds(world, root)
    names = archive_names(root)
    assert "stages/copy/src/mapper.py" in names
    assert not [n for n in names if "evil" in n or ".#" in n or "outside" in n]


def test_ytignore_rules_cannot_bring_in_files_from_outside(world):
    root = map_pipeline(world, pipeline="mode: dev, upload_paths: [assets]")
    (root / "stages/copy/src/.ytignore").write_text(
        f"!../../../outside.txt\n!/outside.txt\n!{world}/outdir/\n!../../../outdir/**\n")
    (root / "assets/.ytignore").write_text("!../../outside.txt\n!../../outdir/data.txt\n")
    succeeds(world, root)
    names = archive_names(root)
    assert "assets/a.txt" in names and "stages/copy/src/mapper.py" in names
    assert not [n for n in names if "outside" in n or "data.txt" in n or n.startswith(("/", ".."))]


# -- file_paths --------------------------------------------------------------------------

def _link_file(root: Path, world: Path) -> None:
    (root / "assets" / "link.txt").symlink_to(world / "outside.txt")


def _secrets(root: Path, world: Path) -> None:
    (root / "configs" / "secrets.env").write_text("API_KEY=abc123456\n")


FILE_PATH_CASES = {
    "dotdot": ("../outside.txt", None, "is outside the pipeline folder"),
    "absolute": ("{world}/outside.txt", None, "is outside the pipeline folder"),
    "symlink": ("assets/link.txt", _link_file, "(it leads to {world}/outside.txt)"),
    "secrets": ("configs/secrets.env", _secrets, "is a secrets file"),
}


@pytest.mark.parametrize("case", list(FILE_PATH_CASES))
def test_file_paths_outside_the_pipeline_folder_are_refused(world, case):
    item, setup, message = FILE_PATH_CASES[case]
    item = item.format(world=world)
    root = map_pipeline(world, extra=f"      file_paths: [{json.dumps(item)}]\n")
    if setup:
        setup(root, world)
    refused(world, root, 1, f"stage copy operation map: file_paths entry {item} ",
            message.format(world=world))
    assert not (root / ".dev/tmp/paths/output.jsonl").exists()


def test_file_paths_inside_are_attached(world):
    root = map_pipeline(world, extra="      file_paths: [assets/a.txt]\n")
    succeeds(world, root)
    rows = (root / ".dev/tmp/paths/output.jsonl").read_text().splitlines()
    assert [json.loads(r)["files"] for r in rows] == [["a.txt"], ["a.txt"]]


# -- members of the code archive ---------------------------------------------------------

def crafted_archive(path: Path, member: tarfile.TarInfo, data: bytes = b"") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        good = tarfile.TarInfo("stages/copy/src/mapper.py")
        good.size = len(MAPPER)
        tar.addfile(good, io.BytesIO(MAPPER.encode()))
        member.size = len(data) if member.isfile() else 0
        tar.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return path


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


ARCHIVE_CASES = {
    "dotdot": (lambda w: _member("../../../../escaped.txt"), "climbs out with '..'"),
    "nested-dotdot": (lambda w: _member("stages/../../../escaped.txt"), "climbs out with '..'"),
    "absolute": (lambda w: _member(f"{w}/escaped.txt"), "has an absolute name"),
    "symlink": (lambda w: _member("outlink", tarfile.SYMTYPE, str(w)), "is a link"),
    "relative-symlink": (lambda w: _member("up", tarfile.SYMTYPE, "../../.."), "is a link"),
    "hardlink": (lambda w: _member("hard", tarfile.LNKTYPE, f"{w}/outside.txt"), "is a link"),
    "device": (lambda w: _member("dev", tarfile.CHRTYPE), "is a link or a special file"),
}


class CraftedPackager:
    """Hands the dev backend a given archive instead of building one."""

    def __init__(self, archive: Path):
        self.archive = archive

    @hookimpl(tryfirst=True)
    def ytp_package_code(self, pipeline_dir, settings, stages):
        content = hashlib.sha256(self.archive.read_bytes()).hexdigest()
        return CodePackage(archive_path=self.archive, content_hash=content,
                           size=self.archive.stat().st_size, file_count=2,
                           wrappers={("copy", "map"): "operation_wrapper_copy_map.sh"})


@pytest.mark.parametrize("case", list(ARCHIVE_CASES))
def test_archive_members_leaving_the_sandbox_are_refused(world, register_plugin, case):
    make_member, why = ARCHIVE_CASES[case]
    root = map_pipeline(world)
    member = make_member(world)
    archive = crafted_archive(root / "crafted.tar.gz", member, b"escaped\n")
    register_plugin(CraftedPackager(archive))
    refused(world, root, 1, "error: stage copy failed: cannot extract the code archive ",
            f"its member {member.name!r} {why}")
    assert not list(world.rglob("escaped.txt"))
    assert not list((root / ".dev").rglob("_ytp_code/stages"))  # nothing extracted at all

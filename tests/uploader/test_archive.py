"""What the archive holds, how it is stored, and that it is the same bytes every time."""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import shutil
import tarfile

from packaging_helpers import CONFIG, SECRET, archive_files, build

EXPECTED = {
    "assets/logo.txt",
    "helpers/__init__.py",
    "lookup/codes.csv",
    "lookup/keep.tmp",
    "lookup/nested/deep.csv",
    "operation_wrapper_clean_map.sh",
    "operation_wrapper_clean_tidy.sh",
    "stages/clean/config.json",
    "stages/clean/config.yaml",
    "stages/clean/requirements.txt",
    "stages/clean/src/mapper.py",
    "stages/clean/src/tidy.py",
    "stages/clean/src/util/__init__.py",
    "stages/report/config.json",
    "stages/report/config.yaml",
    "textutil.py",
}


def test_archive_holds_stages_ytjobs_modules_and_paths(full_pipeline):
    pipeline = full_pipeline()
    package = build(pipeline)

    files = archive_files(package.archive_path)
    ytjobs = {name for name in files if name.startswith("ytjobs/")}
    assert {"ytjobs/__init__.py", "ytjobs/config.py", "ytjobs/rows.py"} <= ytjobs
    assert all(name.endswith(".py") for name in ytjobs), sorted(ytjobs)  # no tool files
    assert set(files) - ytjobs == EXPECTED
    assert files["helpers/__init__.py"] == (pipeline / "helpers/__init__.py").read_bytes()
    assert files["lookup/keep.tmp"] == b"kept by a negated rule\n"
    assert package.archive_path == pipeline / ".build" / "source.tar.gz"
    assert package.file_count == len(files)
    assert package.size == package.archive_path.stat().st_size
    assert package.content_hash == hashlib.sha256(package.archive_path.read_bytes()).hexdigest()
    assert package.wrappers == {
        ("clean", "map"): "operation_wrapper_clean_map.sh",
        ("clean", "tidy"): "operation_wrapper_clean_tidy.sh",
    }


def test_each_stage_config_is_also_packed_as_json_for_jobs_without_pyyaml(full_pipeline):
    # Jobs run the bare python3 of the cluster image, which has no PyYAML: they read this.
    import json

    import yaml

    pipeline = full_pipeline()
    (pipeline / "stages/report/config.yaml").write_text(
        "client:\n  day: 2024-05-06\n  tables: [//a, //b]\n  ratio: 0.5\n")
    files = archive_files(build(pipeline).archive_path)
    for stage in ("clean", "report"):
        yaml_data = yaml.safe_load(files[f"stages/{stage}/config.yaml"]) or {}
        json_data = json.loads(files[f"stages/{stage}/config.json"])
        assert json_data == json.loads(json.dumps(yaml_data, default=str))
    assert json.loads(files["stages/report/config.json"]) == {
        "client": {"day": "2024-05-06", "tables": ["//a", "//b"], "ratio": 0.5}}


def test_members_have_fixed_owner_time_and_mode(full_pipeline):
    pipeline = full_pipeline(extra={"assets/run.sh": "#!/bin/sh\necho hi\n"})
    (pipeline / "assets/run.sh").chmod(0o775)
    (pipeline / "assets/logo.txt").chmod(0o600)
    package = build(pipeline)

    with tarfile.open(package.archive_path, "r:gz") as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names)
    assert all(m.isfile() for m in members)
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}
    assert len({m.mtime for m in members}) == 1
    modes = {m.name: m.mode for m in members}
    assert modes["assets/run.sh"] == 0o755
    assert modes["assets/logo.txt"] == 0o644
    assert modes["operation_wrapper_clean_map.sh"] == 0o755

    header = package.archive_path.read_bytes()[:10]
    assert header[4:8] == b"\0\0\0\0"  # no timestamp
    assert not header[3] & 0x08  # no file name


def test_two_builds_are_byte_identical_wherever_and_whenever(full_pipeline, tmp_path):
    pipeline = full_pipeline()
    first = build(pipeline).archive_path.read_bytes()
    second_package = build(pipeline)
    assert second_package.archive_path.read_bytes() == first

    # Another folder, other timestamps: still the same bytes.
    copy = tmp_path / "elsewhere" / "copy"
    shutil.copytree(pipeline, copy, symlinks=True, ignore=shutil.ignore_patterns(".build"))
    for root, _dirs, names in os.walk(copy):
        for name in names:
            os.utime(os.path.join(root, name), (1_700_000_000, 1_700_000_000))
    third = build(copy)
    assert third.archive_path.read_bytes() == first
    assert third.content_hash == second_package.content_hash


def test_a_changed_file_changes_the_hash(full_pipeline):
    pipeline = full_pipeline()
    before = build(pipeline).content_hash
    (pipeline / "assets/logo.txt").write_text("new logo\n")
    assert build(pipeline).content_hash != before


def test_build_folder_is_rebuilt_to_match_the_configuration(full_pipeline):
    pipeline = full_pipeline()
    build(pipeline)
    (pipeline / ".build" / "stale.txt").write_text("left over")
    package = build(pipeline, overrides=("pipeline.upload_paths=[]",))

    assert sorted(p.name for p in (pipeline / ".build").iterdir()) == [
        "operation_wrapper_clean_map.sh",
        "operation_wrapper_clean_tidy.sh",
        "source.tar.gz",
    ]
    files = archive_files(package.archive_path)
    assert not [name for name in files if name.startswith(("lookup/", "assets/"))]
    assert (pipeline / ".build/operation_wrapper_clean_map.sh").read_bytes() == files[
        "operation_wrapper_clean_map.sh"
    ]


def test_secrets_are_never_packed(full_pipeline):
    pipeline = full_pipeline(
        config={**CONFIG, "pipeline": {**CONFIG["pipeline"], "upload_paths": [".", "assets"]}},
    )
    (pipeline / "assets/alias.txt").symlink_to(pipeline / "configs/secrets.env")
    os.link(pipeline / "configs/secrets.env", pipeline / "assets/hard_link.txt")
    package = build(pipeline)

    files = archive_files(package.archive_path)
    raw_tar = gzip.decompress(package.archive_path.read_bytes())
    assert SECRET.encode() not in raw_tar
    assert not [name for name in files if "secrets.env" in name]
    assert "assets/logo.txt" in files and "assets/alias.txt" not in files
    assert "assets/hard_link.txt" not in files
    # The whole folder was packed, minus what is never packed.
    folder = pipeline.name
    assert f"{folder}/configs/config.yaml" in files
    assert not [n for n in files if "/.dev/" in n or "/.build/" in n or "__pycache__" in n]
    assert not [n for n in files if n.endswith(".pyc")]
    for wrapper in package.wrappers.values():
        text = (pipeline / ".build" / wrapper).read_text()
        assert SECRET not in text and "YT_TOKEN" not in text


def test_ignore_rules_of_enclosing_folders_apply(full_pipeline):
    pipeline = full_pipeline(extra={
        ".ytignore": "*.csv\n*.tmp\n",
        "assets/big.csv": "x\n",
        "assets/scratch.tmp": "x\n",
        "stages/clean/src/.ytignore": "fixtures/\n",
        "stages/clean/src/fixtures/sample.json": "{}\n",
    })
    files = archive_files(build(pipeline).archive_path)
    assert "lookup/codes.csv" not in files
    assert "assets/big.csv" not in files and "assets/scratch.tmp" not in files
    assert "assets/logo.txt" in files
    # A deeper .ytignore may take back what an enclosing one excluded.
    assert "lookup/keep.tmp" in files and "lookup/draft.tmp" not in files
    assert not [n for n in files if "fixtures" in n or n.endswith(".ytignore")]


def test_symlink_inside_the_pipeline_is_followed(full_pipeline):
    pipeline = full_pipeline()
    (pipeline / "stages/clean/src/shared").symlink_to(pipeline / "helpers")
    files = archive_files(build(pipeline).archive_path)
    assert files["stages/clean/src/shared/__init__.py"] == (
        pipeline / "helpers/__init__.py"
    ).read_bytes()
    assert "stages/clean/src/shared/big.tmp" not in files


def test_symlink_loops_end_and_twin_links_are_both_packed(full_pipeline):
    pipeline = full_pipeline()
    (pipeline / "assets/loop").symlink_to(pipeline / "assets")
    (pipeline / "assets/twin").symlink_to(pipeline / "data/lookup/nested")
    (pipeline / "assets/twin2").symlink_to(pipeline / "data/lookup/nested")
    files = archive_files(build(pipeline).archive_path)
    assert "assets/twin/deep.csv" in files and "assets/twin2/deep.csv" in files
    assert "assets/loop/logo.txt" not in files


def test_dotted_module_brings_its_parent_init(full_pipeline):
    pipeline = full_pipeline(
        config={**CONFIG, "pipeline": {"upload_modules": ["pkg.sub", "pkg2.single"]}},
        extra={
            "pkg/__init__.py": "ROOT = 1\n",
            "pkg/sub/__init__.py": "",
            "pkg/sub/tool.py": "",
            "pkg/other.py": "",
            "pkg2/__init__.py": "",
            "pkg2/single.py": "",
        },
    )
    files = archive_files(build(pipeline).archive_path)
    packed = {n for n in files if n.startswith("pkg")}
    assert packed == {
        "pkg/__init__.py", "pkg/sub/__init__.py", "pkg/sub/tool.py",
        "pkg2/__init__.py", "pkg2/single.py",
    }


def test_installed_module_is_packed_from_where_import_finds_it(full_pipeline):
    import pluggy

    pipeline = full_pipeline(config={**CONFIG, "pipeline": {"upload_modules": ["pluggy"]}})
    files = archive_files(build(pipeline).archive_path)
    assert "pluggy/__init__.py" in files
    assert files["pluggy/__init__.py"] == open(pluggy.__file__, "rb").read()


def test_nothing_is_built_without_job_code(make_pipeline):
    pipeline = make_pipeline(
        {"stages/report/stage.py": "x = 1\n", "stages/report/config.yaml": "client: {}\n"},
        config={"stages": {"enabled_stages": ["report"]}},
    )
    assert build(pipeline) is None
    assert not (pipeline / ".build").exists()


def test_a_disabled_stage_is_not_packed(full_pipeline):
    pipeline = full_pipeline()
    package = build(pipeline, names=["clean"])
    assert not [n for n in archive_files(package.archive_path) if n.startswith("stages/report")]
    assert build(pipeline, names=["report"]) is None


def test_packaging_logs_size_and_file_count(full_pipeline, caplog):
    pipeline = full_pipeline()
    with caplog.at_level(logging.INFO, logger="yt_pipeline"):
        package = build(pipeline)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("yt_pipeline.")]
    assert "[Upload] Packaging code..." in messages
    summary = [m for m in messages if f"{package.file_count} files" in m]
    assert summary and "KiB" in summary[0] and package.content_hash[:16] in summary[0]


def test_a_file_beside_job_code_named_like_a_stdlib_module_is_warned_of(full_pipeline, caplog):
    """A job script's folder comes first on its sys.path: `src/tokenize.py` replaces the
    standard library's tokenize for the job and its libraries (a mapper importing orjson
    died by SIGSEGV with nothing on stderr). Other names, and other folders, say nothing."""
    pipeline = full_pipeline(extra={"stages/clean/src/tokenize.py": "print('mine')\n",
                                    "stages/clean/src/util/json.py": "",
                                    "stages/clean/notes/random.py": ""})
    with caplog.at_level(logging.WARNING, logger="yt_pipeline"):
        build(pipeline)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warned == ["[Upload] stages/clean/src/tokenize.py has the name of a standard library "
                      "module (tokenize): a job of that folder, and every library it imports, "
                      "gets this file instead; rename it"]


def test_shared_code_is_listed_as_it_is_packed(full_pipeline):
    """ytp_list_shared_code lists, without building, exactly the archive's members besides
    the stages and the wrappers, by configuration entry: what the cache hashes."""
    from yt_pipeline.config import load_config
    from yt_pipeline_uploader.build import list_shared_code

    pipeline = full_pipeline()
    listed = list_shared_code(pipeline, load_config(pipeline))
    assert not (pipeline / ".build").exists()
    assert list(listed) == [
        "ytjobs", "pipeline.upload_modules[0] helpers", "pipeline.upload_modules[1] textutil.py",
        "pipeline.upload_paths[0] lookup", "pipeline.upload_paths[1] assets",
    ]
    assert [name for name, _ in listed["pipeline.upload_paths[0] lookup"]] == [
        "lookup/codes.csv", "lookup/keep.tmp", "lookup/nested/deep.csv"]
    members = set(archive_files(build(pipeline).archive_path))
    shared = {name for files in listed.values() for name, _ in files}
    assert shared == {m for m in members if not m.startswith(("stages/", "operation_wrapper_"))}

"""Each packaging rule fails with one clear line that names the key or path at fault."""

from __future__ import annotations

import pytest
from packaging_helpers import CONFIG, archive_files, build

from yt_pipeline.errors import PackagingError


def with_settings(**pipeline) -> dict:
    return {**CONFIG, "pipeline": {"mode": "dev", **pipeline}}


def packaging_error(pipeline) -> str:
    with pytest.raises(PackagingError) as caught:
        build(pipeline)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_parent_folder_path_is_rejected(full_pipeline, tmp_path):
    (tmp_path / "outside").mkdir()
    pipeline = full_pipeline(with_settings(upload_paths=["assets", "../outside"]))
    message = packaging_error(pipeline)
    assert message.startswith("pipeline.upload_paths[1]: source ../outside is outside")


def test_absolute_path_outside_is_rejected(full_pipeline, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    pipeline = full_pipeline(with_settings(upload_paths=[{"source": str(elsewhere)}]))
    message = packaging_error(pipeline)
    assert message.startswith(f"pipeline.upload_paths[0]: source {elsewhere} is outside")


def test_absolute_path_inside_is_accepted(full_pipeline):
    pipeline = full_pipeline()
    assets = pipeline / "assets"
    (pipeline / "configs/config.yaml").write_text(
        f"pipeline: {{upload_paths: ['{assets}']}}\nstages: {{enabled_stages: [clean]}}\n"
    )
    assert "assets/logo.txt" in archive_files(build(pipeline).archive_path)


def test_symlinked_source_leading_outside_is_rejected(full_pipeline, tmp_path):
    (tmp_path / "real_data").mkdir()
    pipeline = full_pipeline(with_settings(upload_paths=["linked"]))
    (pipeline / "linked").symlink_to(tmp_path / "real_data")
    message = packaging_error(pipeline)
    assert message.startswith("pipeline.upload_paths[0]: source linked is outside")
    assert f"it leads to {tmp_path / 'real_data'}" in message


def test_symlink_inside_a_folder_leading_outside_is_rejected(full_pipeline, tmp_path):
    (tmp_path / "private.txt").write_text("not for the archive")
    pipeline = full_pipeline(with_settings(upload_paths=["assets"]))
    (pipeline / "assets" / "escape.txt").symlink_to(tmp_path / "private.txt")
    message = packaging_error(pipeline)
    assert message.startswith(f"pipeline.upload_paths[0]: {pipeline / 'assets/escape.txt'} leads")
    assert "outside" in message


def test_symlink_in_stage_code_leading_outside_is_rejected(full_pipeline, tmp_path):
    (tmp_path / "lib.py").write_text("")
    pipeline = full_pipeline()
    (pipeline / "stages/clean/src/lib.py").symlink_to(tmp_path / "lib.py")
    assert packaging_error(pipeline).startswith("stage clean: ")


@pytest.mark.parametrize("target", ["stages", "ytjobs", "ytjobs/extra", "./stages/x"])
def test_reserved_targets_are_rejected(full_pipeline, target):
    pipeline = full_pipeline(with_settings(upload_paths=[{"source": "assets", "target": target}]))
    message = packaging_error(pipeline)
    assert message.startswith(f"pipeline.upload_paths[0]: target {target!r} is reserved")


def test_folder_named_like_a_reserved_target_needs_another_target(full_pipeline):
    pipeline = full_pipeline(with_settings(upload_paths=["data/../stages"]))
    assert packaging_error(pipeline).startswith("pipeline.upload_paths[0]: target 'stages' is")


@pytest.mark.parametrize("target", ["../up", "/abs", "."])
def test_targets_must_stay_inside_the_archive(full_pipeline, target):
    pipeline = full_pipeline(with_settings(upload_paths=[{"source": "assets", "target": target}]))
    message = packaging_error(pipeline)
    assert message == (
        f"pipeline.upload_paths[0]: target {target!r} must be a relative path inside the archive"
    )


def test_two_sources_with_one_target_conflict(full_pipeline):
    paths = [
        {"source": "assets", "target": "shared"},
        {"source": "data/lookup", "target": "shared"},
    ]
    pipeline = full_pipeline(with_settings(upload_paths=paths))
    message = packaging_error(pipeline)
    assert message.startswith(
        "pipeline.upload_paths[1]: target 'shared' is also the target of pipeline.upload_paths[0]"
    )


def test_the_same_source_twice_is_not_a_conflict(full_pipeline):
    pipeline = full_pipeline(with_settings(upload_paths=["assets", {"source": "assets/"}]))
    assert build(pipeline).file_count > 0


def test_module_and_path_with_one_target_conflict(full_pipeline):
    paths = [{"source": "assets", "target": "helpers"}]
    pipeline = full_pipeline(with_settings(upload_modules=["helpers"], upload_paths=paths))
    message = packaging_error(pipeline)
    assert "target 'helpers' is also the target of pipeline.upload_modules[0]" in message


def test_overlapping_targets_that_write_one_file_conflict(full_pipeline):
    paths = [
        {"source": "data/lookup", "target": "lib"},
        {"source": "assets", "target": "lib/nested"},
    ]
    pipeline = full_pipeline(with_settings(upload_paths=paths), extra={"assets/deep.csv": "c\n"})
    message = packaging_error(pipeline)
    assert "lib/nested/deep.csv in the archive would come from both" in message


def test_a_path_cannot_take_a_wrapper_name(full_pipeline):
    paths = [{"source": "textutil.py", "target": "operation_wrapper_clean_map.sh"}]
    pipeline = full_pipeline(with_settings(upload_paths=paths))
    message = packaging_error(pipeline)
    assert message == (
        "pipeline.upload_paths[0]: operation_wrapper_clean_map.sh is the name of a job wrapper "
        "at the archive root"
    )


def test_missing_source_is_named(full_pipeline):
    pipeline = full_pipeline(with_settings(upload_paths=["assets", "no_such_folder"]))
    assert packaging_error(pipeline) == (
        "pipeline.upload_paths[1]: source no_such_folder does not exist"
    )


@pytest.mark.parametrize(
    ("source", "why"),
    [
        (".dev/tmp", "is inside .dev/, which is never packed"),
        ("stages/clean/src/__pycache__", "is inside __pycache__/, which is never packed"),
        ("configs/secrets.env", "is a secrets file; it is never packed"),
    ],
)
def test_paths_that_are_never_packed_are_refused(full_pipeline, source, why):
    pipeline = full_pipeline(with_settings(upload_paths=[source]))
    assert packaging_error(pipeline) == f"pipeline.upload_paths[0]: source {source} {why}"


def test_module_that_cannot_be_imported_is_named(full_pipeline):
    pipeline = full_pipeline(with_settings(upload_modules=["helpers", "no_such_module_4821"]))
    assert packaging_error(pipeline).startswith(
        "pipeline.upload_modules[1]: module no_such_module_4821 cannot be imported"
    )


def test_missing_submodule_is_named(full_pipeline):
    pipeline = full_pipeline(with_settings(upload_modules=["helpers.nothing_here"]))
    assert packaging_error(pipeline).startswith(
        "pipeline.upload_modules[0]: module helpers.nothing_here cannot be imported"
    )


def test_reserved_module_name_is_rejected(full_pipeline):
    pipeline = full_pipeline(with_settings(upload_modules=["ytjobs"]))
    assert packaging_error(pipeline) == (
        "pipeline.upload_modules[0]: module ytjobs would replace the archive's ytjobs/"
    )


def test_compiled_module_is_rejected(full_pipeline):
    pipeline = full_pipeline(with_settings(upload_modules=["math"]))
    message = packaging_error(pipeline)
    assert message.startswith("pipeline.upload_modules[0]: module math is not Python source")


def test_missing_operation_script_names_the_stage_config_key(full_pipeline):
    config = "client:\n  operations:\n    map: {script: src/gone.py}\n"
    pipeline = full_pipeline(extra={"stages/clean/config.yaml": config})
    assert packaging_error(pipeline) == (
        f"stages/clean/config.yaml: client.operations.map.script: script src/gone.py not found "
        f"in {pipeline / 'stages/clean'}"
    )


def test_operation_script_outside_the_stage_is_rejected(full_pipeline):
    config = "client:\n  operations:\n    map: {mapper: ../report/stage.py}\n"
    pipeline = full_pipeline(extra={"stages/clean/config.yaml": config})
    assert packaging_error(pipeline) == (
        "stages/clean/config.yaml: client.operations.map.mapper: script ../report/stage.py "
        "must be a path inside the stage folder"
    )


def test_a_failed_build_leaves_the_previous_archive(full_pipeline):
    pipeline = full_pipeline()
    before = build(pipeline).archive_path.read_bytes()
    (pipeline / "configs/config.yaml").write_text(
        "pipeline: {upload_paths: [missing]}\nstages: {enabled_stages: [clean]}\n"
    )
    packaging_error(pipeline)
    assert (pipeline / ".build/source.tar.gz").read_bytes() == before

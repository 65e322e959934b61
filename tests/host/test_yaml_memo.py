"""Configuration files parsed once are read back from the pipeline's .runs/yaml/ while their
text is unchanged (yaml_memo), and a state file as written is read without YAML: a run with
an unchanged configuration does not import the YAML library."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys

import pytest

from yt_pipeline.errors import ConfigError
from yt_pipeline.state import StateStore, read_statuses
from yt_pipeline.yaml_memo import MEMO_DIR, write_kept
from yt_pipeline.yamlio import read_yaml_mapping


def test_a_kept_file_is_read_back_while_its_text_is_unchanged(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("a: 1\nb: [x, 2.5, null, true]\nc: {d: e}\n")
    first = read_yaml_mapping(config, memo=tmp_path)
    assert not (tmp_path / MEMO_DIR).exists()  # written once a run starts
    write_kept()
    [kept] = (tmp_path / MEMO_DIR).glob("*.json")
    assert json.loads(kept.read_text())["value"] == first
    # the kept value is what is returned: shown by editing it while the text stays
    kept.write_text(json.dumps({**json.loads(kept.read_text()), "value": {"a": "kept"}}))
    assert read_yaml_mapping(config, memo=tmp_path) == {"a": "kept"}
    config.write_text("a: 2\n")  # another text: parsed again
    assert read_yaml_mapping(config, memo=tmp_path) == {"a": 2}
    assert first == {"a": 1, "b": ["x", 2.5, None, True], "c": {"d": "e"}}


def test_a_file_read_again_in_the_run_is_not_parsed_again_nor_shares_its_value(
        tmp_path, monkeypatch):
    from yt_pipeline import yamlio

    config = tmp_path / "config.yaml"
    config.write_text("a: 1\nb: [x]\n")
    parses = []
    parse = yamlio.load_yaml_text
    monkeypatch.setattr(yamlio, "load_yaml_text", lambda *a, **k: parses.append(1) or parse(*a, **k))
    first = read_yaml_mapping(config, memo=tmp_path)
    first["b"].append("changed by its reader")  # a caller's own copy
    assert read_yaml_mapping(config, memo=tmp_path) == {"a": 1, "b": ["x"]}
    assert len(parses) == 1  # the second read found the value the first one kept
    write_kept()
    [kept] = (tmp_path / MEMO_DIR).glob("*.json")
    assert json.loads(kept.read_text())["value"] == {"a": 1, "b": ["x"]}
    config.write_text("a: 2\n")  # another text: parsed again
    assert read_yaml_mapping(config, memo=tmp_path) == {"a": 2}
    assert len(parses) == 2
    write_kept()


def test_values_json_cannot_give_back_are_parsed_every_time(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("day: 2024-02-29\n")
    assert read_yaml_mapping(config, memo=tmp_path) == {"day": datetime.date(2024, 2, 29)}
    write_kept()
    assert not (tmp_path / MEMO_DIR).exists()
    assert read_yaml_mapping(config, memo=tmp_path) == {"day": datetime.date(2024, 2, 29)}


def test_a_damaged_memo_and_bad_yaml_are_handled_as_without_it(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("a: 1\n")
    read_yaml_mapping(config, memo=tmp_path)
    write_kept()
    [kept] = (tmp_path / MEMO_DIR).glob("*.json")
    kept.write_text("{not json")
    assert read_yaml_mapping(config, memo=tmp_path) == {"a": 1}
    config.write_text("a: 1\na: 2\n")
    with pytest.raises(ConfigError, match="duplicate key 'a'"):
        read_yaml_mapping(config, memo=tmp_path)


def test_a_state_file_as_written_is_read_without_yaml(tmp_path):
    store = StateStore(tmp_path, "dev", ["load", "true", "with space", "b"])
    store.set_status("load", "SUCCESS")
    store.set_status("true", "FAILED")  # a YAML word: written quoted
    store.set_status("with space", "SKIPPED")
    store.write()
    code = (
        "import sys\n"
        "from yt_pipeline.state import read_statuses\n"
        f"statuses = read_statuses({str(tmp_path)!r}, 'dev')\n"
        "print(sorted(statuses.items(), key=str), 'yaml' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.stdout.strip() == ("[('b', None), ('load', 'SUCCESS'), ('true', 'FAILED'), "
                                   "('with space', 'SKIPPED')] False"), done.stderr


def test_a_state_file_edited_by_hand_is_read_as_yaml(tmp_path):
    (tmp_path / "state.dev.yml").write_text("load: SUCCESS  # done by hand\n'b': null\n")
    assert read_statuses(tmp_path, "dev") == {"load": "SUCCESS", "b": None}
    (tmp_path / "state.dev.yml").write_text("load: SUCCESS\nload: FAILED\n")
    with pytest.raises(ConfigError, match="duplicate key 'load'"):
        read_statuses(tmp_path, "dev")
    (tmp_path / "state.dev.yml").write_text("load: DONE\n")
    with pytest.raises(ConfigError, match="unknown status 'DONE'"):
        read_statuses(tmp_path, "dev")

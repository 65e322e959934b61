"""Adversarial checks of YT names in dev against the files dev keeps beside them
(yt_pipeline_dev/paths.py stores each YT name under a file name of its own): a YT folder
named as a file dev keeps at the top of .dev is a folder like any other, and dev's file
stays a file.

A Cypress node's name is any non-empty string but "." and ".." (the YPath docs, "YPath":
literals; yt/yt/core/ypath/tokenizer.cpp reads a literal up to the next "/"), so
`//operation.log/t` is a name a cluster takes."""

from __future__ import annotations

import json

VANILLA = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_vanilla


class Van(BaseStage):
    def run(self, debug):
        yt = self.deps.yt_client
        # folders named as the files dev keeps at the top of .dev: its operation log and
        # this stage's vanilla log (docs/dev-vs-prod.md)
        yt.write_table("//operation.log/t", [{"a": 1}], append=True)
        yt.write_table("//van.log/t", [{"b": 2}], append=True)
        yt.write_table("//x.log~/t", [{"c": 3}], append=True)
        run_vanilla(self, self.config.client.operations.van)
        return debug
"""


def test_folders_named_as_dev_s_logs_keep_their_tables(tmp_path, run_cli):
    from yt_pipeline.testing import write_pipeline
    from yt_pipeline_dev.client import DevClient

    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": json.dumps({"pipeline": {"mode": "dev"},
                                           "stages": {"graph": {"van": []}}}),
        "stages/van/stage.py": VANILLA,
        "stages/van/src/task.py": "print('task says hello')\n",
        "stages/van/config.yaml": json.dumps({"client": {"operations": {"van": {
            "script": "src/task.py"}}}}),
    })
    for _ in range(2):
        done = run_cli("run", root, "--force")
        assert done.exit_code == 0, done.output
    dev = root / ".dev"
    client = DevClient(dev)
    assert client.list("//") == ["operation.log", "van.log", "x.log~"]
    assert list(client.read_table("//operation.log/t")) == [{"a": 1}] * 2
    assert list(client.read_table("//van.log/t")) == [{"b": 2}] * 2
    assert list(client.read_table("//x.log~/t")) == [{"c": 3}] * 2
    # dev's own logs are files, each line of both runs there
    assert (dev / "operation.log").read_text().count("append_table //operation.log/t") == 2
    assert (dev / "van.log").read_text().count("task says hello") == 2


def test_a_folder_named_operation_log_made_first(tmp_path):
    from yt_pipeline_dev.client import DevClient

    client = DevClient(tmp_path / ".dev")
    client.create_path("//operation.log")
    client.write_table("//t", [{"a": 1}])
    assert client.list("//") == ["operation.log", "t"]
    assert client.list("//operation.log") == []
    assert list(client.read_table("//t")) == [{"a": 1}]
    assert "write_table //t" in (tmp_path / ".dev/operation.log").read_text()

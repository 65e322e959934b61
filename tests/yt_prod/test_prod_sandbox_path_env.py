"""`$(SandboxPath)` in a job's environment value is the job's sandbox, in dev and on the fake
proxy alike, as a cluster's job proxy gives it.

What a cluster does (ytsaurus/ytsaurus): the job proxy formats each value of the user job
spec's `environment` with a TPatternFormatter holding one property, SandboxPath, the job's
user sandbox, which is its working folder (TUserJob::PrepareEnvironment in
yt/yt/server/job_proxy/user_job.cpp); the formatter (yt/yt/core/misc/pattern_formatter.cpp)
puts a known property's value for `$(Name)` and leaves any other `$(...)` as written. The
integration test test_one_chunk (yt/yt/tests/integration/scheduler/test_map_operation.py)
sets `TMPDIR: $(SandboxPath)/mytmp` and finds an absolute path ending in /mytmp.
"""

from __future__ import annotations

from both_modes import compare_tables, run_both

STAGE = """
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Paths(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//tmp/paths/in", [{"id": 1}])
        run_map(self, self.config.client.operations.map)
        return debug
"""

CONFIG = """
client:
  operations:
    map:
      input_table: //tmp/paths/in
      output_table: //tmp/paths/out
      env:
        WORK: $(SandboxPath)/work
        TWICE: a$(SandboxPath)b$(SandboxPath)
        KEPT: $(Unknown)/x $(SandboxPath
"""

# the job's rows say where each value points, relative to its working folder, so that the
# rows of both modes are equal though their sandboxes differ
MAPPER = """
import os
from ytjobs import read_rows, write_rows

here = os.getcwd()
work, twice = os.environ["WORK"], os.environ["TWICE"]
write_rows({"id": row["id"], "work_absolute": os.path.isabs(work),
            "work": work[len(here):] if work.startswith(here) else work,
            "twice": twice == "a" + here + "b" + here, "kept": os.environ["KEPT"]}
           for row in read_rows())
"""


def test_sandbox_path_in_an_environment_value_is_the_jobs_folder(
        make_pipeline, tmp_path, fake_yt, run_cli, monkeypatch):
    source = make_pipeline({
        "stages/paths/stage.py": STAGE,
        "stages/paths/config.yaml": CONFIG,
        "stages/paths/src/mapper.py": MAPPER,
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["paths"]}})
    dev_dir, _ = run_both(source, tmp_path, fake_yt, run_cli, monkeypatch)
    assert compare_tables(dev_dir, fake_yt) == 2
    assert fake_yt.rows("//tmp/paths/out") == [{
        "id": 1, "work_absolute": True, "work": "/work", "twice": True,
        "kept": "$(Unknown)/x $(SandboxPath"}]

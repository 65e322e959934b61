"""Pipelines written the way yt-framework 1.4's examples are (their imports, their client's
YQL request objects, `log_header`, custom top-level config sections read through
`self.deps.pipeline_config`, several configs, `${...}` references, `OmegaConf` on
`self.config`, `run_map(context=..., sync=False)`), converted by `yt-pipeline migrate` with
no hand edit and run by `yt-pipeline run`. Every table is checked row by row against rows
computed here."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from yt_pipeline.testing import write_pipeline

USERS = [{"user_id": i, "name": n, "city": c}
         for i, n, c in [(1, "ann", "oslo"), (2, "bob", "rome"), (3, "cid", "oslo"),
                         (4, "dan", "lima"), (5, "eve", "rome"), (6, "fay", "oslo")]]

MAKE = '''
from yt_framework.core.pipeline import DebugContext
from yt_framework.core.stage import BaseStage
from yt_framework.utils.logging import log_header, log_success


class MakeTables(BaseStage):
    def run(self, debug: DebugContext) -> DebugContext:
        rows = self.deps.pipeline_config.dataset.rows
        size = self.deps.pipeline_config["dataset"].get("size", "?")
        log_header(self.logger, "Make", f"{rows} users ({size})")
        users = USERS[:rows]
        yt = self.deps.yt_client
        yt.write_table(self.config.client.users, users)
        orders = [{"order_id": 10 * u["user_id"] + k, "user_id": u["user_id"],
                   "amount": 40 * k + u["user_id"]} for u in users for k in range(u["user_id"] % 3 + 1)]
        yt.write_table(self.config.client.orders, orders)
        yt.write_table(self.config.client.archive, [{"order_id": 1, "user_id": 1, "amount": 5}])
        log_success(self.logger, "tables written")
        debug["users_table"] = self.config.client.users
        return debug
'''

TOUR = '''
from yt_framework.core.pipeline import DebugContext
from yt_framework.core.stage import BaseStage
from yt_framework.yt.clients.yql.yql_requests import (
    DistinctRequest,
    FilterTableRequest,
    GroupByAggregateRequest,
    JoinTablesRequest,
    LimitTableRequest,
    SelectColumnsRequest,
    SortTableRequest,
    UnionTablesRequest,
)


class Tour(BaseStage):
    def run(self, debug: DebugContext) -> DebugContext:
        yt = self.deps.yt_client
        c = self.config.client
        out = c.output
        preview = yt.join_tables_request(JoinTablesRequest(
            left_table=c.orders, right_table=debug.get("users_table", c.users),
            output_table=out.joined, on="user_id", how="left",
            select_columns=["a.order_id", "a.amount", "b.name"], dry_run=True))
        assert "INSERT INTO" in preview and not yt.exists(out.joined), "a dry run runs nothing"
        yt.join_tables_request(JoinTablesRequest(
            left_table=c.orders, right_table=c.users, output_table=out.joined,
            on="user_id", how="left", select_columns=["a.order_id", "a.amount", "b.name"]))
        yt.filter_table_request(FilterTableRequest(
            input_table=c.orders, output_table=out.filtered, condition="amount > 60"))
        yt.select_columns_request(SelectColumnsRequest(
            input_table=c.users, output_table=out.selected, columns=["user_id", "name"]))
        yt.group_by_aggregate_request(GroupByAggregateRequest(
            input_table=c.orders, output_table=out.aggregated, group_by="user_id",
            aggregations={"order_count": "count", "total_amount": "sum"}))
        yt.union_tables_request(UnionTablesRequest(
            tables=(c.orders, c.archive), output_table=out.united))
        yt.distinct_request(DistinctRequest(
            input_table=c.users, output_table=out.distinct, columns=["city"]))
        yt.sort_table_request(SortTableRequest(
            input_table=c.orders, output_table=out.sorted, order_by="amount", ascending=False))
        yt.limit_table_request(LimitTableRequest(
            input_table=out.sorted, output_table=out.limited, limit=2, max_row_weight="64M"))
        return debug
'''

CUSTOM = '''
from omegaconf import OmegaConf
from yt_framework.core.pipeline import DebugContext
from yt_framework.core.stage import BaseStage
from yt_framework.operations import run_map


class Custom(BaseStage):
    def run(self, debug: DebugContext) -> DebugContext:
        plain = OmegaConf.to_container(self.config)
        target = OmegaConf.select(self.config, "client.operations.map.output_table")
        assert target == plain["client"]["operations"]["map"]["output_table"]
        assert OmegaConf.select(self.config, "client.nothing", default="d") == "d"
        handle = run_map(context=self.context,
                         operation_config=self.config.client.operations.map, sync=False)
        handle.wait()
        debug["map_state"] = handle.get_state()
        return debug
'''

MAPPER = '''
import json
import re
import sys

from omegaconf import OmegaConf
from ytjobs.config import get_config_path

config = OmegaConf.load(get_config_path())
for line in sys.stdin:
    row = json.loads(line)
    row["tag"] = config.job.tag
    sys.stdout.write(json.dumps(row) + "\\n")
'''

PIPELINE = '''
from yt_framework.core.pipeline import DefaultPipeline

if __name__ == "__main__":
    DefaultPipeline.main()
'''


def config(rows: int, size: str) -> str:
    return json.dumps({"stages": {"enabled_stages": ["make", "tour", "custom"]},
                       "pipeline": {"mode": "dev"},
                       "dataset": {"size": size, "rows": rows}})


@pytest.fixture
def converted(tmp_path, run_cli) -> Path:
    base = "//tmp/ytfp"
    output = {name: f"{base}/{name}" for name in
              ("joined", "filtered", "selected", "aggregated", "united", "distinct", "sorted",
               "limited")}
    root = write_pipeline(tmp_path / "shop", {
        "pipeline.py": PIPELINE,
        "configs/config.yaml": config(4, "small"),
        "configs/config_large.yaml": config(6, "large"),
        "stages/make/stage.py": MAKE.replace("USERS[:rows]", f"{USERS!r}[:rows]"),
        "stages/make/config.yaml": json.dumps({"client": {
            "users": f"{base}/users", "orders": f"{base}/orders", "archive": f"{base}/archive"}}),
        "stages/tour/stage.py": TOUR,
        "stages/tour/config.yaml": json.dumps({"client": {
            "users": f"{base}/users", "orders": f"{base}/orders", "archive": f"{base}/archive",
            "output": output}}),
        "stages/custom/stage.py": CUSTOM,
        "stages/custom/src/mapper.py": MAPPER,
        # ${...} references, resolved for the stage and for its job
        "stages/custom/config.yaml": (
            "job:\n  tag: ${client.label}-job\n"
            "client:\n  base: //tmp/ytfp\n  label: tagged\n  operations:\n    map:\n"
            "      input_table: ${client.base}/users\n"
            "      output_table: ${client.base}/tagged\n"),
    })
    result = run_cli("migrate", str(root))
    assert result.exit_code == 0, result.output
    assert "rewrote 4 file(s)" in result.stdout
    return root


def table(root: Path, name: str) -> list[dict]:
    path = root / ".dev/tmp/ytfp" / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def bag(rows: list[dict]) -> Counter:
    return Counter(json.dumps(r, sort_keys=True) for r in rows)


def expected(rows: int) -> dict[str, list[dict]]:
    users = USERS[:rows]
    orders = [{"order_id": 10 * u["user_id"] + k, "user_id": u["user_id"],
               "amount": 40 * k + u["user_id"]} for u in users for k in range(u["user_id"] % 3 + 1)]
    names = {u["user_id"]: u["name"] for u in users}
    ordered = sorted(orders, key=lambda o: -o["amount"])
    return {
        "users": users, "orders": orders,
        "joined": [{"order_id": o["order_id"], "amount": o["amount"], "name": names[o["user_id"]]}
                   for o in orders],
        "filtered": [o for o in orders if o["amount"] > 60],
        "selected": [{"user_id": u["user_id"], "name": u["name"]} for u in users],
        "aggregated": [{"user_id": u, "order_count": n, "total_amount": sum(
            o["amount"] for o in orders if o["user_id"] == u)}
            for u, n in Counter(o["user_id"] for o in orders).items()],
        "united": orders + [{"order_id": 1, "user_id": 1, "amount": 5}],
        "distinct": [{"city": c} for c in sorted({u["city"] for u in users})],
        "sorted": ordered,
        "limited": ordered[:2],
        "tagged": [{**u, "tag": "tagged-job"} for u in users],
    }


@pytest.mark.parametrize("how", ["cli", "script"])
@pytest.mark.parametrize("config_file,rows", [(None, 4), ("configs/config_large.yaml", 6)])
def test_a_converted_pipeline_writes_the_expected_tables(converted, run_cli, how, config_file,
                                                         rows):
    extra = ["--config", str(converted / config_file)] if config_file else []
    if how == "cli":
        result = run_cli("run", str(converted), *extra)
        assert result.exit_code == 0, result.output
    else:
        import subprocess
        import sys

        done = subprocess.run([sys.executable, "pipeline.py", *extra], cwd=converted,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    for name, rows_wanted in expected(rows).items():
        got = table(converted, name)
        if name in ("sorted", "limited"):
            # ordered DESC, the table keeps the hidden sort column a cluster's YQL leaves
            # (yql_rules.hidden_sort, TKeySelectorBuilder::AddColumn), which no query sees:
            # the LIMIT's table has none; the rows' own columns are yt-framework's
            own = [{k: v for k, v in row.items() if not k.startswith("_yql_")} for row in got]
            assert own == rows_wanted, name  # the order is the point of these two
            assert [("_yql_column_0" in row) for row in got] == [name == "sorted"] * len(got)
        else:
            assert bag(got) == bag(rows_wanted), name
    state = json.loads((converted / ".runs/stages.dev.json").read_text())
    assert state["custom"]["debug"]["map_state"] == "completed"


DOCKER_STAGE = '''
from yt_framework.core.pipeline import DebugContext
from yt_framework.core.stage import BaseStage
from yt_framework.operations import run_vanilla


class InDocker(BaseStage):
    def run(self, debug: DebugContext) -> DebugContext:
        run_vanilla(context=self.context, operation_config=self.config.client.operations.vanilla)
        return debug
'''


def test_a_converted_prod_pipeline_with_a_docker_image_plans_on_the_proxy(tmp_path, run_cli,
                                                                          fake_yt):
    """yt-framework's custom-docker pattern (a vanilla job with `docker_image`, pool, limits)
    converts, and `--dry-run` in prod plans it against the (fake) proxy."""
    from yt_pipeline_prod.testing import TEST_TOKEN

    root = write_pipeline(tmp_path / "docker", {
        "pipeline.py": PIPELINE,
        "configs/config.yaml": json.dumps({"stages": {"enabled_stages": ["in_docker"]},
                                           "pipeline": {"mode": "prod",
                                                        "build_folder": "//tmp/ytfp/build"}}),
        "configs/secrets.env": f"YT_PROXY={fake_yt.url}\nYT_TOKEN={TEST_TOKEN}\n",
        "stages/in_docker/stage.py": DOCKER_STAGE,
        "stages/in_docker/src/vanilla.py": "print('hello from the image')\n",
        "stages/in_docker/config.yaml": json.dumps({"job": {"message": "hi"}, "client": {
            "operations": {"vanilla": {"max_failed_job_count": 1, "resources": {
                "pool": "default", "docker_image": "registry.example/image:1",
                "memory_limit_gb": 4, "cpu_limit": 2}}}}}),
    })
    assert run_cli("migrate", str(root)).exit_code == 0
    result = run_cli("run", str(root), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "in_docker" in result.stdout and "1 of 1 stages to run" in result.stdout
    assert fake_yt.specs == []  # planned, nothing started


FORK_STAGE = '''
from yt_pipeline import BaseStage
from yt_pipeline.operations import run_map


class Forks(BaseStage):
    def run(self, debug):
        other = self.context.fork(name="forks")
        assert other.name == "forks" and other.stage_dir == self.context.stage_dir
        cfg = self.config.client.operations.map
        try:
            run_map(context=self.context, operation_config=cfg, mapper=object())
        except Exception as error:
            debug["typed"] = str(error)
        try:
            run_map(self, cfg, mapper="src/loose.py")
        except Exception as error:
            debug["loose"] = str(error)
        handle = run_map(context=other, operation_config=cfg, mapper="python3 src/other.py",
                         sync=False)
        failing = run_map(self, cfg, mapper="src/broken.py", sync=False)
        try:
            failing.wait()
        except Exception as error:
            debug["failed"] = type(error).__name__
            debug["failed_message"] = str(error)
        debug["state"] = failing.get_state()
        debug["done"] = handle.wait().operation_id is not None or True
        return debug
'''


def test_fork_job_keywords_and_operations_that_do_not_wait(tmp_path, run_cli):
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": json.dumps({"stages": {"enabled_stages": ["forks"]},
                                           "pipeline": {"mode": "dev"}}),
        "stages/forks/stage.py": FORK_STAGE,
        "stages/forks/src/mapper.py": "raise SystemExit('the default mapper must not run')\n",
        "stages/forks/src/other.py": ("import json, sys\nfor line in sys.stdin:\n"
                                      "    row = json.loads(line)\n    row['by'] = 'other'\n"
                                      "    print(json.dumps(row))\n"),
        "stages/forks/src/broken.py": "raise SystemExit(3)\n",
        "stages/forks/src/loose.py": "raise SystemExit(4)\n",
        # scripts given by keyword are named in the config, so they are packed with wrappers
        "stages/forks/config.yaml": json.dumps({"client": {"operations": {
            "map": {"input_table": "//f/in", "output_table": "//f/out"},
            "alt": {"input_table": "//f/in", "output_table": "//f/alt",
                    "mapper": "src/other.py"},
            "bad": {"input_table": "//f/in", "output_table": "//f/bad",
                    "mapper": "src/broken.py"}}}}),
    })
    write_pipeline(root, {".dev/f/in.jsonl": '{"i": 1}\n{"i": 2}\n'})
    result = run_cli("run", str(root))
    assert result.exit_code == 0, result.output
    debug = json.loads((root / ".runs/stages.dev.json").read_text())["forks"]["debug"]
    assert "typed jobs (object) are not supported" in debug["typed"]
    assert debug["failed"] == "OperationFailed" and debug["state"] == "failed"
    assert "name the script in the stage's config.yaml too" in debug["loose"]
    rows = [json.loads(x) for x in (root / ".dev/f/out.jsonl").read_text().splitlines()]
    assert rows == [{"i": 1, "by": "other"}, {"i": 2, "by": "other"}]


def test_a_stage_that_does_not_wait_still_fails_with_its_operation(tmp_path, run_cli):
    stage = ("from yt_pipeline import BaseStage\nfrom yt_pipeline.operations import run_map\n\n\n"
             "class Quick(BaseStage):\n    def run(self, debug):\n"
             "        run_map(self, self.config.client.operations.map, sync=False)\n"
             "        return debug\n")
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": json.dumps({"stages": {"enabled_stages": ["quick"]},
                                           "pipeline": {"mode": "dev"}}),
        "stages/quick/stage.py": stage,
        "stages/quick/src/mapper.py": "raise SystemExit(5)\n",
        "stages/quick/config.yaml": json.dumps({"client": {"operations": {"map": {
            "input_table": "//q/in", "output_table": "//q/out"}}}}),
        ".dev/q/in.jsonl": '{"i": 1}\n',
    })
    result = run_cli("run", str(root))
    assert result.exit_code == 1
    assert "exit code 5" in result.output
    assert not (root / ".dev/q/out.jsonl").exists()  # the stage's writes did not land


def test_a_stage_failing_while_its_operation_fails_reports_its_own_error(tmp_path, run_cli):
    """The stage waits for the operations it left running, also when its code raised: that
    error is the stage's, and retried or not by its type (`retry_on`). An operation failing
    meanwhile replaced it (an exception raised in a `finally`), so a stage whose code raised
    ValueError was reported as, and retried as, the operation's OperationFailed."""
    stage = ("from yt_pipeline import BaseStage\nfrom yt_pipeline.operations import run_map\n\n\n"
             "class Quick(BaseStage):\n    def run(self, debug):\n"
             "        run_map(self, self.config.client.operations.map, sync=False)\n"
             "        raise ValueError('the stage found no rows to check')\n")
    root = write_pipeline(tmp_path / "p", {
        "configs/config.yaml": json.dumps({"stages": {"enabled_stages": ["quick"]},
                                           "pipeline": {"mode": "dev"}}),
        "stages/quick/stage.py": stage,
        "stages/quick/src/mapper.py": "raise SystemExit(5)\n",
        "stages/quick/config.yaml": json.dumps({
            "retry": {"max_attempts": 3, "backoff_s": 0},
            "client": {"operations": {"map": {"input_table": "//q/in", "output_table": "//q/out",
                                              "max_failed_job_count": 1}}}}),
        ".dev/q/in.jsonl": '{"i": 1}\n',
    })
    result = run_cli("run", str(root))
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert errors == ["error: stage quick failed: ValueError('the stage found no rows to "
                      f"check') at {root / 'stages/quick/stage.py'}:8"], result.output
    # a ValueError is the stage's own mistake: not retried, as the same code raises it again
    assert "attempt 1 of 3 failed" not in result.output
    # the operation's failure is still told, as a warning of the stage
    assert re.search(r"WARNING \[quick\] operation map, not waited for, failed too: stage "
                     r"quick operation map \(map\): Failed jobs limit exceeded .*exit code 5",
                     result.output), result.output
    assert not (root / ".dev/q/out.jsonl").exists()

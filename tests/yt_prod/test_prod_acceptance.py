"""Prod as a stock cluster runs it: every example, and a pipeline of every operation kind,
give the same rows on the strict fake proxy as in dev."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from pathlib import Path

import pytest
from both_modes import compare_tables, prod_tables, run_both

REPO = Path(__file__).resolve().parents[2]
#: every example that is a pipeline (07_plugin is a plugin package, run by tests/docs)
EXAMPLES = sorted(p.name for p in (REPO / "examples").iterdir()
                  if (p / "configs" / "config.yaml").is_file())


def test_every_pipeline_example_is_here():
    assert {"01_hello_world", "03_yql", "04_map", "05_vanilla", "06_reduce"} <= set(EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_gives_the_same_tables_in_prod_and_dev(example, tmp_path, fake_yt, run_cli,
                                                       monkeypatch):
    dev_dir, _ = run_both(REPO / "examples" / example, tmp_path, fake_yt, run_cli, monkeypatch)
    # 04_map writes which job handled a row: the scheduler's choice, not the data's
    compared = compare_tables(dev_dir, fake_yt, scheduler_columns=("job",))
    if example != "05_vanilla":  # its tasks write no table
        assert compared >= 1


PIPELINE = Path(__file__).resolve().parent / "acceptance"


def test_a_pipeline_of_every_kind_gives_the_same_rows_in_prod_and_dev(tmp_path, fake_yt,
                                                                      run_cli, monkeypatch):
    dev_dir, _ = run_both(PIPELINE, tmp_path, fake_yt, run_cli, monkeypatch, "--workers", "3")
    compared = compare_tables(dev_dir, fake_yt)
    assert compared == 9
    prod = prod_tables(fake_yt)
    assert len(prod["//tmp/acceptance/big_selected"]) == 25_000
    countries = Counter(e["country"] for e in prod["//tmp/acceptance/events"] if "country" in e)
    assert prod["//tmp/acceptance/countries"] == [
        {"country": c, "events": countries[c]} for c in ("de", "fr", "nl")]
    assert [r["user"] for r in prod["//tmp/acceptance/per_user"]] == ["ann", "bob", "cyd", "dee"]
    events = prod["//tmp/acceptance/events"]
    # the two-output map routed each row by its output table switch
    assert {r["to"] for r in prod["//tmp/acceptance/clicks"]} == {"//tmp/acceptance/clicks"}
    assert len(prod["//tmp/acceptance/views"]) == sum(e["kind"] == "view" for e in events)
    # the join told users from events by table index, over two unsorted inputs
    joined = {r["user"]: r for r in prod["//tmp/acceptance/joined"]}
    assert joined["bob"]["age"] == 23
    assert sorted(joined["bob"]["events"]) == [e["id"] for e in events if e["user"] == "bob"]
    # each vanilla job had a cookie of its own, in both modes
    prod_cookies = sorted(line for job in fake_yt.jobs
                          for line in job.stderr.decode().splitlines() if "cookie=" in line)
    dev_log = (dev_dir / ".dev" / "cookies.log").read_text()
    dev_cookies = sorted(line for line in dev_log.splitlines() if "cookie=" in line)
    assert prod_cookies == dev_cookies == [f"job cookie={n} of vanilla.py" for n in range(3)]


@pytest.mark.cluster
@pytest.mark.skipif(not (os.environ.get("YT_PROXY") and os.environ.get("YT_TOKEN")),
                    reason="needs a real cluster: set YT_PROXY and YT_TOKEN")
def test_the_pipeline_of_every_kind_on_a_real_cluster(tmp_path, run_cli, monkeypatch):
    from yt_pipeline_prod.client import ProdClient
    from yt_pipeline_prod.settings import ProdSettings

    proxy, token = os.environ["YT_PROXY"], os.environ["YT_TOKEN"]
    root = f"//tmp/yt_pipeline_tests/{uuid.uuid4().hex[:12]}"
    client = ProdClient(ProdSettings(proxy=proxy, token=token, build_folder=f"{root}/build"))
    try:
        dev_dir, _ = run_both(PIPELINE, tmp_path, None, run_cli, monkeypatch, "--workers", "3",
                              cluster=(proxy, token), paths={"//tmp/acceptance": root})
        tables = [name for name in client.list(root) if name != "build"]
        prod = {f"{root}/{name}": list(client.read_table(f"{root}/{name}")) for name in tables}
        # a cluster splits input among jobs its own way: row order is compared apart
        assert compare_tables(dev_dir, None, prod=prod, unordered=tuple(prod)) == 9
    finally:
        client.remove(root, recursive=True)
        client.close()


def test_requirements_a_bare_cluster_python_cannot_install_fail_saying_so(tmp_path, fake_yt,
                                                                          run_cli, monkeypatch):
    # A stock image's python3 has no pip (the fake's jobs run such a bare python3): the
    # wrapper cannot install a stage's requirements.txt, and says so and what to do, rather
    # than leaving "No module named pip" as the only clue. Dev checks requirements against
    # the local packages and runs.
    from both_modes import copy_pipeline

    from yt_pipeline_prod.testing import TEST_PROD_OPTIONS, TEST_TOKEN

    source = copy_pipeline(REPO / "examples" / "04_map", tmp_path / "source")
    (source / "stages" / "greet" / "requirements.txt").write_text("pyyaml\n")
    dev = run_cli("run", source, "--set", "pipeline.mode=dev")
    assert dev.exit_code == 0, dev.output
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    (source / "configs" / "secrets.env").write_text(
        f"YT_PROXY={fake_yt.url}\nYT_TOKEN={TEST_TOKEN}\n")
    prod = run_cli("run", source, "--set", "pipeline.mode=prod",
                   *[f"--set=pipeline.prod.{k}={v}" for k, v in TEST_PROD_OPTIONS.items()
                     if k != "yt_config"])
    assert prod.exit_code != 0
    assert ("stage greet has a requirements.txt, but the job's python3 has no pip"
            in " ".join(prod.output.split()))
    assert "resources.docker_image" in prod.output
    assert all(job.failed for job in fake_yt.jobs if job.type == "map")

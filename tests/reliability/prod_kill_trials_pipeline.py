"""kill_trials_pipeline.py's pipeline in prod on the fake YT proxy, and what a trial checks
there beyond the rows: the transactions and commit markers a run leaves on the cluster.

The pipeline is the dev one, its stages unchanged: `seed` (re)writes //a/base, //a/acc and
//a/yacc, six stages append to them two at a time (a map whose job 1 fails its first
attempt after writing rows, a sort + reduce, a map_reduce, write_table appends, YQL
`INSERT INTO` without TRUNCATE from two stages, a retried stage), `tail` reads //a/acc.
In prod each stage attempt is one transaction (yt_pipeline_prod/stage_txn.py); the
pipeline's own nodes live under //b, apart from the tables checked row by row.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from kill_trials_pipeline import GRAPH
from kill_trials_pipeline import make as make_dev

from yt_pipeline_prod.testing import TEST_TOKEN

DATA = "//a"
BUILD_FOLDER = "//b/build"
MARKERS = f"{BUILD_FOLDER}/commits"
#: where the prod client stages the results of YQL INSERTs (yql.py): each is removed when
#: its stage ends, committed or not; a run killed outright leaves those of its queries and
#: stages in flight, which the cluster removes a day later: the query's `EXPIRATION` hint
#: (yql_text.RESULT_EXPIRATION) becomes the table's `expiration_timeout` (the
#: EYtSettingType::Expiration case of publishing a table in yt/yql/providers/yt/gateway/
#: native/yql_yt_native.cpp, ytsaurus/ytsaurus); the fake ignores the hint
YQL_STAGING = "//tmp/yt_pipeline/yql_results"
#: the stage transactions' lease: a killed run's transactions end this soon
LEASE_MS = 1500
#: the run lock's lease (run_lock.py): a resume takes the killed run's lock over at once,
#: whatever is left of it
RUN_LOCK_TIMEOUT_S = 8


def prod_options() -> dict[str, Any]:
    return {"retries": False, "poll_interval_s": 0.05, "run_lock_timeout_s": RUN_LOCK_TIMEOUT_S,
            "yt_config": {"transaction_sleep_period": 5, "transaction_timeout": LEASE_MS}}


def make(root: Path, url: str) -> Path:
    make_dev(root)
    config = json.loads((root / "configs/config.yaml").read_text())
    config["pipeline"] = {"mode": "prod", "workers": 2, "build_folder": BUILD_FOLDER,
                          "prod": prod_options()}
    (root / "configs/config.yaml").write_text(json.dumps(config))
    (root / "configs/secrets.env").write_text(f"YT_PROXY={url}\nYT_TOKEN={TEST_TOKEN}\n")
    return root


def tables(fake: Any) -> dict[str, Counter]:
    """Every table under //a, committed rows, as multisets of rows (keys sorted)."""
    cypress = fake.state.cypress
    with cypress.lock:
        paths = [p for p in cypress.subtree(DATA, None)
                 if (node := cypress.lookup(p, None)) is not None and node.type == "table"]
    return {path: Counter(json.dumps(row, sort_keys=True) for row in fake.rows(path))
            for path in paths}


def markers(fake: Any) -> dict[str, Any]:
    """The commit markers on the fake: path -> (title, has an expiration_time)."""
    cypress = fake.state.cypress
    with cypress.lock:
        found = {}
        for path in cypress.subtree(MARKERS, None):
            if path == MARKERS:
                continue
            node = cypress.lookup(path, None)
            value = node.value if node is not None else None
            title = value.get("title") if isinstance(value, dict) else None
            found[path] = (node.type if node else None, title,
                           node is not None and "expiration_time" in node.attributes)
        return found


def leftovers(fake: Any, killed: bool) -> list[str]:
    """What the runs left on the fake that the design does not keep: YQL staging tables
    unless a run was killed outright (`killed`), commit markers that are not expiring
    documents naming a stage."""
    problems = []
    cypress = fake.state.cypress
    with cypress.lock:
        staging = [p for p in cypress.subtree(YQL_STAGING, None) if p != YQL_STAGING]
    if staging and not killed:
        problems.append(f"YQL staging tables left: {staging}")
    for path, (kind, title, expires) in markers(fake).items():
        if kind != "document" or not expires:
            problems.append(f"marker {path}: a {kind}, expiration_time {expires}")
        if not any(title and name in str(title) for name in GRAPH):
            problems.append(f"marker {path} names no stage: {title!r}")
    return problems


def marker_counts(fake: Any) -> Counter:
    """Commit markers per stage (a stage's transaction title names it)."""
    counts: Counter = Counter()
    for _, title, _ in markers(fake).values():
        counts[str(title)] += 1
    return counts

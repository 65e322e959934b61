"""`yt-pipeline report`: the page of a real dev run, read back from its markup (the browser
test, test_report_browser.py, loads the same page in Chromium)."""

from __future__ import annotations

import json
import shutil

from page_dom import read_page
from report_pipeline import ODD_NAME, ROWS, SECOND_RUN, SECRET, STAGES, write_report_pipeline

from yt_pipeline.secret_forms import forms
from yt_pipeline.testing import invoke_cli


def report(root, *args):
    out = root / "page.html"
    result = invoke_cli("report", root, "-o", out, *args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"wrote {out}"
    return out.read_text()


def test_every_stage_with_its_state_and_the_tables_with_their_rows(two_runs):
    root, _ = two_runs
    page = read_page(report(root))
    assert set(STAGES) == set(SECOND_RUN)
    assert page.nodes == SECOND_RUN
    assert page.sections == SECOND_RUN
    ran = {name: state for name, state in SECOND_RUN.items() if state != "NOT RUN"}
    assert page.bars == ran
    assert page.retried == {"clean_events"}
    assert page.tables == {**{path: str(rows) for path, rows in ROWS.items()},
                           "//report/published": ""}
    assert "does not exist" in page.text  # publish failed: its output was never made
    assert "hit: fingerprint" in page.text and "upstream stage publish failed" in page.text


def test_default_is_the_newest_run_and_run_picks_another(two_runs):
    root, (first, second) = two_runs
    assert f"run {second}" in read_page(report(root)).text
    older = read_page(report(root, "--run", first[:-2]))  # a unique start is enough
    assert f"run {first}" in older.text
    assert older.nodes["clean_users"] == "SUCCESS"  # a cache miss the first time
    assert older.retried == {"clean_events"}


def test_markup_in_names_and_errors_is_text_and_secrets_are_masked(two_runs):
    root, (_, second) = two_runs
    markup = report(root)
    page = read_page(markup)
    assert page.tags["img"] == 0 and page.tags["script"] == 1  # the page's own script only
    assert ODD_NAME in page.text
    assert "<script>alert('stderr')</script> upstream refused the batch" in page.text
    # the job logs are the run's own: its failed job's stderr, the vanilla tasks' output
    assert f".runs/logs/{second}/publish.log" in page.text
    assert f".runs/logs/{second}/enrich.log" in page.text and "enriched 3 rows" in page.text
    assert ".dev/enrich.log" not in page.text  # the same lines, of every run
    assert "late line with *** in clear" in page.text
    for form in forms(SECRET):
        assert form not in markup
    # nothing to fetch: every link points inside the page
    assert page.links and all(link.startswith("#") for link in page.links)


def test_default_output_is_next_to_the_run_records(two_runs):
    root, (_, second) = two_runs
    result = invoke_cli("report", root, "--no-rows")
    assert result.exit_code == 0, result.output
    written = root / ".runs" / f"report-{second}.html"
    assert result.stdout.strip() == f"wrote {written}"
    page = read_page(written.read_text())
    assert set(page.tables.values()) == {""}
    assert "row counts not asked for" in page.text


def test_errors_name_what_is_missing(two_runs, tmp_path):
    root, (first, second) = two_runs
    result = invoke_cli("report", root, "--run", "nope")
    assert result.exit_code == 2 and "no run nope" in result.stderr
    result = invoke_cli("report", root, "--run", "2")
    assert result.exit_code == 2 and "matches 2 runs" in result.stderr
    fresh = write_report_pipeline(tmp_path / "fresh")
    result = invoke_cli("report", fresh)
    assert result.exit_code == 2 and "no dev run recorded" in result.stderr


def test_prod_without_credentials_says_counts_are_not_available(two_runs, tmp_path):
    root, (_, second) = two_runs
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".dev"))
    (copy / "configs" / "secrets.env").write_text("")
    record = json.loads((copy / ".runs" / f"{second}.json").read_text())
    # another run's id (one that ended in "f" already would be the dev run itself)
    record.update(mode="prod", state="prod",
                  run_id=second[:-1] + ("e" if second.endswith("f") else "f"))
    (copy / ".runs" / f"{record['run_id']}.json").write_text(json.dumps(record))
    markup = report(copy, "--set", "pipeline.mode=prod")
    page = read_page(markup)
    assert f"run {record['run_id']}" in page.text and page.nodes == SECOND_RUN
    assert "row counts not available: no YT_PROXY and no YT_TOKEN" in page.text
    assert set(page.tables.values()) == {""}
    assert "publish.log" not in page.text  # that run kept no job logs


def test_a_stage_gone_from_the_graph_and_a_run_still_going(two_runs, tmp_path):
    root, (_, second) = two_runs
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    record = json.loads((copy / ".runs" / f"{second}.json").read_text())
    record["stages"]["old_step"] = {"start": record["started_at"], "end": record["started_at"] + 1,
                                    "duration_s": 1, "outcome": "SUCCESS", "attempts": 1}
    (copy / ".runs" / f"{second}.json").write_text(json.dumps(record))
    page = read_page(report(copy))
    assert page.nodes["old_step"] == "SUCCESS"
    assert "no longer in the pipeline" in page.text
    running = {"run_id": "29990101-000000-000000", "status": "RUNNING", "mode": "dev",
               "state": "dev", "started_at": record["started_at"], "stages": {}}
    (copy / ".runs" / f"{running['run_id']}.json").write_text(json.dumps(running))
    page = read_page(report(copy))
    assert set(page.nodes.values()) == {"NOT RUN"} and not page.bars
    assert "No stage of this run" in page.text


def test_a_secret_with_markup_characters_is_masked_before_it_is_escaped(two_runs, tmp_path):
    """Escaped first, `p&<"q` would be written `p&amp;&lt;&quot;q`, which no mask finds."""
    from html import escape

    root, (_, second) = two_runs
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    secret = 'p&ss<"wörd>'
    (copy / "configs" / "secrets.env").write_text(f"REPORT_API_KEY='{secret}'\n")
    # a record and a log that hold it in clear (as written before it was a secret)
    record_file = copy / ".runs" / f"{second}.json"
    record = json.loads(record_file.read_text())
    record["stages"]["publish"]["error"] += f"\ntoken {secret} and {json.dumps(secret)}"
    record_file.write_text(json.dumps(record))
    with (copy / ".dev" / "enrich.log").open("a") as log:
        log.write(f"key {secret}\n")
    markup = report(copy)
    for form in forms(secret):
        assert form not in markup and escape(form) not in markup
    assert "token *** and" in read_page(markup).text


FUNCTION_PIPELINE = """
from yt_pipeline import Pipeline, step


@step(outputs=["raw"])
def load():
    return [1, 2, 3]


@step(inputs=["raw"], outputs=["total"])
def total(raw):
    return sum(raw)


@step(inputs=["total"])
def check(total):
    raise RuntimeError("told to fail")


Pipeline("etl").add_step(load).add_step(total).add_step(check).run()
"""


def test_a_function_step_pipeline_has_its_page_from_the_run_record(tmp_path, monkeypatch):
    import subprocess
    import sys

    (tmp_path / "etl.py").write_text(FUNCTION_PIPELINE)
    subprocess.run([sys.executable, "etl.py"], cwd=tmp_path, capture_output=True, timeout=120)
    runs = invoke_cli("runs", tmp_path)
    assert runs.exit_code == 0 and "etl.dev" in runs.output, runs.output
    page = read_page(report(tmp_path))
    assert page.nodes == {"load": "SUCCESS", "total": "SUCCESS", "check": "FAILED"}
    assert page.sections == page.nodes and page.bars == page.nodes
    assert "told to fail" in page.text
    run_id = runs.output.split()[0]
    assert read_page(report(tmp_path, "--run", run_id)).nodes == page.nodes
    bad = invoke_cli("report", tmp_path, "--run", "nope")
    assert bad.exit_code == 2 and "no run nope" in bad.output
    # the default page is named by its whole path, as for a folder pipeline
    monkeypatch.chdir(tmp_path)
    default = invoke_cli("report", ".")
    assert default.stdout == f"wrote {tmp_path.resolve() / '.runs' / f'report-{run_id}.html'}\n"

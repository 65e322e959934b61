"""The report page in a real browser: headless Chromium loads the page `yt-pipeline report`
wrote for a real dev run (parallel stages, a retry, a cache hit, a failure), and must find
no error, fetch nothing but the file, build every stage with its state and every table with
its row count, and draw the graph.

Chromium comes from the Debian packages, installed when missing (see browser.py). To renew
the picture in the docs: `YTP_REPORT_SCREENSHOT=docs/images/report.png pytest
tests/report/test_report_browser.py`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from browser import Browser, ensure_browser, png_pixels
from page_dom import read_page
from report_pipeline import ODD_NAME, ROWS, SECOND_RUN, SECRET

from yt_pipeline.secret_forms import forms

WIDTH, HEIGHT = 1400, 1000
#: the stylesheet's state colours, as the screenshot must show them
COLOURS = {"SUCCESS": (0x2F, 0x9E, 0x5A), "FAILED": (0xD6, 0x45, 0x45),
           "CACHED": (0x3A, 0x76, 0xD0), "SKIPPED": (0x8A, 0x96, 0xA3)}


@pytest.fixture(scope="module")
def browser():
    with Browser(ensure_browser(), WIDTH, HEIGHT) as running:
        yield running


def test_the_page_in_chromium(two_runs, browser, tmp_path):
    root, (_, second) = two_runs
    page_file = tmp_path / "report.html"
    # the command as a user runs it, in a process of its own
    done = subprocess.run([sys.executable, "-m", "yt_pipeline", "report", str(root),
                           "-o", str(page_file)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr

    visit = browser.visit(page_file.as_uri())

    assert visit.errors == []
    assert visit.requests == [page_file.as_uri()]
    page = read_page(visit.dom)
    assert page.nodes == SECOND_RUN and page.sections == SECOND_RUN
    assert page.bars == {n: s for n, s in SECOND_RUN.items() if s != "NOT RUN"}
    assert page.retried == {"clean_events"}
    assert page.tables == {**{p: str(n) for p, n in ROWS.items()}, "//report/published": ""}
    assert page.tags["img"] == 0 and ODD_NAME in page.text
    assert f"run {second}" in page.text
    for form in forms(SECRET):
        assert form not in visit.dom

    shot = tmp_path / "report.png"
    shot.write_bytes(visit.screenshot)
    if os.environ.get("YTP_REPORT_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["YTP_REPORT_SCREENSHOT"])
    width, height, rows = png_pixels(visit.screenshot)
    assert (width, height) == (WIDTH, HEIGHT) and len(visit.screenshot) > 20_000
    assert len(set(rows)) > 100, "the screenshot is nearly blank"
    # the graph's nodes are drawn in their states' colours, each a sizeable area (a byte
    # search per row: a colour seen across two pixels is too rare to matter)
    rgb = len(rows[0]) // width == 3
    for state, colour in COLOURS.items():
        pixel = bytes(colour) if rgb else bytes(colour) + b"\xff"
        assert sum(row.count(pixel) for row in rows) > 2000, f"no {state} node in the screenshot"


def test_without_a_browser_nor_the_rights_to_install_one_the_test_skips(monkeypatch):
    import browser as helper

    monkeypatch.setattr(helper.shutil, "which", lambda name: "/usr/bin/apt-get"
                        if name == "apt-get" else None)
    monkeypatch.setattr(helper.os, "geteuid", lambda: 1000)
    with pytest.raises(pytest.skip.Exception, match="installing it needs root"):
        helper.ensure_browser()
    monkeypatch.setattr(helper.shutil, "which", lambda name: None)
    with pytest.raises(pytest.skip.Exception, match="no apt-get"):
        helper.ensure_browser()

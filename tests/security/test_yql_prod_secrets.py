"""A prod query on the fake query tracker that fails with an Unwrap whose message is a
secret of two lines: the error carries the message whole, as YQL's does, and the run's
output and files show it masked, no line of it left."""

from __future__ import annotations

import pytest

pytest.importorskip("yt_pipeline_prod")

from prod_pipeline import retry_options, run_pipeline  # noqa: E402 - after the skip
from test_yql_dev_secrets import API_KEY, BS_N, NL, QUERY, TWO_LINES, WRITE, pieces  # noqa: E402

from yt_pipeline.testing import write_pipeline  # noqa: E402
from yt_pipeline_prod.testing import start_fake_proxy  # noqa: E402

TOKEN = "ytp-prod-TOKEN-0a1b2c3d4e5f"
UNWRAP = "SELECT Unwrap(CAST(s AS Int32), note) AS x FROM `//tmp/q/a`;"


def test_an_unwrap_message_of_two_lines_is_masked_whole(tmp_path, monkeypatch):
    for name in ("YT_PROXY", "YT_TOKEN", "API_KEY", "TWO_LINES"):
        monkeypatch.delenv(name, raising=False)
    fake = start_fake_proxy(token=TOKEN)
    try:
        root = write_pipeline(tmp_path / "p", {
            "configs/secrets.env": f"YT_PROXY={fake.url}\nYT_TOKEN={TOKEN}\nAPI_KEY={API_KEY}\n"
                                   f'TWO_LINES="{TWO_LINES.replace(NL, BS_N)}"\n',
            "stages/write/stage.py": WRITE,
            "stages/query/stage.py": QUERY.replace("QUERY_TEXT", repr(UNWRAP)),
        }, config={"pipeline": {"mode": "prod", "build_folder": "//home/s/build",
                                "prod": retry_options()},
                   "stages": {"graph": {"write": [], "query": ["write"]}}})
        run = run_pipeline(root)
        fake.wait_idle()
    finally:
        fake.stop()
    output = run.result.output
    assert run.result.exit_code == 1, output
    assert "failed: YQL: Unwrap of an empty value (NULL): ***" in output, output
    files = "".join(path.read_text(errors="replace") for path in sorted(root.rglob("*"))
                    if path.is_file() and path.name != "secrets.env")
    assert "Unwrap of an empty value (NULL): ***" in files  # the run's log and record
    assert [piece for piece in pieces(TWO_LINES) if piece in files + output] == []

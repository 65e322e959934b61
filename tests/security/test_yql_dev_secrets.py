"""A dev query whose text or data holds a secret: what dev writes of it is cut (a statement
in .dev/operation.log to LOGGED_CHARS, a DuckDB error to its first line), and a cut
through a secret leaves a start of it that no form of the secret matches. Each is masked
whole before it is cut."""

from __future__ import annotations

from pathlib import Path

from yt_pipeline.testing import invoke_cli, write_pipeline
from yt_pipeline_dev.yql_duckdb import LOGGED_CHARS

API_KEY = "apikey-Zq8Rw51x-9Tt"
#: a secret of two lines: the first alone is no form of it
TWO_LINES = "first-Yk31pQ\nsecond-Hh72"
NL, BS_N = "\n", "\\n"  # secrets.env writes a line break in a quoted value as \n

WRITE = """
from yt_pipeline import BaseStage


class Write(BaseStage):
    def run(self, debug):
        secret = self.deps.pipeline_config.secret
        self.deps.yt_client.write_table("//tmp/q/a", [
            {"id": 1, "s": "seven", "note": secret("TWO_LINES")}])
        return debug
"""
QUERY = """
from yt_pipeline import BaseStage


class Query(BaseStage):
    def run(self, debug):
        key = self.deps.pipeline_config.secret("API_KEY")
        self.deps.yt_client.run_yql(QUERY_TEXT.replace("<KEY>", key))
        return debug
"""


def run(root: Path, query: str) -> tuple[int, str, str]:
    """Run the two stages; exit code, output, and every file the run left but the table."""
    write_pipeline(root, {
        "configs/secrets.env": f'API_KEY={API_KEY}\nTWO_LINES="{TWO_LINES.replace(NL, BS_N)}"\n',
        "stages/write/stage.py": WRITE,
        "stages/query/stage.py": QUERY.replace("QUERY_TEXT", repr(query)),
    }, config={"pipeline": {"mode": "dev"}, "stages": {"graph": {"write": [], "query": ["write"]}}})
    result = invoke_cli("run", str(root))
    files = "".join(path.read_text(errors="replace") for path in sorted(root.rglob("*"))
                    if path.is_file() and path.suffix != ".jsonl" and path.name != "secrets.env")
    return result.exit_code, result.output, files


def pieces(secret: str, size: int = 8) -> set[str]:
    return {secret[at:at + size] for at in range(len(secret) - size + 1)}


def logged_select(root: Path) -> str:
    """The logged line of the query's statement, from the statement on (what is cut)."""
    log = (root / ".dev" / "operation.log").read_text()
    [line] = [line for line in log.splitlines() if " yql_select " in line]
    return line.split(" yql_select ", 1)[1]


def test_a_statement_cut_in_the_operation_log_shows_no_start_of_a_secret(tmp_path, monkeypatch):
    for name in ("API_KEY", "TWO_LINES"):
        monkeypatch.delenv(name, raising=False)
    query = 'SELECT id FROM `//tmp/q/a` WHERE s != "{padding}" OR s = "{key}";'
    # where the key lands in the logged statement (dev logs its translation of the query,
    # which may hold a literal more than once), found with a stand-in of its length for two
    # lengths of the padding: the key is then put 12 characters before the cut
    stand_in = "K" * len(API_KEY)
    offsets = []
    for size in (1, 2):
        code, output, _ = run(tmp_path / f"probe{size}", query.format(padding="b" * size,
                                                                     key=stand_in))
        assert code == 0, output
        offsets.append(logged_select(tmp_path / f"probe{size}").index("'K") + 1)
    step = offsets[1] - offsets[0]
    size = 1 + -(-(LOGGED_CHARS - 1 - 12 - offsets[0]) // step)
    code, output, _ = run(tmp_path / "probe", query.format(padding="b" * size, key=stand_in))
    cut_probe = logged_select(tmp_path / "probe")
    before_cut = LOGGED_CHARS - 1 - (cut_probe.index("'K") + 1)
    # unmasked, the cut would leave a start of the key
    assert 0 < before_cut < len(API_KEY) and stand_in not in cut_probe, cut_probe
    code, output, files = run(tmp_path / "p", query.format(padding="b" * size, key="<KEY>"))
    assert code == 0, output
    line = logged_select(tmp_path / "p")
    assert "'***'" in line and " rows=1 " in line, line  # masked whole before the cut
    assert [piece for piece in pieces(API_KEY) if piece in files + output] == []


def test_a_duckdb_error_cut_to_its_first_line_shows_no_line_of_a_secret(tmp_path, monkeypatch):
    for name in ("API_KEY", "TWO_LINES"):
        monkeypatch.delenv(name, raising=False)
    code, output, files = run(tmp_path / "p",
                              "SELECT Unwrap(CAST(s AS Int32), note) AS x FROM `//tmp/q/a`;")
    assert code == 1, output
    assert "error: stage query failed: YQL: Unwrap of an empty value (NULL): ***" in output
    assert "Unwrap of an empty value (NULL): ***" in files  # the run's log and record
    assert [piece for piece in pieces(TWO_LINES) if piece in files + output] == []

"""A query whose text holds a secret and does not parse: the error quotes the token it
stopped at, which may be a piece of the secret (a secret with a space, written unquoted,
stops the parser in its middle). The piece is masked, in the run's output and files."""

from __future__ import annotations

from yt_pipeline.secret_forms import all_forms, mask_text
from yt_pipeline.testing import invoke_cli, write_pipeline

#: the part after the space is where the parser stops (a `-` there would make the query
#: arithmetic, `pre (longsecretpart - Zq8)`, which fails otherwise)
SECRET = "pre longsecretpart Zq8"
WRITE = """
from yt_pipeline import BaseStage


class Write(BaseStage):
    def run(self, debug):
        self.deps.yt_client.write_table("//tmp/q/a", [{"id": 1}])
        return debug
"""
QUERY = """
from yt_pipeline import BaseStage


class Query(BaseStage):
    def run(self, debug):
        key = self.deps.pipeline_config.secret("API_KEY")
        self.deps.yt_client.run_yql("SELECT * FROM `//tmp/q/a` WHERE id = 1 AND x = " + key)
        return debug
"""


def test_a_syntax_error_inside_a_secret_quotes_no_piece_of_it(tmp_path, monkeypatch):
    monkeypatch.delenv("API_KEY", raising=False)
    root = write_pipeline(tmp_path / "p", {
        "configs/secrets.env": f'API_KEY="{SECRET}"\n',
        "stages/write/stage.py": WRITE, "stages/query/stage.py": QUERY,
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["write", "query"]}})
    result = invoke_cli("run", str(root))
    assert result.exit_code == 1
    assert 'syntax error at or near "***"' in result.output, result.output
    files = "".join(path.read_text() for path in (root / ".runs").rglob("*") if path.is_file())
    assert 'near "***"' in files
    assert "longsecretpart" not in result.output + files


def test_quoted_pieces_of_a_secret_are_masked_and_other_quotes_kept():
    forms = all_forms([SECRET])
    assert mask_text("Unexpected token 'longsecretpart' : cannot match", forms) \
        == "Unexpected token '***' : cannot match"
    assert mask_text('near "secretpart Zq8" and `pre longs`', forms) \
        == 'near "***" and `***`'
    # a quoted piece shorter than 8 characters, or one that is no piece of a secret, stays
    assert mask_text('near "secret" in "SELECT x FROM t"', forms) \
        == 'near "secret" in "SELECT x FROM t"'

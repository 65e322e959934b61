"""A `when:` condition that does not parse is quoted in its error cut to 80 characters. An
expression holding a secret's value, typed in, was cut inside it, and the start of it the
cut left is no form of the secret that masking finds: masked before the cut, none shows."""

from __future__ import annotations

from yt_pipeline.testing import invoke_cli, write_pipeline

SECRET = "tok-Qw8Er7Ty6Ui5"
STAGE = """
from yt_pipeline import BaseStage


class S(BaseStage):
    def run(self, debug):
        return debug
"""


def test_a_condition_cut_in_its_error_shows_no_start_of_a_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("API_KEY", raising=False)
    start = "debug.key == '"
    # the repr's quote, then the secret's first 8 characters before the cut at 77
    padding = "a" * (77 - 1 - len(start) - 8)
    root = write_pipeline(tmp_path / "p", {
        "configs/secrets.env": f"API_KEY={SECRET}\n",
        "stages/s/stage.py": STAGE,
        "stages/s/config.yaml": f'when: "{start}{padding}{SECRET}\' and ("\n',
    }, config={"pipeline": {"mode": "dev"}, "stages": {"enabled_stages": ["s"]}})
    result = invoke_cli("run", str(root))
    assert result.exit_code == 2, result.output
    assert f"when: invalid expression \"{start}{padding}***' and (\"" in result.output
    pieces = {SECRET[at:at + 6] for at in range(len(SECRET) - 5)}
    assert [piece for piece in pieces if piece in result.output] == []

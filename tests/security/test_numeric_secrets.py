"""A secret made of digits (a PIN, an account number) is a number once a stage parses it:
handed on in a stage's debug or written into a table as an int or a float, its text is
still the secret. The state, the journal and `table head` keep what holds one masked, as
they keep strings; numbers that hold none stay numbers."""

from __future__ import annotations

import json

import pytest
from secret_scan import scan_bytes, scan_folder

from yt_pipeline.secret_forms import all_forms, mask_data
from yt_pipeline.testing import invoke_cli, write_pipeline

PIN = "90817263"
LOAD = """
from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        pin = self.deps.pipeline_config.secret("PIN")
        self.deps.yt_client.write_table("//tmp/num/rows", [{"id": 1, "pin": int(pin)}])
        debug.update(pin=int(pin), as_float=float(pin), count=3, ok=True)
        return debug
"""
USE = """
from yt_pipeline import BaseStage


class Use(BaseStage):
    def run(self, debug):
        self.logger.info("got %s", sorted(debug.items()))
        return debug
"""


def test_a_numeric_secret_handed_on_or_shown_as_a_number_is_masked(tmp_path, monkeypatch):
    monkeypatch.delenv("PIN", raising=False)
    root = write_pipeline(tmp_path / "p", {"configs/secrets.env": f"PIN={PIN}\n",
                                           "stages/load/stage.py": LOAD,
                                           "stages/use/stage.py": USE},
                          config={"pipeline": {"mode": "dev"},
                                  "stages": {"enabled_stages": ["load", "use"]}})
    run = invoke_cli("run", str(root))
    assert run.exit_code == 0, run.output
    head = invoke_cli("table", "head", "//tmp/num/rows", "--format", "json", "-C", str(root))
    assert head.exit_code == 0, head.output
    assert json.loads(head.output.splitlines()[0]) == {"id": 1, "pin": "***"}
    state = json.loads((root / ".runs/stages.dev.json").read_text())
    assert state["load"]["debug"] == {"pin": "***", "as_float": "***.0", "count": 3,
                                                "ok": True}
    leaks = [*scan_folder(root.joinpath(".runs"), [PIN]),
             *scan_bytes("printed", (run.output + head.output).encode(), [PIN])]
    assert [str(leak) for leak in leaks] == []


def test_numbers_that_hold_no_secret_are_kept_as_numbers():
    forms = all_forms([PIN])
    value = {"n": 9081726, "f": 0.5, "big": 10**30, "b": False, "none": None, "s": PIN}
    assert mask_data(value, forms) == {"n": 9081726, "f": 0.5, "big": 10**30, "b": False,
                                       "none": None, "s": "***"}


#: a YTP_ line's value as written, and the text of the number YAML reads it as
READ_AS_NUMBERS = {"012345670": "2739128", "12_345_678": "12345678", "0x1F2A3B": "2042427",
                   "1:23:45:17:19": "18091039"}
SETTING = """
from yt_pipeline import BaseStage


class Load(BaseStage):
    def run(self, debug):
        pin = self.deps.pipeline_config.get("stages.pin")
        self.logger.info("pin %s of %s", pin, 7654321)
        debug.update(pin=pin, count=7654321)
        return debug
"""


@pytest.mark.parametrize("written", list(READ_AS_NUMBERS))
def test_a_setting_of_secrets_env_read_as_a_number_is_masked_as_that_number(
        tmp_path, capfd, written):
    """A YTP_ line is read as YAML: `012345670` is the octal 2739128, `0x1F2A3B` 2042427,
    `1:23:45:17:19` a sexagesimal 18091039. The stage has the number, and its log line and
    its record show the number's digits, which no form of the text written holds."""
    read = READ_AS_NUMBERS[written]
    root = write_pipeline(tmp_path / "p", {"configs/secrets.env": f"YTP_STAGES__PIN={written}\n",
                                           "stages/load/stage.py": SETTING},
                          config={"pipeline": {"mode": "dev"},
                                  "stages": {"enabled_stages": ["load"]}})
    run = invoke_cli("run", str(root))
    assert run.exit_code == 0, run.output
    printed = run.output + "".join(capfd.readouterr())
    assert "[load] pin *** of 7654321" in printed  # a number that is no secret is kept
    state = json.loads((root / ".runs/stages.dev.json").read_text())
    assert state["load"]["debug"] == {"pin": "***", "count": 7654321}
    leaks = [*scan_folder(root.joinpath(".runs"), [written, read]),
             *scan_bytes("printed", printed.encode(), [written, read])]
    assert [str(leak) for leak in leaks] == []

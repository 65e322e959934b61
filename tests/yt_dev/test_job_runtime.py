"""Job code that Python 3.8 parses but cannot run: a name, a method or a typing form that
came with a later Python. Dev runs jobs with the pipeline's interpreter, a stock cluster
image with python3 3.8: dev names the file and the line before the jobs start.

Each sample is checked against a real Python 3.8 where this machine has one (the oldest
interpreter, as the fake proxy's jobs run): what is named must fail there and run here, and
what is not named must run there."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from yt_pipeline.job_runtime import newer_at_run_time

NAMED = {
    "print('ab'.removeprefix('a'))\n": "line 1: str.removeprefix is new in Python 3.9",
    "def f(x: list[int]) -> None:\n    pass\n": "line 1: list[...] evaluated at run time",
    "rows: dict[str, int] = {}\n": "line 1: dict[...] evaluated at run time",
    "class Row:\n    n: tuple[int, int] = (0, 0)\n": "line 2: tuple[...] evaluated",
    "from collections.abc import Callable\n\n\ndef f(g: Callable[[int], int]):\n    return g\n":
        "line 4: collections.abc.Callable[...] evaluated at run time",
    "from collections import defaultdict\nd = defaultdict[str, int]\n":
        "line 2: collections.defaultdict[...]",
    "print(isinstance(1, int | str))\n": "line 1: `X | Y` between types",
    "def f(x: int | None = None):\n    return x\n": "line 1: `X | Y` between types",
    "import zoneinfo\n": "line 1: the module zoneinfo is new in Python 3.9",
    "from functools import cache\n": "line 1: functools.cache is new in Python 3.9",
    "import math\nprint(math.lcm(2, 3))\n": "line 2: math.lcm is new in Python 3.9",
    "import itertools as it\nprint(list(it.pairwise([1, 2, 3])))\n":
        "line 2: itertools.pairwise is new in Python 3.10",
    "print(list(zip([1], [2], strict=True)))\n": "line 1: zip(strict=...) is new in Python 3.10",
    "from dataclasses import dataclass\n\n\n@dataclass(slots=True)\nclass A:\n    x: int = 0\n":
        "line 4: dataclass(slots=...) is new in Python 3.10",
    "from typing import TypeAlias\n": "line 1: typing.TypeAlias is new in Python 3.10",
    "import datetime\nprint(datetime.UTC)\n": "line 2: datetime.UTC is new in Python 3.11",
    "print(anext)\n": "line 1: the builtin anext is new in Python 3.10",
}

LEFT_ALONE = [
    # lazy annotations: nothing in them is evaluated
    "from __future__ import annotations\n\n\ndef f(x: list[int]) -> int | None:\n"
    "    return None\n\n\nf([])\n",
    # a variable annotation inside a function is never evaluated
    "def f():\n    y: list[int] = []\n    return y\n\n\nf()\n",
    "def f(x: 'list[int]') -> 'int | None':\n    return None\n",
    "from typing import Dict, List, Optional\n\n\n"
    "def f(x: List[int]) -> Optional[Dict[str, int]]:\n    return None\n",
    "print({1} | {2}, 3 | 4)\n",
    # the file's own names are not the standard library's
    "class P:\n    def removeprefix(self, p):\n        return p\n\n\nprint(P().removeprefix('a'))\n",
    "list = [1, 2]\nprint(list[0])\n",
    "import functools\nprint(functools.lru_cache(maxsize=None)(len)('ab'))\n",
    "data = {'a': [1]}\nprint(data['a'][0])\n",
]


def _python_3_8() -> str:
    interpreter = pytest.importorskip("yt_pipeline_prod.fake.interpreter")
    python = interpreter.oldest_python()
    if interpreter.python_version(python) != "3.8":
        pytest.skip(f"needs Python 3.8; the oldest here is {interpreter.python_version(python)}")
    return python


def _runs(python: str, source: str) -> subprocess.CompletedProcess:
    return subprocess.run([python, "-I", "-c", source], capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize("source", list(NAMED))
def test_what_is_named_fails_on_python_3_8_and_runs_here(source):
    found = [f"line {line}: {what}" for line, what in newer_at_run_time(ast.parse(source))]
    assert len(found) == 1 and found[0].startswith(NAMED[source]), found
    assert _runs(sys.executable, source).returncode == 0
    old = _runs(_python_3_8(), source)
    assert old.returncode != 0
    assert any(kind in old.stderr for kind in ("TypeError", "AttributeError", "ImportError",
                                               "ModuleNotFoundError", "NameError")), old.stderr


@pytest.mark.parametrize("source", LEFT_ALONE)
def test_what_is_left_alone_runs_on_python_3_8(source):
    assert newer_at_run_time(ast.parse(source)) == []
    result = _runs(_python_3_8(), source)
    assert result.returncode == 0, result.stderr


MAPPER = """\
from ytjobs import read_rows, write_rows


def strip(rows) -> list[dict]:
    return [{**row, "name": row["name"].removeprefix("user_")} for row in rows]


write_rows(strip(read_rows()))
"""


def test_a_job_using_them_is_named_with_its_file_and_lines_and_still_runs(make_pipeline,
                                                                          run_cli):
    stage = ("from yt_pipeline import BaseStage\nfrom yt_pipeline.operations import run_map\n\n\n"
             "class Strip(BaseStage):\n    def run(self, debug):\n"
             "        self.deps.yt_client.write_table('//tmp/rt/in', [{'name': 'user_a'}])\n"
             "        run_map(self, self.config.client.operations.map)\n        return debug\n")
    config = ("client:\n  operations:\n    map:\n      input_table: //tmp/rt/in\n"
              "      output_table: //tmp/rt/out\n")
    root = make_pipeline({"stages/strip/stage.py": stage, "stages/strip/config.yaml": config,
                          "stages/strip/src/mapper.py": MAPPER},
                         config={"pipeline": {"mode": "dev"},
                                 "stages": {"enabled_stages": ["strip"]}})
    result = run_cli("run", root)
    assert result.exit_code == 0, result.output
    [warning] = [line for line in result.output.splitlines() if "WARNING" in line]
    assert ("stages/strip/src/mapper.py:4: list[...] evaluated at run time is new in "
            "Python 3.9") in warning
    assert "; stages/strip/src/mapper.py:5: str.removeprefix is new in Python 3.9" in warning
    assert warning.endswith("jobs on a cluster run python3 3.8 (the stock image's), where a "
                            "job that runs this code fails with an error as the line runs")
    assert (root / ".dev/tmp/rt/out.jsonl").read_text() == '{"name":"a"}\n'

"""The cache key of a function step follows its own code through modules: a change in a
module that a helper module imports, or in a module of a package, runs the step again."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import helpers
import pkg.sub
from yt_pipeline import Pipeline, step


@step(outputs=["a"], cache=True)
def through_helper():
    return helpers.factor()


@step(outputs=["b"], cache=True)
def through_package():
    return pkg.sub.value() + pkg.sub.OFFSET


result = Pipeline("code", folder=".").add_step(through_helper).add_step(through_package).run()
print(result["a"], result["b"], sorted(n for n, s in result.step_results.items() if s.cached))
"""


def test_a_change_two_modules_away_runs_the_step_again(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/__init__.py").write_text("")
    (tmp_path / "helpers.py").write_text("import inner\n\n\ndef factor():\n"
                                         "    return inner.base()\n")
    (tmp_path / "flow.py").write_text(SCRIPT)

    def run(base, value, offset):
        (tmp_path / "inner.py").write_text(f"def base():\n    return {base}\n")
        (tmp_path / "pkg/sub.py").write_text(
            f"OFFSET = {offset}\n\n\ndef value():\n    return {value}\n")
        # no .pyc: a module rewritten within a second at the same size would be run stale
        done = subprocess.run([sys.executable, "flow.py"], cwd=tmp_path, capture_output=True,
                              text=True, check=True,
                              env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        return done.stdout.strip().splitlines()[-1]

    assert run(1, 100, 0) == "1 100 []"
    assert run(1, 100, 0) == "1 100 ['through_helper', 'through_package']"
    assert run(2, 100, 0) == "2 100 ['through_package']"
    assert run(2, 200, 0) == "2 200 ['through_helper']"
    assert run(2, 200, 5) == "2 205 ['through_helper']"

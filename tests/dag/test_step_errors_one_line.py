"""A mistake in how a script builds a function-step pipeline ends the script with the one
line `yt-pipeline` would print (and exit code 1), not the framework's traceback, whether it
is found by `Pipeline(...)`, `add_step`, `@step` or a step option; a script's own errors keep
their traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAD = "from pathlib import Path\nfrom yt_pipeline import Pipeline, Stack, register_stack, retry, step, when\n"

CASES = {
    "unknown stack": (
        "Pipeline('p', stack='nighty')",
        "error: unknown stack 'nighty' (known: dev, prod); register it with "
        "register_stack(Stack(name, mode, config_file))"),
    "stack file missing": (
        "register_stack(Stack('nightly', 'prod', config_file=Path('configs/nightly.yaml')))\n"
        "Pipeline('p', stack='nightly')",
        "error: configs/nightly.yaml: configuration file does not exist"),
    "bad name": (
        "Pipeline('p q')",
        "error: pipeline name must be letters, digits, _ or -, got 'p q'"),
    "two steps of a name": (
        "@step\ndef a():\n    pass\nPipeline('p').add_step(a).add_step(a)",
        "error: pipeline p: two steps are named a"),
    "bad retry": (
        "@retry(max_attempts=0)\n@step\ndef a():\n    pass",
        "error: retry(max_attempts=...): a whole number >= 1, got 0"),
    "bad condition": (
        "@when('len(x) > 1')\n@step\ndef a():\n    pass",
        "error: step a: when: Call is not allowed in 'len(x) > 1'"),
    "bad step retry": (
        "@step(retry={'max_attempts': 'x'})\ndef a():\n    pass",
        "error: step a: retry.max_attempts: must be a whole number >= 1, got 'x'"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_mistake_ends_the_script_in_one_line(tmp_path, case):
    body, line = CASES[case]
    (tmp_path / "flow.py").write_text(HEAD + body + "\n")
    done = subprocess.run([sys.executable, "flow.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stderr) == (1, line + "\n")


def test_a_caught_mistake_and_the_scripts_own_errors_are_left_as_they_are(tmp_path):
    (tmp_path / "flow.py").write_text(HEAD + (
        "from yt_pipeline.errors import ConfigError\n"
        "try:\n    Pipeline('p q')\nexcept ConfigError as error:\n    print('caught:', error)\n"
        "raise ValueError('a bug of the script')\n"))
    done = subprocess.run([sys.executable, "flow.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout == "caught: pipeline name must be letters, digits, _ or -, got 'p q'\n"
    assert done.stderr.startswith("Traceback (most recent call last):")
    assert done.stderr.endswith("ValueError: a bug of the script\n")

"""The DAG tests' pipelines and helpers serve these tests too (tests/dag/dag_helpers.py)."""

import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "dag"))

from dag_helpers import dag  # noqa: E402, F401 - a fixture

from yt_pipeline_prod.testing import fake_yt  # noqa: E402, F401 - a fixture


@pytest.fixture
def sigint_reaches_the_runs():
    """A test suite started in the background of a script has SIGINT ignored, and so would
    the runs it starts: a test sending them Ctrl-C would interrupt nothing. Such a test asks
    for the default handler (`pytestmark = pytest.mark.usefixtures(...)`)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)

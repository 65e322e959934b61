"""The DAG tests' pipelines and helpers serve these tests too (tests/dag/dag_helpers.py)."""

import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "dag"))

from dag_helpers import dag  # noqa: E402, F401 - a fixture
from warm_bytecode import bytecode_env  # noqa: E402

from yt_pipeline_prod.testing import fake_yt  # noqa: E402, F401 - a fixture


@pytest.fixture(scope="session", autouse=True)
def warm_bytecode():
    """The runs' shared compiled modules (warm_bytecode.py), made before the first test:
    made inside one, it lengthened the reference run a kill campaign times, and the
    moments drawn from it fell after the trials' runs had ended."""
    bytecode_env()


@pytest.fixture
def sigint_reaches_the_runs():
    """A test suite started in the background of a script has SIGINT ignored, and so would
    the runs it starts: a test sending them Ctrl-C would interrupt nothing. Such a test asks
    for the default handler (`pytestmark = pytest.mark.usefixtures(...)`)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


@pytest.fixture
def fake(monkeypatch, fake_yt):  # noqa: F811 - fake_yt is the fixture imported above
    """The fake proxy for runs started as a user starts them: YT_PROXY and YT_TOKEN of the
    environment (a real cluster's, where the suite has one) removed, so that a run takes
    the proxy its settings name. The faults a test set are cleared before the proxy stops.
    A test file seeding tables of its own overrides it, asking for this one by its name."""
    monkeypatch.delenv("YT_PROXY", raising=False)
    monkeypatch.delenv("YT_TOKEN", raising=False)
    yield fake_yt
    fake_yt.faults.clear()

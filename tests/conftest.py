"""Shared test set-up. Fixtures for pipelines and plugins come from yt_pipeline.testing
(a pytest plugin installed with yt-pipeline)."""

import os

# Tests never talk to a real cluster unless YT_PROXY/YT_TOKEN are set on purpose.
os.environ.setdefault("YTP_STRICT_PLUGINS", "1")

# A test suite started in the background of a script inherits SIGINT ignored, and so would
# every run the tests start, which then never see the Ctrl-C the interrupt tests send.
import signal  # noqa: E402

if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _each_test_masks_only_its_own_secrets():
    """Runs in one process share the masking of every secret seen so far; a test's secret
    must not mask another test's data (a UUID holding "1234" kept in debug, say)."""
    yield
    from yt_pipeline.logs import forget_secrets

    forget_secrets()

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

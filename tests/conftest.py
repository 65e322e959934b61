"""Shared test set-up. Fixtures for pipelines and plugins come from yt_pipeline.testing
(a pytest plugin installed with yt-pipeline)."""

import os

# Tests never talk to a real cluster unless YT_PROXY/YT_TOKEN are set on purpose.
os.environ.setdefault("YTP_STRICT_PLUGINS", "1")

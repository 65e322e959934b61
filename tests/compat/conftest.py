"""Fixtures of the compatibility tests."""

from yt_pipeline_prod.testing import fake_yt  # noqa: F401 - a fixture

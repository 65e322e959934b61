"""Prod backend tests: the real ytsaurus-client against the fake proxy, retries off."""

from yt_pipeline_prod.testing import fake_yt, prod_client  # noqa: F401 - fixtures

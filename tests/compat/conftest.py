"""Compat tests run jobs in prod too: the fake proxy and a client talking to it."""

from yt_pipeline_prod.testing import fake_yt, prod_client  # noqa: F401 - fixtures

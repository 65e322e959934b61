"""Prod backend tests: the real ytsaurus-client against the fake proxy, retries off."""

import pytest

from yt_pipeline_prod.testing import fake_yt, prod_client  # noqa: F401 - fixtures


@pytest.fixture
def yt(prod_client):  # noqa: F811 - the fixture imported above
    """The YtClient of `prod_client`: the fake proxy's tests call it directly."""
    return prod_client.yt()

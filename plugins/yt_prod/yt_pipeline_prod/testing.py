"""Test helpers: a fake YT proxy and a prod client talking to it with retries off.

```python
from yt_pipeline_prod.testing import fake_yt, prod_client  # fixtures, in conftest.py
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from yt_pipeline_prod.fake import FakeYtProxy

TEST_TOKEN = "ytp-test-token-0123456789"
#: `pipeline.prod` settings for tests: no client retries, fast polling, and transaction
#: pinger threads that notice quickly that they may stop
TEST_PROD_OPTIONS: dict[str, Any] = {"retries": False, "poll_interval_s": 0.05,
                                     "yt_config": {"transaction_sleep_period": 5}}


def start_fake_proxy(token: str | None = TEST_TOKEN) -> FakeYtProxy:
    """A started fake proxy whose jobs run a bare `python3`: the oldest Python 3.8+ on this
    machine, with no packages (YTP_FAKE_JOB_PYTHON names another)."""
    return FakeYtProxy(token=token).start()


def make_prod_client(proxy: FakeYtProxy, token: str = TEST_TOKEN,
                     build_folder: str = "//tmp/yt_pipeline/build") -> Any:
    from yt_pipeline_prod.client import ProdClient
    from yt_pipeline_prod.settings import ProdSettings

    options = TEST_PROD_OPTIONS
    return ProdClient(ProdSettings(proxy=proxy.url, token=token, build_folder=build_folder,
                                   retries=options["retries"],
                                   poll_interval_s=options["poll_interval_s"],
                                   yt_config=dict(options["yt_config"])))


@pytest.fixture
def fake_yt() -> Iterator[FakeYtProxy]:
    proxy = start_fake_proxy()
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def prod_client(fake_yt: FakeYtProxy) -> Iterator[Any]:
    client = make_prod_client(fake_yt)
    try:
        yield client
    finally:
        client.close()

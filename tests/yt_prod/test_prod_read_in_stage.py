"""A table read in a stage's transaction sees what the stage wrote, whatever the read
retries: the read runs in a transaction of ours nested in the stage's (table_reads.py),
and with the client's retries off ytsaurus-client sent it in the null transaction
(`FakeTransaction` in yt/wrapper/heavy_commands.py, make_read_request: the read's request
carries no transaction id), where a cluster shows the committed table alone."""

from __future__ import annotations

import pytest

from yt_pipeline_prod.client import ProdClient
from yt_pipeline_prod.settings import ProdSettings
from yt_pipeline_prod.testing import TEST_PROD_OPTIONS, TEST_TOKEN


@pytest.mark.parametrize("retries", [False, True])
def test_a_read_in_a_stage_sees_the_stage_s_writes(fake_yt, retries):
    client = ProdClient(ProdSettings(proxy=fake_yt.url, token=TEST_TOKEN,
                                     build_folder="//tmp/yt_pipeline/build", retries=retries,
                                     poll_interval_s=TEST_PROD_OPTIONS["poll_interval_s"],
                                     yt_config=dict(TEST_PROD_OPTIONS["yt_config"])))
    try:
        fake_yt.put_table("//tmp/t", [{"u": "a"}])
        txn = client.begin_transaction("stage s")
        txn.client.write_table("//tmp/t", [{"u": "b"}], append=True)
        assert list(iter(txn.client.read_table("//tmp/t"))) == [{"u": "a"}, {"u": "b"}]
        assert list(txn.client.read_columns("//tmp/t", ["u"])) == [{"u": "a"}, {"u": "b"}]
        assert fake_yt.rows("//tmp/t") == [{"u": "a"}]  # not committed yet
        txn.abort()
    finally:
        client.close()

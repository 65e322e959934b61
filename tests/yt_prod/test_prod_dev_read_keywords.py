"""`read_columns` takes its table as `table_path=` in prod as in dev (the name
yt-framework's clients give it, which both clients' other table methods take): dev read the
rows, prod raised a TypeError."""

from __future__ import annotations

import pytest

from yt_pipeline_dev.client import DevClient


@pytest.fixture(params=["dev", "prod"])
def client(request, tmp_path):
    if request.param == "dev":
        return DevClient(tmp_path / "pipe" / ".dev")
    return request.getfixturevalue("prod_client")


def test_read_columns_takes_table_path(client):
    client.write_table("//tmp/kw", [{"a": 1, "b": 2}])
    assert list(client.read_columns(table_path="//tmp/kw", columns=["a"])) == [{"a": 1}]
    with pytest.raises(TypeError, match="the table twice"):
        client.read_columns("//tmp/kw", table_path="//tmp/kw", columns=["a"])

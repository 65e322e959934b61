"""A read of a folder fails as a read of a node that is not a table, in dev as in prod:
ytsaurus-client refuses it ("Command read is supported only for tables":
_check_attributes_for_read_table in yt/wrapper/table_commands.py), and prod's row_count
says what the node is. Dev raised TableNotFound, "table ... does not exist", for a path
that exists: code that skips a missing table (`except TableNotFound`) skipped a folder in
dev and failed in prod."""

from __future__ import annotations

import pytest

from yt_pipeline.errors import BackendError, TableNotFound
from yt_pipeline_dev.client import DevClient


@pytest.fixture(params=["dev", "prod"])
def client(request, tmp_path):
    if request.param == "dev":
        return DevClient(tmp_path / "pipe" / ".dev")
    return request.getfixturevalue("prod_client")


def test_a_folder_read_as_a_table_is_not_called_missing(client):
    client.write_table("//tmp/f/t", [{"a": 1}])
    for read in (lambda: client.read_table("//tmp/f"),
                 lambda: client.read_columns("//tmp/f", ["a"])):
        with pytest.raises(BackendError, match=r"read_table //tmp/f: .*(not a table|only for "
                           r"tables)") as refused:
            read()
        assert not isinstance(refused.value, TableNotFound)
    with pytest.raises(BackendError, match=r"row_count //tmp/f: it is a map_node, not a table"
                       ) as refused:
        client.row_count("//tmp/f")
    assert not isinstance(refused.value, TableNotFound)
    assert list(client.read_table("//tmp/f/t")) == [{"a": 1}]
    with pytest.raises(TableNotFound, match=r"//tmp/f/nope"):
        client.read_table("//tmp/f/nope")

"""Folders and tables a live transaction made lock their names, in dev as on the fake proxy.

Making a node in a transaction takes a shared lock on the folder above, keyed by the new
child's name (the "Locks" section of the YTsaurus docs' Transactions page; DoCheckLock in
cypress_manager.cpp words the conflicts): outside that transaction, a removal of the folder
above, or a node of that name, or one below it, fails until the transaction ends. Dev let a
removal take the folder whose table or folder existed only in a transaction (the commit
then made it again), and let a table be made where the transaction had made a folder.
(Prod makes the folder of a table a stage writes outside its transaction,
yt_pipeline_prod.client.create_folder_of, so no lock keeps that name; dev takes none.)"""

from __future__ import annotations

import re

import pytest

from yt_pipeline.errors import BackendError
from yt_pipeline_dev.client import DevClient
from yt_pipeline_prod.testing import make_prod_client

#: what is done outside the transaction, each failing on the transaction's locks
OUTSIDE = [
    lambda c: c.remove("//f", recursive=True),
    lambda c: c.create_path("//f/newdir", "table"),
    lambda c: c.write_table("//f/newdir/deeper", [{"a": 1}]),
    lambda c: c.create_path("//f/newdir/x", "map_node"),
    lambda c: c.write_table("//f/n2", [{"a": 1}]),
]


def _words(error: Exception) -> str:
    """The master's words: after prod's "<action> <path>: Received HTTP response with
    error: ", without dev's title of the winning transaction, its id made plain."""
    text = str(error).split("Received HTTP response with error: ")[-1]
    text = re.sub(r" \(yt-pipeline [^)]*\)$", "", text)
    return re.sub(r"concurrent transaction \S+$", "concurrent transaction <id>", text)


def _dev_words(tmp_path) -> list[str]:
    client = DevClient(tmp_path / ".dev")
    client.create_path("//f", "map_node")
    txn = client.begin_transaction("yt-pipeline run stage s attempt 1")
    txn.client.create_path("//f/newdir/deeper", "map_node")
    txn.client.create_path("//f/n2/t", "table")
    words = []
    for action in OUTSIDE:
        with pytest.raises(BackendError) as refused:
            action(client)
        words.append(_words(refused.value))
    client.write_table("//f/other", [{"a": 1}])  # another name: no conflict
    txn.abort()
    client.remove("//f", recursive=True)  # the locks went with the transaction
    assert not client.exists("//f")
    return words


def _prod_words(fake_yt, prod_client) -> list[str]:
    inside = make_prod_client(fake_yt).yt()
    prod_client.create_path("//f", "map_node")
    words = []
    with inside.Transaction():
        inside.create("map_node", "//f/newdir/deeper", recursive=True)
        inside.create("table", "//f/n2/t", recursive=True)  # what prod's create_path asks
        for action in OUTSIDE:
            with pytest.raises(BackendError) as refused:
                action(prod_client)
            words.append(_words(refused.value))
        prod_client.write_table("//f/other", [{"a": 1}])
    prod_client.remove("//f", recursive=True)
    assert not prod_client.exists("//f")
    return words


def test_names_a_transaction_made_are_locked_alike(tmp_path, fake_yt, prod_client):
    dev = _dev_words(tmp_path)
    assert dev == _prod_words(fake_yt, prod_client)
    assert dev == [
        'Cannot take "exclusive" lock for node //f since "shared" lock is taken by '
        "concurrent transaction <id>",
        *['Cannot take lock for child "newdir" of node //f since this child is locked by '
          "concurrent transaction <id>"] * 3,
        'Cannot take lock for child "n2" of node //f since this child is locked by '
        "concurrent transaction <id>"]

"""The titles of the transactions prod starts hold no secret. A cluster keeps a
transaction's `title` attribute where any user may read it (the transactions under
//sys/transactions, and the `winner_transaction` a lock conflict names to whoever meets it:
CheckLock in yt/yt/server/master/cypress_server/cypress_manager.cpp, ytsaurus), and a
write's title names its table, whose path a stage may build from a secret."""

from __future__ import annotations

from typing import Any

import pytest

from yt_pipeline import logs

KEY = "Zq7sekretK9xPLmW"


@pytest.fixture
def titles(fake_yt) -> list[str]:
    """The title of every transaction the fake proxy is asked to start, as it starts it."""
    cypress = fake_yt.state.cypress
    started: list[str] = []
    start = cypress.start

    def recording(parent: str | None, attributes: dict[str, Any], *args, **kwargs) -> str:
        started.append(str(attributes.get("title", "")))
        return start(parent, attributes, *args, **kwargs)

    cypress.start = recording
    logs.mask_secrets([KEY])
    try:
        yield started
    finally:
        logs.forget_secrets()
        cypress.start = start


def test_a_write_to_a_table_named_by_a_secret_titles_its_transaction_masked(prod_client,
                                                                           fake_yt, titles):
    prod_client.write_table(f"//tmp/by_key/{KEY}/rows", [{"a": 1}])
    assert fake_yt.rows(f"//tmp/by_key/{KEY}/rows") == [{"a": 1}]  # the table is the stage's
    written = [title for title in titles if title.startswith("yt-pipeline write ")]
    assert written == ["yt-pipeline write //tmp/by_key/***/rows"]
    assert not [title for title in titles if KEY in title]


def test_a_title_without_a_secret_is_kept(prod_client, titles):
    prod_client.write_table("//tmp/plain/rows", [{"a": 1}])
    assert "yt-pipeline write //tmp/plain/rows" in titles

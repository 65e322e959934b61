"""Fixtures of the uploader tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging_helpers import CONFIG, FILES


@pytest.fixture
def full_pipeline(make_pipeline):
    def make(config: dict | None = None, extra: dict[str, str] | None = None) -> Path:
        return make_pipeline({**FILES, **(extra or {})}, config=config or CONFIG)

    return make

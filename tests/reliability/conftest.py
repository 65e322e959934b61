"""The DAG tests' pipelines and helpers serve these tests too (tests/dag/dag_helpers.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "dag"))

from dag_helpers import dag  # noqa: E402, F401 - a fixture

from yt_pipeline_prod.testing import fake_yt  # noqa: E402, F401 - a fixture

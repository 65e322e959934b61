"""Fixtures of the DAG tests (the helpers live in dag_helpers.py)."""

from dag_helpers import dag  # noqa: F401 - a fixture

"""Which stages of a run query with YQL: told from their code alone, before any of them runs,
so that DuckDB's process (yql_engine) starts early only for a run that needs it, and a run
that does not never imports the engine's machinery (pickle, subprocess: some 5 ms of a
hello world's start)."""

from __future__ import annotations

from pathlib import Path

#: the client's call a stage queries with
QUERY_CALL = "run_yql"


def stages_query(pipeline_dir: Path, stages: list[str]) -> bool:
    """True when the Python files of one of these stages (stages/<name>/*.py) name the
    client's YQL call."""
    for name in stages:
        for source in sorted((Path(pipeline_dir) / "stages" / name).glob("*.py")):
            try:
                if QUERY_CALL in source.read_text(errors="replace"):
                    return True
            except OSError:
                continue
    return False

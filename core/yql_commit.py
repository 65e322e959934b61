"""A stage's YQL query holding COMMIT: what prod writes outside the stage's transaction.

In a stage, prod points each INSERT of a query at a staging table of its own, which the
stage's transaction puts on the table when the query has run (yt_pipeline_prod.yql), so a
failed, retried or killed stage leaves no row behind. After a COMMIT a query reads what it
wrote before it (YQL docs, syntax/commit.md), which staging tables would hide: such a query
writes its tables itself, at once, and a retry or a --resume of the stage writes them again
(an append twice). Dev keeps such a query's writes in the stage's transaction, so both modes
say so where it is run, and how to make it all or nothing: split it at the COMMIT into
queries of their own (a table the first fills whole is read by the next one through its
staging table; anything else the stage wrote is refused rather than read stale).
"""

from __future__ import annotations

import logging

from yt_pipeline.yql_rules import insert_target, statements

log = logging.getLogger("yt_pipeline.yql")


def commit_inserts(query: str) -> list[str]:
    """The tables the INSERTs of `query` write when it holds a COMMIT (none otherwise),
    as the query names them."""
    found = statements(query)
    if not any(statement.first_word == "COMMIT" for statement in found):
        return []
    targets: dict[str, None] = {}
    for statement in found:
        if statement.first_word != "INSERT":
            continue
        target = insert_target(statement)
        shown = target.text if target is not None and target.kind == "name" else None
        targets[shown or "a table named by an expression"] = None
    return list(targets)


def written_outside_stage(targets: list[str]) -> str:
    """The warning for a stage's query that writes `targets` past its transaction in prod."""
    return (f"a stage's YQL query with COMMIT writes {', '.join(targets)} at once in prod, "
            "outside the stage's transaction: if the stage then fails, is retried or is "
            "resumed, those writes stay (and an append is made again). Split the query at "
            "COMMIT into queries of their own to make it all or nothing with the stage")


def warn_of_writes_outside_stage(query: str) -> None:
    """Say so when a query run in a stage holds COMMIT and writes tables."""
    targets = commit_inserts(query)
    if targets:
        log.warning("%s", written_outside_stage(targets))

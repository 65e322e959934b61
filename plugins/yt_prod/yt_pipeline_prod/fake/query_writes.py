"""The tables a fake query's INSERTs wrote, put back as they were when the query fails or is
aborted.

A cluster runs a whole YQL query in one transaction ("By default, the entire YQL query is
executed within a single transaction": ydb/docs/en/core/yql/reference/syntax/commit.md in
ydb-platform/ydb; COMMIT only orders its parts), which a failure or an abort ends without a
commit: no table keeps a write of the query, nor a folder the query made for one. The fake
tracker writes each INSERT into Cypress as it runs (later statements read it), so it keeps
each table's node as it was before the query's first write of it.
"""

from __future__ import annotations

import copy

from yt_pipeline_prod.fake.cypress import Cypress, Node
from yt_pipeline_prod.fake.paths import parent_of


class KeptNodes:
    def __init__(self, cypress: Cypress):
        self.cypress = cypress
        #: path: the node as it was (None: there was none) and the top folder missing
        #: above it then (None: its folder was there)
        self.kept: dict[str, tuple[Node | None, str | None]] = {}

    def keep(self, path: str) -> None:
        """Before a write of table `path` (under the Cypress lock)."""
        if path in self.kept:
            return
        node = self.cypress.lookup(path, None)
        if node is None:
            self.kept[path] = (None, self._top_missing(path))
            return
        # a write changes the node's fields and its attributes, never its rows list in
        # place (cypress.Node)
        saved = copy.copy(node)
        saved.attributes = dict(node.attributes)
        self.kept[path] = (saved, None)

    def put_back(self) -> None:
        """Every table kept as it was, the last written first."""
        with self.cypress.lock:
            for path, (saved, made) in reversed(list(self.kept.items())):
                if saved is None:
                    for gone in self.cypress.subtree(made or path, None):
                        self.cypress.base.pop(gone, None)
                    continue
                live = self.cypress.base.get(path)
                if live is not None and live.id == saved.id:
                    vars(live).update(vars(saved))
                else:
                    self.cypress.base[path] = saved
            self.kept = {}

    def _top_missing(self, path: str) -> str | None:
        missing = None
        folder = parent_of(path)
        while folder and self.cypress.lookup(folder, None) is None:
            missing, folder = folder, parent_of(folder)
        return missing

"""The stage DAG: built from a chain, a declared graph, or the tables stages read and write;
checked for cycles and unknown names; grouped into levels; narrowed by a selection.

Three ways to say what depends on what, as the configuration allows:

- `stages.enabled_stages: [a, b, c]`: a chain, each stage needs the one before it;
- `stages.graph: {report: [clean_a, clean_b], clean_a: [load]}`: declared dependencies;
- `inputs:`/`outputs:` at the top of a stage's config.yaml: a stage that reads a table
  another stage writes depends on it (added to a declared graph; a chain is already ordered).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import msgspec

from yt_pipeline.errors import GraphError
from yt_pipeline.graph_order import (
    closure,
    dependents_of,
    find_cycle,
    topological_levels,
)


def unknown_stage(name: str, known: Iterable[str], where: str, what: str = "stage"
                  ) -> GraphError:
    """`--only nosuch: unknown stage nosuch; did you mean nosuc? (known: ...)`; `what`:
    "step" for a function-step pipeline."""
    import difflib  # only for an error: not paid by every run

    known = list(known)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else ""
    return GraphError(f"{where}: unknown {what} {name}{hint} (known: {', '.join(known)})")


class StageGraph(msgspec.Struct):
    """Nodes in declaration order and, for each, the nodes it needs."""

    deps: dict[str, tuple[str, ...]]
    #: edges that come from inputs/outputs: (user, producer) -> the table that links them
    inferred: dict[tuple[str, str], str] = msgspec.field(default_factory=dict)
    source: str | None = None
    #: worked out on first use
    _levels: list[list[str]] | None = None
    _users: dict[str, list[str]] | None = None

    @property
    def names(self) -> list[str]:
        return list(self.deps)

    @property
    def levels(self) -> list[list[str]]:
        if self._levels is None:
            self._levels = topological_levels(self.deps)
        return self._levels

    @property
    def dependents(self) -> dict[str, list[str]]:
        if self._users is None:
            self._users = dependents_of(self.deps)
        return self._users

    def order(self) -> list[str]:
        return [name for level in self.levels for name in level]

    def ancestors(self, names: Iterable[str]) -> set[str]:
        """The nodes and everything they need, directly or not."""
        return closure(names, self.deps)

    def descendants(self, names: Iterable[str]) -> set[str]:
        """The nodes and everything that needs them, directly or not."""
        return closure(names, self.dependents)

    def select(
        self, only: Iterable[str] = (), from_node: str | None = None, to_node: str | None = None
    ) -> set[str]:
        """What `--only`, `--from` (and what needs it) and `--to` (and what it needs) pick;
        everything when none is given. Given together, they narrow each other."""
        chosen = set(self.deps)
        only = list(only)
        for option, names in (("--only", only), ("--from", [from_node]), ("--to", [to_node])):
            for name in names:
                if name is not None and name not in self.deps:
                    raise unknown_stage(name, self.names, option)
        if only:
            chosen &= set(only)
        if from_node:
            chosen &= self.descendants([from_node])
        if to_node:
            chosen &= self.ancestors([to_node])
        if not chosen:
            raise GraphError("the selection (--only/--from/--to) picks no stage")
        return chosen


def chain_graph(
    names: list[str], source: str | None = None,
    io: Mapping[str, tuple[list[str], list[str]]] | None = None,
) -> StageGraph:
    """Each stage needs the one before it. With `io` (`{name: (inputs, outputs)}`), a
    stage that reads a table the one before it writes is noted as linked by that table, as
    the same edge is in a graph: the cache then goes by the table's content, not by the
    stage before. A chain gets no other edge from `io`: its order says it all."""
    deps: dict[str, tuple[str, ...]] = {
        name: ((names[i - 1],) if i else ()) for i, name in enumerate(names)
    }
    linked = {
        (user, producer): table
        for (user, producer), table in _infer_edges(io or {}, deps).items()
        if producer in deps[user]
    }
    return StageGraph(deps, linked, source=source)


def build_graph(
    declared: Mapping[str, Iterable[str] | None],
    io: Mapping[str, tuple[list[str], list[str]]] | None = None,
    *,
    is_known: Callable[[str], bool] | None = None,
    source: str | None = None,
    key: str = "stages.graph",
    what: str = "stage",
    source_of: Callable[[str], str] | None = None,
) -> StageGraph:
    """A checked graph from declared dependencies plus those inferred from `io`
    (`{name: (inputs, outputs)}`). A dependency that is not declared as a node is added when
    `is_known` accepts it; otherwise the error names the node that asked for it.

    `source_of(dotted key)` says which layer set a node's dependencies (a `--set` or a
    variable can add one to the file's graph), so an error names that layer, not `source`."""

    def where(*names: str) -> str | None:
        if source_of is None:
            return source
        return ", ".join(dict.fromkeys(source_of(f"{key}.{name}") for name in names)) or source
    deps: dict[str, list[str]] = {name: list(needed or ()) for name, needed in declared.items()}
    for name in list(deps):
        for dep in deps[name]:
            if dep in deps:
                continue
            if is_known is not None and is_known(dep):
                deps[dep] = []
                continue
            raise GraphError(
                f"{what} {name} depends on unknown {what} {dep}", file=where(name),
                key=f"{key}.{name}"
            )
    inferred = _infer_edges(io or {}, deps)
    for (user, producer) in inferred:
        if producer not in deps[user]:
            deps[user].append(producer)
    cycle = find_cycle(deps)
    if cycle:
        pairs = zip(cycle, cycle[1:], strict=False)
        links = [f"{a} reads {inferred[(a, b)]}" for a, b in pairs if (a, b) in inferred]
        note = f" (from inputs/outputs: {'; '.join(links)})" if links else ""
        raise GraphError("cycle: " + " -> ".join(cycle) + note, file=where(*cycle[:-1]),
                         key=key)
    return StageGraph({n: tuple(d) for n, d in deps.items()}, inferred, source)


def _infer_edges(
    io: Mapping[str, tuple[list[str], list[str]]], nodes: Mapping[str, object]
) -> dict[tuple[str, str], str]:
    producers: dict[str, list[str]] = {}
    for name, (_inputs, outputs) in io.items():
        if name in nodes:
            for path in outputs:
                producers.setdefault(normalize_path(path), []).append(name)
    edges: dict[tuple[str, str], str] = {}
    for name, (inputs, _outputs) in io.items():
        if name not in nodes:
            continue
        for path in inputs:
            for producer in producers.get(normalize_path(path), ()):
                if producer != name:  # a stage that updates a table in place needs no one
                    # every table of the link, so a diagram's edge shows all it carries
                    known = edges.get((name, producer))
                    edges[(name, producer)] = f"{known}, {path}" if known else path
    return edges


def normalize_path(path: str) -> str:
    return path.rstrip("/") or path

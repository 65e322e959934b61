"""Topological order of a declared stage graph (the DAG runner plans levels on top of it)."""

from __future__ import annotations

from collections.abc import Mapping

from yt_pipeline.errors import GraphError


def graph_order(graph: Mapping[str, list[str] | None], source: str | None = None) -> list[str]:
    """Stages in an order where each comes after its dependencies; ties by name."""
    deps = {name: list(d or []) for name, d in graph.items()}
    for needed in list(deps.values()):
        for dep in needed:
            deps.setdefault(dep, [])
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = path[path.index(name):] + [name]
            raise GraphError("cycle: " + " -> ".join(cycle), file=source, key="stages.graph")
        state[name] = 1
        for dep in sorted(deps[name]):
            visit(dep, path + [name])
        state[name] = 2
        order.append(name)

    for name in sorted(deps):
        visit(name, [])
    return order

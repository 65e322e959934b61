"""Order algorithms on a dependency mapping `{node: [dependencies]}`: cycles, topological
levels, ancestors and descendants. Pure functions; `graph.py` builds the mapping."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

Deps = Mapping[str, Iterable[str]]


def find_cycle(deps: Deps) -> list[str] | None:
    """A cycle as `[a, b, c, a]` (each needs the next), or None. Iterative, so a long chain
    of stages cannot exhaust Python's recursion limit."""
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    for root in sorted(deps):
        if state.get(root):
            continue
        path: list[str] = [root]
        stack = [iter(sorted(deps.get(root, ())))]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            seen = state.get(nxt)
            if seen == 1:
                return path[path.index(nxt):] + [nxt]
            if seen is None:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(deps.get(nxt, ()))))
    return None


def topological_levels(deps: Deps) -> list[list[str]]:
    """Nodes grouped so that every node's dependencies lie in earlier levels; a level is
    sorted by name. The caller has ruled out cycles."""
    waiting = {name: len(set(needed)) for name, needed in deps.items()}
    users = dependents_of(deps)
    level = sorted(name for name, count in waiting.items() if count == 0)
    levels: list[list[str]] = []
    while level:
        levels.append(level)
        following = []
        for name in level:
            for user in users[name]:
                waiting[user] -= 1
                if waiting[user] == 0:
                    following.append(user)
        level = sorted(following)
    return levels


def dependents_of(deps: Deps) -> dict[str, list[str]]:
    """The reverse mapping: for each node, the nodes that need it."""
    users: dict[str, list[str]] = {name: [] for name in deps}
    for name, needed in deps.items():
        for dep in set(needed):
            users.setdefault(dep, []).append(name)
    return users


def closure(start: Iterable[str], edges: Mapping[str, Iterable[str]]) -> set[str]:
    """`start` and everything reachable from it along `edges`."""
    seen = set(start)
    todo = list(seen)
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


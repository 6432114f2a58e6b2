"""Graphs of references between records of one entity type: cycles, chains, write order.

Pure functions over ``{node: [nodes it references]}``; iterative, so a long
chain in bad input cannot exhaust Python's recursion limit.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

N = TypeVar("N", bound=Hashable)


def _components(edges: Mapping[N, Iterable[N]]) -> list[list[N]]:
    """Strongly connected components (Tarjan), each a list of nodes."""
    index: dict[N, int] = {}
    low: dict[N, int] = {}
    stack: list[N] = []
    on_stack: set[N] = set()
    found: list[list[N]] = []
    for root in edges:
        if root in index:
            continue
        work: list[tuple[N, list[N]]] = [(root, list(edges.get(root, ())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, list(edges.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(component)
    return found


def cycles(edges: Mapping[N, Iterable[N]]) -> list[list[N]]:
    """One cycle per knot of the graph, as the nodes along it (first node not repeated).

    Each strongly connected component with more than one node, or with a node
    that references itself, yields the cycle found by walking its edges from
    its first node in the order of ``edges``.
    """
    order = {node: position for position, node in enumerate(edges)}
    result = []
    for component in _components(edges):
        members = set(component)
        start = min(component, key=lambda node: order.get(node, len(order)))
        if len(component) == 1 and start not in set(edges.get(start, ())):
            continue
        path, seen = [start], {start: 0}
        node = start
        while True:
            node = next(target for target in edges.get(node, ()) if target in members)
            if node in seen:
                result.append(path[seen[node] :])
                break
            seen[node] = len(path)
            path.append(node)
    return result


def chain_lengths(edges: Mapping[N, Iterable[N]], skip: set[N]) -> dict[N, int]:
    """For each node, how many nodes the longest chain of references from it holds.

    Nodes in ``skip`` (those on cycles) and the chains through them are left out.
    """
    length: dict[N, int] = {}
    for root in edges:
        if root in length or root in skip:
            continue
        work = [root]
        while work:
            node = work[-1]
            waiting = [
                target
                for target in edges.get(node, ())
                if target not in length and target not in skip
            ]
            if waiting:
                work.extend(waiting)
                continue
            work.pop()
            if node not in length:
                below = [length[target] for target in edges.get(node, ()) if target in length]
                length[node] = 1 + max(below, default=0)
    return length


def longest_chain(edges: Mapping[N, Iterable[N]], lengths: Mapping[N, int], node: N) -> list[N]:
    """The longest chain of references from ``node``, as :func:`chain_lengths` measured it."""
    chain = [node]
    while lengths[chain[-1]] > 1:
        here = chain[-1]
        chain.append(next(t for t in edges.get(here, ()) if lengths.get(t) == lengths[here] - 1))
    return chain


def levels(edges: Mapping[N, Iterable[N]], nodes: Iterable[N]) -> dict[N, int]:
    """Write order of ``nodes``: 0 for a node referencing none of them, else one past its targets.

    ``edges`` must be acyclic among ``nodes``.
    """
    wanted = set(nodes)
    level: dict[N, int] = {}
    for root in wanted:
        work = [root]
        while work:
            node = work[-1]
            waiting = [
                target for target in edges.get(node, ()) if target in wanted and target not in level
            ]
            if waiting:
                work.extend(waiting)
                continue
            work.pop()
            targets = [level[target] for target in edges.get(node, ()) if target in wanted]
            level[node] = 1 + max(targets, default=-1)
    return level

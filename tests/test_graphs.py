"""Cycles, chains and write order of references between records of one type."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from bakery_io.graphs import chain_lengths, cycles, levels, longest_chain

Graph = dict[int, list[int]]

graphs = st.dictionaries(
    st.integers(0, 12), st.lists(st.integers(0, 12), max_size=3, unique=True), max_size=12
)


def _reaches(edges: Graph, start: int, goal: int) -> bool:
    seen, todo = set(), list(edges.get(start, []))
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, []))
    return False


def test_a_cycle_is_reported_as_the_keys_along_it() -> None:
    edges = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"], "e": []}
    assert cycles(edges) == [["a", "b", "c"]]


def test_a_record_referencing_itself_is_a_cycle_of_one() -> None:
    assert cycles({"a": ["a"], "b": ["a"]}) == [["a"]]


@given(graphs)
def test_cycles_are_real_and_every_node_on_a_cycle_is_in_one(edges: Graph) -> None:
    found = cycles(edges)
    for cycle in found:
        assert len(set(cycle)) == len(cycle)
        for node, following in zip(cycle, [*cycle[1:], cycle[0]], strict=True):
            assert following in edges[node]
    on_cycles = {node for node in edges if _reaches(edges, node, node)}
    # Each knot yields one cycle; no knot is missed.
    assert bool(found) == bool(on_cycles)
    for cycle in found:
        assert set(cycle) <= on_cycles


@given(graphs)
def test_longest_chains_follow_edges_and_are_longest(edges: Graph) -> None:
    skip = {node for cycle in cycles(edges) for node in cycle}
    skip |= {node for node in edges if _reaches(edges, node, node)}
    lengths = chain_lengths(edges, skip)
    for node, length in lengths.items():
        chain = longest_chain(edges, lengths, node)
        assert chain[0] == node
        assert len(chain) == length
        for here, there in pairwise(chain):
            assert there in edges.get(here, [])
        for target in edges.get(node, []):
            if target in lengths:
                assert length >= 1 + lengths[target]


def test_a_chain_of_three_is_three_records() -> None:
    edges = {"cake": ["frosting"], "frosting": ["syrup"], "syrup": []}
    lengths = chain_lengths(edges, set())
    assert lengths == {"cake": 3, "frosting": 2, "syrup": 1}
    assert longest_chain(edges, lengths, "cake") == ["cake", "frosting", "syrup"]


@given(graphs)
def test_levels_write_every_target_before_what_references_it(edges: Graph) -> None:
    acyclic = {node: [t for t in targets if t < node] for node, targets in edges.items()}
    nodes = list(acyclic)
    order = levels(acyclic, nodes)
    assert set(order) == set(nodes)
    for node in nodes:
        for target in acyclic[node]:
            if target in order:
                assert order[target] < order[node]


def test_a_long_chain_does_not_exhaust_the_recursion_limit() -> None:
    edges = {number: [number + 1] for number in range(20_000)}
    lengths = chain_lengths(edges, set())
    assert longest_chain(edges, lengths, 0)[-1] == 20_000
    assert levels(edges, list(edges))[0] == 19_999
    assert cycles({**edges, 20_000: [0]})[0][0] == 0

"""Minimum Steiner trees over a network's QPU graph (hop count): how one cat copy fans out.

A cat-entangled copy of a qubit can itself be cat-entangled onward, so the copies a
hyperedge needs on QPUs S are connected by a tree through the network: the ebits are the
tree's links.  Exact by enumeration of Steiner-node subsets for up to ``EXACT_LIMIT``
optional nodes, else rustworkx's 2-approximation.
"""

from __future__ import annotations

from itertools import combinations

import rustworkx as rx

__all__ = ["steiner_tree", "EXACT_LIMIT"]

EXACT_LIMIT = 10


def _spanning_edges(graph: rx.PyGraph, nodes: tuple[int, ...]) -> list[tuple[int, int]] | None:
    sub = graph.subgraph(list(nodes))
    if not rx.is_connected(sub):
        return None
    tree = rx.minimum_spanning_edges(sub, weight_fn=lambda _: 1.0)
    return sorted(tuple(sorted((nodes[a], nodes[b]))) for a, b, _ in tree)


def steiner_tree(graph: rx.PyGraph, terminals: frozenset[int]) -> tuple[tuple[int, int], ...]:
    """Edges (``a < b``) of a minimum tree joining ``terminals`` in ``graph`` (unit weights)."""
    if len(terminals) <= 1:
        return ()
    others = sorted(set(graph.node_indices()) - terminals)
    if len(others) > EXACT_LIMIT:
        tree = rx.steiner_tree(graph, sorted(terminals), weight_fn=lambda _: 1.0)
        return tuple(sorted(tuple(sorted((a, b))) for a, b in tree.edge_list()))
    base = tuple(sorted(terminals))
    for extra in range(len(others) + 1):  # fewest Steiner nodes first: a tree on m nodes has m-1 edges
        for chosen in combinations(others, extra):
            edges = _spanning_edges(graph, tuple(sorted(base + chosen)))
            if edges is not None:
                return tuple(edges)
    raise ValueError(f"terminals {sorted(terminals)} are not connected")

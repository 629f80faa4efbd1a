"""Minimum Steiner trees over a network's QPU graph: how one cat copy fans out.

A cat-entangled copy of a qubit can itself be cat-entangled onward, so the copies a
hyperedge needs on QPUs S are connected by a tree through the network: the ebits are the
tree's links.  Exact (every subset of optional nodes, minimum spanning tree of each) for up
to ``EXACT_LIMIT`` optional nodes (stopping once a tree over more nodes must weigh more than
the best found), else rustworkx's 2-approximation.  Ties go to fewer links,
then to the lexicographically smallest edge list, so the result is deterministic.
"""

from __future__ import annotations

from itertools import combinations
from typing import Sequence

import rustworkx as rx

__all__ = ["steiner_tree", "EXACT_LIMIT"]

EXACT_LIMIT = 10


def _spanning(graph: rx.PyGraph, nodes: tuple[int, ...], weights: Sequence[float]):
    sub = graph.subgraph(list(nodes))
    if not rx.is_connected(sub):
        return None
    tree = rx.minimum_spanning_edges(sub, weight_fn=lambda e: weights[e])
    edges = tuple(sorted(tuple(sorted((nodes[a], nodes[b]))) for a, b, _ in tree))
    return sum(weights[e] for _, _, e in tree), edges


def steiner_tree(graph: rx.PyGraph, terminals: frozenset[int],
                 weights: Sequence[float] | None = None) -> tuple[tuple[int, int], ...]:
    """Edges (``a < b``) of a minimum-weight tree joining ``terminals``; edge payloads index ``weights``."""
    if len(terminals) <= 1:
        return ()
    w = list(weights) if weights is not None else [1.0] * (1 + max(graph.edges(), default=-1))
    others = sorted(set(graph.node_indices()) - terminals)
    if len(others) > EXACT_LIMIT:
        tree = rx.steiner_tree(graph, sorted(terminals), weight_fn=lambda e: w[e])
        return tuple(sorted(tuple(sorted((a, b))) for a, b in tree.edge_list()))
    base, best = tuple(sorted(terminals)), None
    lightest = min(w, default=0.0)
    for extra in range(len(others) + 1):
        if best is not None and (len(base) + extra - 1) * lightest > best[0] + 1e-9:
            break  # every tree over more nodes costs more than the best one found
        for chosen in combinations(others, extra):
            found = _spanning(graph, tuple(sorted(base + chosen)), w)
            if found is not None:
                key = (round(found[0], 12), len(found[1]), found[1])
                if best is None or key < best:
                    best = key
    if best is None:
        raise ValueError(f"terminals {sorted(terminals)} are not connected")
    return best[2]

"""A lower bound on the ebits of any placement, from how far the interacting qubits must spread.

Join two qubits when a two-qubit gate acts on both.  A gate between QPUs a and b runs on a
server QPU s that copies of its qubits reach along links (one ebit per link of each copy's
Steiner tree), so a and b are joined by ebit-carrying links through s.  The QPUs holding one
connected set of qubits are therefore joined by its copies' links: a set spread over m QPUs
costs at least m - 1 ebits, and two sets never share a copy (a copy belongs to one qubit).
A set of c qubits spreads over at least as many QPUs as the largest capacities need to hold c.
When every set fits in one QPU but the sets do not pack into the QPUs, some set spreads: 1.

The placer stops when its heuristic meets this bound (cat states, GHZ, Ising chains, BV...).
(As a cut on the exact model's objective it slowed HiGHS down: ``qft_n29-a2a2`` proved in
8.7 s without it, not in 15 s with it.)
"""

from __future__ import annotations

import numpy as np
import rustworkx as rx

__all__ = ["component_sizes", "connected_sets", "packs", "spread_bound", "MAX_SEARCH_COMPONENTS"]

MAX_SEARCH_COMPONENTS = 16  # exact packing search only up to this many multi-qubit components


def connected_sets(num_qubits: int, pairs: np.ndarray) -> list[list[int]]:
    """The sets of qubits joined by the gates ``pairs`` (G, 2), each sorted, in order of their lowest
    qubit; a qubit in no gate is a set of one."""
    graph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(num_qubits))
    if len(pairs):
        low, high = np.sort(np.asarray(pairs, dtype=np.int64), axis=1).T
        edges = np.unique(low * num_qubits + high)  # one integer per distinct pair: no row-wise unique
        graph.add_edges_from_no_data(list(zip((edges // num_qubits).tolist(), (edges % num_qubits).tolist())))
    return sorted((sorted(c) for c in rx.connected_components(graph)), key=lambda c: c[0])


def component_sizes(num_qubits: int, pairs: np.ndarray) -> list[int]:
    """Sizes of :func:`connected_sets`, largest first."""
    return sorted(map(len, connected_sets(num_qubits, pairs)), reverse=True)


def packs(sizes: list[int], capacities: list[int]) -> bool | None:
    """Whether sets of these sizes fit in QPUs of these capacities, each whole in one QPU (exact
    search; ``None`` if there are more than ``MAX_SEARCH_COMPONENTS`` sets of two or more)."""
    if sum(sizes) > sum(capacities):
        return False
    big = sorted((s for s in sizes if s > 1), reverse=True)  # singletons then fill any free slot
    if len(big) > MAX_SEARCH_COMPONENTS:
        return None

    def place(i: int, free: list[int]) -> bool:
        if i == len(big):
            return True
        tried = set()
        for m, room in enumerate(free):
            if room >= big[i] and room not in tried:  # QPUs with equal room are interchangeable
                tried.add(room)
                free[m] -= big[i]
                if place(i + 1, free):
                    return True
                free[m] += big[i]
        return False

    return place(0, sorted(capacities, reverse=True))


def _spans(size: int, largest_first: list[int]) -> int:
    """Fewest QPUs whose capacities hold ``size`` qubits."""
    held, m = 0, 0
    while held < size and m < len(largest_first):
        held += largest_first[m]
        m += 1
    return m


def spread_bound(sizes: list[int], capacities: list[int]) -> int:
    """Ebits every placement of sets of these sizes on QPUs of these capacities spends (see above)."""
    largest_first = sorted(capacities, reverse=True)
    bound = sum(_spans(s, largest_first) - 1 for s in sizes)
    if bound == 0 and packs(sizes, capacities) is False:
        return 1
    return bound

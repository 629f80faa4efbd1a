"""The ebit cost model shared by the placer and the lowering.

A *hyperedge* is one (qubit, segment): a run of gates that one cat-entangled copy of the
qubit per remote QPU can serve.  Given a placement, every two-qubit gate g runs on a
*server* QPU ``server[g]``: a qubit not at home there is represented by a copy of its
hyperedge, so the gate must be diagonal on it.  A gate controlled on one qubit only runs
at its target's home; a gate diagonal on both may run at either home or on a third QPU
holding copies of both (the copies agree in the Z basis, so a diagonal gate between them
is exact).  A hyperedge whose copies must reach QPUs K costs the links of a minimum
Steiner tree joining its qubit's QPU and K (copies are cat-entangled onward along the
tree).  The lowering spends exactly this many ebits when communication qubits are not
scarce.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from qmosaic.targets.models import Network

from .interactions import Interactions

__all__ = ["Hypergraph", "build_hypergraph", "copy_destinations", "copy_excess", "link_usage", "plan_servers",
           "servers_cost", "links_cost", "route_cost"]


@dataclass(frozen=True)
class Hypergraph:
    """Gates with their candidate hyperedges (``edge[g, s]``, -1 if gate g is not diagonal on side s)."""

    num_qubits: int
    qubits: np.ndarray  # (G, 2)
    edge: np.ndarray  # (G, 2)
    edge_qubit: np.ndarray  # (H,) source qubit of each hyperedge

    @property
    def num_edges(self) -> int:
        return len(self.edge_qubit)


def build_hypergraph(inter: Interactions) -> Hypergraph:
    """Number the (qubit, segment) pairs that serve at least one gate."""
    ids: dict[tuple[int, int], int] = {}
    edge = np.full(inter.seg.shape, -1, dtype=np.int64)
    for g, ((q0, q1), (s0, s1)) in enumerate(zip(inter.qubits.tolist(), inter.seg.tolist())):
        for side, (q, s) in enumerate(((q0, s0), (q1, s1))):
            if s >= 0:
                edge[g, side] = ids.setdefault((q, s), len(ids))
    edge_qubit = np.zeros(len(ids), dtype=np.int64)
    for (q, _), h in ids.items():
        edge_qubit[h] = q
    return Hypergraph(inter.num_qubits, inter.qubits, edge, edge_qubit)


def plan_servers(hg: Hypergraph, placement: np.ndarray, network: Network, *,
                 short_lived: bool = False) -> tuple[int, np.ndarray]:
    """Choose a server for every gate; return ``(ebits, server)``.

    Local gates run at home.  A gate diagonal on one qubit only runs at the other's home.  A
    gate diagonal on both reuses copies already paid for where it can (at either home or a
    QPU holding copies of both); the others are covered greedily, the copy serving the most
    of them first (``_cover_flexible``; ``short_lived``: of those, the one whose gates span
    the fewest others).  (The hot loop of the heuristic: plain lists.)
    """
    homes_np = placement[hg.qubits]  # (G, 2)
    server = homes_np[:, 0].copy()
    remote = np.nonzero(homes_np[:, 0] != homes_np[:, 1])[0].tolist()
    homes, edges = homes_np[remote].tolist(), hg.edge[remote].tolist()
    paid: dict[int, set[int]] = {}  # hyperedge -> QPUs holding a copy
    flexible = []
    for i, g in enumerate(remote):
        e0, e1 = edges[i]
        if e0 >= 0 and e1 >= 0:
            flexible.append(i)
            continue
        s = 0 if e0 >= 0 else 1  # the diagonal side travels to the other's home
        server[g] = homes[i][1 - s]
        paid.setdefault(edges[i][s], set()).add(homes[i][1 - s])
    thirds = _third_servers(network)
    chosen = _cover_flexible([(edges[i], homes[i]) for i in flexible], paid, thirds, short_lived=short_lived)
    for j, i in enumerate(flexible):
        shared = _holding_both(edges[i], homes[i], paid, thirds)
        server[remote[i]] = min(shared) if shared else chosen[j]
    return servers_cost(hg, placement, server, network), server


def _third_servers(network: Network) -> frozenset[int]:
    """QPUs with room for copies of both qubits of a gate (two communication qubits)."""
    return frozenset(k for k, q in enumerate(network.qpus) if q.comm_qubits >= 2)


def _holding_both(edge: list[int], home: list[int], paid: dict[int, set[int]], thirds: frozenset[int]) -> set[int]:
    """QPUs where a gate diagonal on both qubits (hyperedges ``edge``, homes ``home``) can run on
    what is already there: a home with a paid copy of the other qubit, or a third QPU with
    copies of both and room for them.  (The homes differ; with no copy of one side, only the
    other side's home can hold both: no sets are built for it.)"""
    (e0, e1), (a, b) = edge, home
    p0, p1 = paid.get(e0), paid.get(e1)
    if p0 is None:
        return {a} if p1 is not None and a in p1 else set()
    if p1 is None:
        return {b} if b in p0 else set()
    return {k for k in (p0 | {a}) & (p1 | {b}) if k == a or k == b or k in thirds}


def _cover_flexible(gates: list[tuple[list[int], list[int]]], paid: dict[int, set[int]],
                    thirds: frozenset[int], *, short_lived: bool = False) -> dict[int, int]:
    """Servers for the remote gates diagonal on both qubits (``gates[j]`` = hyperedges, homes,
    in circuit order), by a greedy vertex cover.

    Each such gate needs one of two copies — its side-0 hyperedge at the side-1 home or the
    reverse; a copy already paid for (or a QPU holding both) covers it for free.  The copy that
    covers the most uncovered gates is bought first (ties: lowest key, or with ``short_lived``
    the copy whose gates lie closest together: it holds its communication qubit the shortest),
    and ``paid`` grows.
    """
    options: dict[int, tuple[tuple[int, int], tuple[int, int]]] = {}
    users: dict[tuple[int, int], list[int]] = {}
    for j, (edge, home) in enumerate(gates):
        if _holding_both(edge, home, paid, thirds):
            continue
        (e0, e1), (a, b) = edge, home
        options[j] = ((e0, b), (e1, a))
        for key in options[j]:
            users.setdefault(key, []).append(j)
    degree = {key: len(gs) for key, gs in users.items()}
    span = {key: gs[-1] - gs[0] if short_lived else 0 for key, gs in users.items()}
    heap = [(-d, span[key], key) for key, d in degree.items()]
    heapq.heapify(heap)
    chosen: dict[int, int] = {}
    while heap:
        d, _, key = heapq.heappop(heap)
        if -d != degree[key] or degree[key] == 0:
            continue
        paid.setdefault(key[0], set()).add(key[1])
        for j in users[key]:
            if j in chosen:
                continue
            chosen[j] = key[1]
            for other in options[j]:
                degree[other] -= 1
                if other != key and degree[other] > 0:
                    heapq.heappush(heap, (-degree[other], span[other], other))
    return chosen


def copy_destinations(hg: Hypergraph, placement: np.ndarray, server: np.ndarray) -> dict[int, set[int]]:
    """Hyperedge -> QPUs that need a copy of its qubit (gates with ``server < 0`` need none)."""
    out: dict[int, set[int]] = {}
    homes = placement[hg.qubits]
    away = (homes != server[:, None]) & (server[:, None] >= 0)
    gates, sides = np.nonzero(away)
    for h, k in zip(hg.edge[gates, sides].tolist(), server[gates].tolist()):
        out.setdefault(h, set()).add(k)
    return out


def copy_excess(hg: Hypergraph, placement: np.ndarray, server: np.ndarray, network: Network) -> int:
    """Copies beyond the communication qubits, summed over QPUs at each one's busiest moment.

    A copy (hyperedge, QPU) holds a communication qubit there from its first gate to its last
    (in gate order); where more are open at once than the QPU has, the lowering evicts one and
    makes it again later.  An estimate (the lowering's order and TeleData moves differ), in
    NumPy: cheap enough to ask of every placement."""
    homes = placement[hg.qubits]
    gates, sides = np.nonzero((homes != server[:, None]) & (server[:, None] >= 0))
    if not len(gates):
        return 0
    kq = len(network.qpus)
    key = hg.edge[gates, sides] * kq + server[gates]
    order = np.lexsort((gates, key))
    key, gates = key[order], gates[order]
    new = np.r_[True, key[1:] != key[:-1]]
    first, last, qpu = gates[new], gates[np.r_[new[1:], True]], key[new] % kq
    # +1 as a copy opens (time 2g), -1 after its last gate (2g + 1); each QPU's events sum to
    # 0, so one running sum over the events sorted by QPU counts each QPU's open copies
    times, qpus = np.r_[2 * first, 2 * last + 1], np.r_[qpu, qpu]
    delta = np.r_[np.ones(len(first), dtype=np.int64), -np.ones(len(first), dtype=np.int64)]
    order = np.lexsort((times, qpus))
    peak = np.zeros(kq, dtype=np.int64)
    np.maximum.at(peak, qpus[order], np.cumsum(delta[order]))
    comm = np.array([q.comm_qubits for q in network.qpus], dtype=np.int64)
    return int(np.maximum(peak - comm, 0).sum())


def servers_cost(hg: Hypergraph, placement: np.ndarray, server: np.ndarray, network: Network) -> int:
    """Ebits spent for the given servers (Steiner fan-out of every hyperedge's copies)."""
    total = 0
    for h, dests in copy_destinations(hg, placement, server).items():
        total += len(network.steiner(frozenset(dests | {int(placement[hg.edge_qubit[h]])})))
    return total


def link_usage(hg: Hypergraph, placement: np.ndarray, server: np.ndarray, network: Network) -> np.ndarray:
    """EPR pairs each link supplies for the given servers (one per Steiner-tree link)."""
    usage = np.zeros(len(network.links), dtype=np.int64)
    for h, dests in copy_destinations(hg, placement, server).items():
        for a, b in network.steiner(frozenset(dests | {int(placement[hg.edge_qubit[h]])})):
            usage[network.link_index(a, b)] += 1
    return usage


def links_cost(network: Network, links, link_weight: np.ndarray) -> float:
    """Objective weight of one EPR pair on each of ``links`` (QPU pairs)."""
    return float(sum(link_weight[network.link_index(a, b)] for a, b in links))


def route_cost(network: Network, a: int, b: int, link_weight: np.ndarray) -> float:
    """Objective weight of sending one copy from QPU a to QPU b along ``network.route``."""
    path = network.route(a, b)
    return links_cost(network, zip(path, path[1:]), link_weight)

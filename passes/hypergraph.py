"""The ebit cost model shared by the placer and the lowering.

A *hyperedge* is one (qubit, segment): a run of gates that one cat-entangled copy of the
qubit per remote QPU can serve.  Given a placement, every remote gate is served from one
side (``side`` 0 or 1: the gate qubit whose copy is sent); a hyperedge whose copies must
reach QPUs K costs the links of a minimum Steiner tree joining its qubit's QPU and K
(copies are cat-entangled onward along the tree).  The lowering spends exactly this many
ebits when communication qubits are not scarce.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qmosaic.targets.models import Network

from .interactions import Interactions

__all__ = ["Hypergraph", "build_hypergraph", "copy_destinations", "link_usage", "plan_sides", "sides_cost"]


@dataclass(frozen=True)
class Hypergraph:
    """Gates with their candidate hyperedges (``edge[g, s]``, -1 if side s cannot serve g)."""

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


def plan_sides(hg: Hypergraph, placement: np.ndarray, network: Network) -> tuple[int, np.ndarray]:
    """Choose a serving side for every remote gate; return ``(ebits, side)``.

    ``side[g]`` is -1 for local gates.  Gates diagonal on one side only are forced; a gate
    diagonal on both reuses a copy already paid for if it can, else takes the side whose
    copy could serve more remote gates (a greedy cover).
    """
    qa, qb = placement[hg.qubits[:, 0]], placement[hg.qubits[:, 1]]
    side = np.full(len(qa), -1, dtype=np.int64)
    remote = np.nonzero(qa != qb)[0]
    dest = np.stack([qb, qa], axis=1)  # copy of side s goes to the other side's QPU
    paid: set[tuple[int, int]] = set()
    flexible = []
    for g in remote.tolist():
        e0, e1 = hg.edge[g]
        if e0 >= 0 and e1 >= 0:
            flexible.append(g)
        else:
            s = 0 if e0 >= 0 else 1
            side[g] = s
            paid.add((int(hg.edge[g, s]), int(dest[g, s])))
    counts: dict[tuple[int, int], int] = {}
    for g in flexible:
        for s in (0, 1):
            key = (int(hg.edge[g, s]), int(dest[g, s]))
            counts[key] = counts.get(key, 0) + 1
    for g in flexible:
        k0, k1 = (int(hg.edge[g, 0]), int(dest[g, 0])), (int(hg.edge[g, 1]), int(dest[g, 1]))
        if k0 in paid or k1 in paid:
            side[g] = 0 if k0 in paid else 1
            continue
        c0, c1 = counts[k0], counts[k1]
        side[g] = 0 if c0 >= c1 else 1
        paid.add(k0 if c0 >= c1 else k1)
    return sides_cost(hg, placement, side, network), side


def copy_destinations(hg: Hypergraph, placement: np.ndarray, side: np.ndarray) -> dict[int, set[int]]:
    """Hyperedge -> QPUs that need a copy of its qubit, for the given serving sides."""
    out: dict[int, set[int]] = {}
    for g in np.nonzero(side >= 0)[0].tolist():
        s = int(side[g])
        out.setdefault(int(hg.edge[g, s]), set()).add(int(placement[hg.qubits[g, 1 - s]]))
    return out


def sides_cost(hg: Hypergraph, placement: np.ndarray, side: np.ndarray, network: Network) -> int:
    """Ebits spent when every remote gate g is served from ``side[g]`` (Steiner fan-out)."""
    total = 0
    for h, dests in copy_destinations(hg, placement, side).items():
        total += len(network.steiner(frozenset(dests | {int(placement[hg.edge_qubit[h]])})))
    return total


def link_usage(hg: Hypergraph, placement: np.ndarray, side: np.ndarray, network: Network) -> np.ndarray:
    """EPR pairs each link supplies for the given serving sides (one per Steiner-tree link)."""
    usage = np.zeros(len(network.links), dtype=np.int64)
    for h, dests in copy_destinations(hg, placement, side).items():
        for a, b in network.steiner(frozenset(dests | {int(placement[hg.edge_qubit[h]])})):
            usage[network.link_index(a, b)] += 1
    return usage

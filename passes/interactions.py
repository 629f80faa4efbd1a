"""InteractionAnalysis: the two-qubit gates of a logical circuit and the diagonal runs they sit in."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from qiskit.dagcircuit import DAGCircuit
from qiskit.transpiler.basepasses import AnalysisPass

from .gateinfo import diagonal_flags, keeps_copies, node_fact

__all__ = ["Interactions", "InteractionAnalysis", "analyse_interactions"]


@dataclass(frozen=True)
class Interactions:
    """Two-qubit gates in topological order, with the *segment* of each diagonal qubit.

    A qubit's segment number increases at every operation that is not diagonal on it (a
    one-qubit gate that is anti-diagonal does not end it: the copies are flipped with it); the
    gates of one (qubit, segment) can all be served by one cat-entangled copy of that qubit
    per remote QPU — a hyperedge of the interaction hypergraph.  ``seg[g, s] = -1`` when
    gate g is not diagonal on its side s (it cannot be served from that side).
    """

    num_qubits: int
    qubits: np.ndarray  # (G, 2) logical qubits of each 2q gate
    seg: np.ndarray  # (G, 2) segment of each side, -1 if the gate is not diagonal there
    node_ids: tuple[int, ...]  # DAG node id of each 2q gate (ties the analysis to the DAG)
    ops_1q: np.ndarray  # (n,) one-qubit operations per qubit
    ops_2q: np.ndarray  # (n,) two-qubit gates per qubit
    depth: int = 0  # operations on the busiest qubit (a cheap stand-in for the circuit depth)
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def num_gates(self) -> int:
        return len(self.node_ids)

    def gate_of(self) -> dict[int, int]:
        """DAG node id -> index of the two-qubit gate it is (built once; do not change it)."""
        return self.derived("gate_of", lambda: {nid: g for g, nid in enumerate(self.node_ids)})

    def derived(self, key: str, compute):
        """``compute()``, once per ``key``: what the passes derive from the analysed DAG and would
        otherwise derive again for every lowering (a placement is lowered up to three times)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


def analyse_interactions(dag: DAGCircuit) -> Interactions:
    """Scan a normalised logical DAG once, in topological order."""
    index = {q: i for i, q in enumerate(dag.qubits)}
    n = len(index)
    segment = [0] * n
    ops_1q, ops_2q = [0] * n, [0] * n  # lists: a numpy element update costs several list ones
    pairs, segs, ids = [], [], []
    for node in dag.topological_op_nodes():
        qargs = node.qargs
        if len(qargs) == 2:
            a, b = index[qargs[0]], index[qargs[1]]
            on_a, on_b = node_fact(diagonal_flags, node)
            pairs.append((a, b))
            segs.append((segment[a] if on_a else -1, segment[b] if on_b else -1))
            ids.append(node._node_id)
            ops_2q[a] += 1
            ops_2q[b] += 1
            if not on_a:
                segment[a] += 1
            if not on_b:
                segment[b] += 1
        elif qargs:
            keeps = node_fact(keeps_copies, node)
            for bit in qargs:
                q = index[bit]
                ops_1q[q] += 1
                if not keeps:
                    segment[q] += 1
    ops_1q, ops_2q = np.array(ops_1q, dtype=np.int64), np.array(ops_2q, dtype=np.int64)
    depth = int((ops_1q + ops_2q).max()) if n else 0
    return Interactions(n, np.array(pairs, dtype=np.int64).reshape(-1, 2),
                        np.array(segs, dtype=np.int64).reshape(-1, 2), tuple(ids), ops_1q, ops_2q, depth)


class InteractionAnalysis(AnalysisPass):
    """Record the circuit's interaction hypergraph.

    Property set fields read: none.
    Property set values written: ``qmosaic_interactions`` (:class:`Interactions`).
    """

    def run(self, dag: DAGCircuit) -> None:
        self.property_set["qmosaic_interactions"] = analyse_interactions(dag)

"""TeleportLowering: turn remote gates into cat-entanglement bursts over the network's links.

Output wires: the n logical qubits, then every communication qubit of the network (QPU
order), in a new DAG.  For each remote gate g served from side s (the partition's choice)
the qubit ``a`` on that side is *cat-entangled* to the partner's QPU k — once per
(hyperedge, QPU): every later gate of the same diagonal run reuses the copy:

    epr(c_j, c_k); cx(a, c_j); measure c_j -> m; if (m) x c_k; reset c_j     # copy on c_k

Copies fan out along a minimum Steiner tree: a new copy is made from the nearest holder
(the qubit itself or an earlier copy); stretches of the tree through QPUs that need no
copy use entanglement swapping (Bell measurement at the middle QPU, Pauli corrections at
the far end).  A burst ends at the hyperedge's last gate, at the next operation that is
not diagonal on ``a``, or when its communication qubit is needed (LRU eviction):

    h c_k; measure c_k -> m; if (m) z a; reset c_k                            # disentangle
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from qiskit.circuit import ClassicalRegister, Clbit, IfElseOp, QuantumCircuit, QuantumRegister, Qubit
from qiskit.circuit.library import CXGate, HGate, Measure, Reset, XGate, ZGate
from qiskit.dagcircuit import DAGCircuit
from qiskit.transpiler.basepasses import TransformationPass

from qmosaic.targets.errors import NetworkError, PassError
from qmosaic.targets.gates import EPRGate
from qmosaic.targets.models import Network

from .gateinfo import is_diagonal_1q
from .hypergraph import build_hypergraph, copy_destinations
from .interactions import analyse_interactions
from .placement import Partition

__all__ = ["TeleportLowering", "CommPlan", "lower"]

_EPR, _CX, _H, _MEASURE, _RESET = EPRGate(), CXGate(), HGate(), Measure(), Reset()


@dataclass
class CommPlan:
    """What the lowering spent: ebits per link, bursts, remote gates, the wire layout."""

    num_logical: int
    comm_wires: dict[int, int]  # virtual wire -> global physical qubit (communication qubits)
    ebits_per_link: list[int]
    telegate_bursts: int = 0
    remote_gates: int = 0
    swaps_entanglement: int = 0
    evictions: int = 0
    peak_comm_in_use: list[int] = field(default_factory=list)

    @property
    def ebits(self) -> int:
        return int(sum(self.ebits_per_link))


class _Lowerer:
    def __init__(self, dag: DAGCircuit, network: Network, partition: Partition, inter) -> None:
        self.net, self.part = network, partition
        self.placement = np.asarray(partition.placement, dtype=np.int64)
        self.side = np.asarray(partition.side, dtype=np.int64)
        self.hg = build_hypergraph(inter)
        self.gate_of = {nid: g for g, nid in enumerate(inter.node_ids)}
        self.dests = copy_destinations(self.hg, self.placement, self.side)
        self.last_use = self._last_uses()
        n = inter.num_qubits
        self.out = dag.copy_empty_like()
        self.logical = list(dag.qubits)
        self.comm_qubit: dict[int, Qubit] = {}  # global physical comm index -> wire
        self.comm_bit: dict[int, Clbit] = {}
        self.free: list[list[int]] = []
        for k, qpu in enumerate(network.qpus):
            idx = network.comm_indices(k)
            self.free.append(list(idx))
            if not idx:
                continue
            qreg, creg = QuantumRegister(len(idx), f"{qpu.name}_comm"), ClassicalRegister(len(idx), f"{qpu.name}_m")
            self.out.add_qreg(qreg)
            self.out.add_creg(creg)
            for i, g in enumerate(idx):
                self.comm_qubit[g], self.comm_bit[g] = qreg[i], creg[i]
        wires = {g: n + i for i, g in enumerate(sorted(self.comm_qubit))}
        self.plan = CommPlan(n, {w: g for g, w in wires.items()}, [0] * len(network.links),
                             peak_comm_in_use=[0] * len(network.qpus))
        self.holders: dict[int, dict[int, int | None]] = {}  # hyperedge -> QPU -> comm index (None: source)
        self.lru: list[OrderedDict] = [OrderedDict() for _ in network.qpus]  # QPU -> comm -> hyperedge
        self.open_edges: dict[int, set[int]] = {}  # logical qubit -> hyperedges with live copies

    def _last_uses(self) -> dict[int, int]:
        out = {}
        for g in np.nonzero(self.side >= 0)[0].tolist():
            out[int(self.hg.edge[g, self.side[g]])] = g
        return out

    # --- emission helpers -----------------------------------------------------------------
    def emit(self, op, qubits, clbits=()) -> None:
        self.out.apply_operation_back(op, tuple(qubits), tuple(clbits), check=False)

    def correct(self, gate, qubit: Qubit, bit: Clbit) -> None:
        body = QuantumCircuit([qubit], [bit])
        body.append(gate, [qubit])
        self.emit(IfElseOp((bit, 1), body), [qubit], [bit])

    def measure(self, comm: int) -> Clbit:
        bit = self.comm_bit[comm]
        self.emit(_MEASURE, [self.comm_qubit[comm]], [bit])
        return bit

    # --- communication qubits ----------------------------------------------------------------
    def alloc(self, k: int, protect: int | None) -> int:
        if not self.free[k]:
            victim = next((c for c, h in self.lru[k].items() if h != protect), None)
            if victim is None:
                q = self.net.qpus[k]
                raise NetworkError(
                    f"QPU {q.name!r} has {q.comm_qubits} communication qubit(s), too few to relay this "
                    "entanglement; give it at least 2 (comm_qubits)")
            self.plan.evictions += 1
            self.close_copy(self.lru[k][victim], k)
        comm = self.free[k].pop(0)
        used = self.net.qpus[k].comm_qubits - len(self.free[k])
        self.plan.peak_comm_in_use[k] = max(self.plan.peak_comm_in_use[k], used)
        return comm

    def release(self, k: int, comm: int) -> None:
        self.emit(_RESET, [self.comm_qubit[comm]])
        self.free[k].append(comm)
        self.free[k].sort()

    # --- entanglement ------------------------------------------------------------------------------
    def epr_pair(self, path: list[int], protect: int) -> tuple[int, int]:
        """An EPR pair between comm qubits at path[0] and path[-1], swapping at the middles."""
        start = self.alloc(path[0], protect)
        end = self.alloc(path[1], protect)
        self.emit(_EPR, [self.comm_qubit[start], self.comm_qubit[end]])
        self.plan.ebits_per_link[self.net.link_index(path[0], path[1])] += 1
        for mid, nxt in zip(path[1:], path[2:]):
            left, right = end, self.alloc(mid, protect)
            end = self.alloc(nxt, protect)
            self.emit(_EPR, [self.comm_qubit[right], self.comm_qubit[end]])
            self.plan.ebits_per_link[self.net.link_index(mid, nxt)] += 1
            self.emit(_CX, [self.comm_qubit[left], self.comm_qubit[right]])
            self.emit(_H, [self.comm_qubit[left]])
            m_z, m_x = self.measure(left), self.measure(right)
            self.correct(XGate(), self.comm_qubit[end], m_x)
            self.correct(ZGate(), self.comm_qubit[end], m_z)
            self.release(mid, left)
            self.release(mid, right)
            self.plan.swaps_entanglement += 1
        return start, end

    def wire(self, h: int, k: int) -> Qubit:
        comm = self.holders[h][k]
        return self.logical[int(self.hg.edge_qubit[h])] if comm is None else self.comm_qubit[comm]

    def ensure_copy(self, h: int, k: int) -> Qubit:
        holders = self.holders.setdefault(h, {int(self.placement[self.hg.edge_qubit[h]]): None})
        if k in holders:
            if holders[k] is not None:
                self.lru[k].move_to_end(holders[k])
            return self.wire(h, k)
        path = self._tree_path(h, k)
        for seg in self._segments(h, path):
            src_wire = self.wire(h, seg[0])
            a, b = self.epr_pair(seg, h)
            self.emit(_CX, [src_wire, self.comm_qubit[a]])
            self.correct(XGate(), self.comm_qubit[b], self.measure(a))
            self.release(seg[0], a)
            holders[seg[-1]] = b
            self.lru[seg[-1]][b] = h
        self.open_edges.setdefault(int(self.hg.edge_qubit[h]), set()).add(h)
        self.plan.telegate_bursts += 1
        return self.wire(h, k)

    def _tree_path(self, h: int, k: int) -> list[int]:
        """Path in h's Steiner tree from the nearest holder to k (falls back to the best route)."""
        src = int(self.placement[self.hg.edge_qubit[h]])
        tree = self.net.steiner(frozenset(self.dests.get(h, set()) | {src, k}))
        adj: dict[int, list[int]] = {}
        for a, b in tree:
            adj.setdefault(a, []).append(b)
            adj.setdefault(b, []).append(a)
        prev, order = {k: None}, [k]
        for node in order:
            if node in self.holders[h]:
                path = [node]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return path
            for nxt in sorted(adj.get(node, ())):
                if nxt not in prev:
                    prev[nxt] = node
                    order.append(nxt)
        return list(self.net.route(src, k))

    def _segments(self, h: int, path: list[int]) -> list[list[int]]:
        """Split a path at QPUs that need a copy themselves (they become holders on the way)."""
        wanted = self.dests.get(h, set())
        segs, cur = [], [path[0]]
        for node in path[1:]:
            cur.append(node)
            if node in wanted or node == path[-1]:
                segs.append(cur)
                cur = [node]
        return segs

    def close_copy(self, h: int, k: int) -> None:
        comm = self.holders[h].pop(k)
        del self.lru[k][comm]
        source = self.logical[int(self.hg.edge_qubit[h])]
        self.emit(_H, [self.comm_qubit[comm]])
        self.correct(ZGate(), source, self.measure(comm))
        self.release(k, comm)

    def close_edge(self, h: int) -> None:
        for k in [k for k, c in self.holders.get(h, {}).items() if c is not None]:
            self.close_copy(h, k)
        self.holders.pop(h, None)
        self.open_edges.get(int(self.hg.edge_qubit[h]), set()).discard(h)

    def close_qubit(self, q: int) -> None:
        for h in sorted(self.open_edges.get(q, ())):
            self.close_edge(h)

    # --- main loop -----------------------------------------------------------------------------------
    def run(self, dag: DAGCircuit) -> DAGCircuit:
        index = {b: i for i, b in enumerate(self.logical)}
        for node in dag.topological_op_nodes():
            qs = [index[q] for q in node.qargs]
            if len(qs) == 2:
                self.two_qubit(node, qs)
                continue
            if not is_diagonal_1q(node.op):
                self.close_qubit(qs[0])
            self.emit(node.op, node.qargs, node.cargs)
        for q in range(len(self.logical)):
            self.close_qubit(q)
        return self.out

    def two_qubit(self, node, qs: list[int]) -> None:
        g = self.gate_of[node._node_id]
        s = int(self.side[g])
        for side in (0, 1):
            if self.hg.edge[g, side] < 0:  # not diagonal on this qubit: its copies must go first
                self.close_qubit(qs[side])
        if s < 0:
            self.emit(node.op, node.qargs)
            return
        h, partner = int(self.hg.edge[g, s]), qs[1 - s]
        copy = self.ensure_copy(h, int(self.placement[partner]))
        qargs = [copy, node.qargs[1]] if s == 0 else [node.qargs[0], copy]
        self.emit(node.op, qargs)
        self.plan.remote_gates += 1
        if self.last_use.get(h) == g:
            self.close_edge(h)


def lower(dag: DAGCircuit, network: Network, partition: Partition, interactions=None) -> tuple[DAGCircuit, CommPlan]:
    """Lower the logical DAG; return the DAG over logical + communication wires and the plan."""
    inter = interactions if interactions is not None else analyse_interactions(dag)
    low = _Lowerer(dag, network, partition, inter)
    return low.run(dag), low.plan


class TeleportLowering(TransformationPass):
    """Replace remote two-qubit gates by cat-entanglement bursts (see module docstring).

    Property set fields read: ``qmosaic_partition``, ``qmosaic_interactions``.
    Property set values written: ``qmosaic_comm_plan`` (:class:`CommPlan`).
    """

    def __init__(self, network: Network):
        super().__init__()
        self.network = network

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        partition = self.property_set["qmosaic_partition"]
        if partition is None:
            raise PassError("TeleportLowering needs 'qmosaic_partition'; run ILPPlacement first")
        out, plan = lower(dag, self.network, partition, self.property_set["qmosaic_interactions"])
        self.property_set["qmosaic_comm_plan"] = plan
        return out

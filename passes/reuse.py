"""Qubit reuse: a qubit whose last act is a measurement frees its slot for a qubit that starts later.

A *donor* qubit ends with one-qubit gates and a measurement into a classical bit nothing
else touches, so that tail can run right after its last multi-qubit gate; a *receiver*
starts with one-qubit gates only, so its head can wait until just before its first one.
When a donor's last multi-qubit gate comes before a receiver's first (in one topological
order of the circuit), the receiver can live in the donor's slot: ``measure a; reset a``
(the reset labelled ``f"{REUSE_LABEL}:{receiver}"``), then the receiver's gates on that wire.  The
circuit is narrower and computes the same outcomes: a measured qubit that nothing touches
again is as good as discarded, and a reset slot is a fresh ``|0>``.

:func:`share_slots` chains qubits of one group (the QPU a placement gave them) greedily by
interval partitioning; :func:`reuse_qubits` rewrites the DAG.  The compiler tries it when a
placement spends ebits (:func:`qmosaic.api.compile`): two qubits sharing a slot
sit on one QPU, so the first placement stays valid and each shared slot is room for a
qubit that had to live away from its partners (``bv_n70`` on two 36-qubit QPUs: 1 → 0).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from qiskit.circuit import Qubit, Reset
from qiskit.dagcircuit import DAGCircuit, DAGOpNode

from .nodes import append_node, wire_nodes

__all__ = ["REUSE_LABEL", "Lifetimes", "Reuse", "lifetimes", "share_slots", "reuse_qubits"]

REUSE_LABEL = "qmosaic-reuse"


@dataclass(frozen=True)
class Lifetimes:
    """Per qubit: topological positions of its first and last multi-qubit operations (-1 for
    none), and whether it can give (``donor``) or take (``receiver``) a slot."""

    first: np.ndarray
    last: np.ndarray
    donor: np.ndarray
    receiver: np.ndarray


def _plain_1q(node: DAGOpNode) -> bool:
    return len(node.qargs) == 1 and not node.cargs and not node.is_control_flow()


def _exclusive_measure(node: DAGOpNode, wires: dict) -> bool:
    """A measurement into a classical bit no other operation writes or reads."""
    return node.name == "measure" and len(node.cargs) == 1 and len(wires[node.cargs[0]]) == 1


def lifetimes(dag: DAGCircuit, order: Sequence[DAGOpNode] | None = None) -> Lifetimes:
    """Lifetimes of ``dag``'s qubits in ``order`` (default: ``dag.topological_op_nodes()``)."""
    order = list(dag.topological_op_nodes()) if order is None else order
    index = {q: i for i, q in enumerate(dag.qubits)}
    n = len(index)
    first, last = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    for pos, node in enumerate(order):
        if len(node.qargs) >= 2:
            for q in node.qargs:
                i = index[q]
                last[i] = pos
                if first[i] < 0:
                    first[i] = pos
    donor, receiver = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    wires = wire_nodes(order)
    for q, i in index.items():
        if first[i] < 0:
            continue
        wire = wires[q]
        multi = [k for k, node in enumerate(wire) if len(node.qargs) >= 2]
        head, tail = wire[:multi[0]], wire[multi[-1] + 1:]
        receiver[i] = all(_plain_1q(node) for node in head)
        donor[i] = bool(tail) and _exclusive_measure(tail[-1], wires) and all(_plain_1q(node) for node in tail[:-1])
    return Lifetimes(first, last, donor, receiver)


def share_slots(life: Lifetimes, group: Sequence[int]) -> list[list[int]]:
    """Qubits per slot, in the order they live there: within each group, a receiver takes the
    slot its group freed earliest if that slot's donor ended before the receiver starts."""
    n = len(group)
    slots: list[list[int]] = []
    free: dict[int, list[tuple[int, int]]] = {}
    active = sorted((int(life.first[q]), q) for q in range(n) if life.first[q] >= 0)
    for start, q in active:
        heap = free.setdefault(int(group[q]), [])
        if life.receiver[q] and heap and heap[0][0] < start:
            slot = heapq.heappop(heap)[1]
            slots[slot].append(q)
        else:
            slot = len(slots)
            slots.append([q])
        if life.donor[q]:
            heapq.heappush(heap, (int(life.last[q]), slot))
    slots.extend([q] for q in range(n) if life.first[q] < 0)
    return sorted(slots)


@dataclass(frozen=True)
class Reuse:
    """The rewritten DAG; ``slots[w]`` = the input qubits wire w carries, in order."""

    dag: DAGCircuit
    slots: tuple[tuple[int, ...], ...]

    @property
    def shared(self) -> int:
        """Qubits that live in a slot another qubit left (= reuse resets in the circuit)."""
        return sum(len(s) - 1 for s in self.slots)

    def wire_of(self) -> list[int]:
        """Input qubit -> wire."""
        out = [0] * sum(len(s) for s in self.slots)
        for w, slot in enumerate(self.slots):
            for q in slot:
                out[q] = w
        return out


def _empty_like(dag: DAGCircuit, width: int) -> DAGCircuit:
    out = DAGCircuit()
    out.name, out.metadata, out.global_phase = dag.name, dag.metadata, dag.global_phase
    out.add_qubits([Qubit() for _ in range(width)])
    registered = set()
    for creg in dag.cregs.values():
        out.add_creg(creg)
        registered.update(creg)
    out.add_clbits([c for c in dag.clbits if c not in registered])
    return out


def reuse_qubits(dag: DAGCircuit, slots: Sequence[Sequence[int]], life: Lifetimes | None = None) -> Reuse:
    """``dag`` with the qubits of each slot on one wire (slots from :func:`share_slots`; ``life``
    is ``lifetimes(dag)`` if the caller has it)."""
    order = list(dag.topological_op_nodes())
    life = lifetimes(dag, order) if life is None else life
    index = {q: i for i, q in enumerate(dag.qubits)}
    out = _empty_like(dag, len(slots))
    on_wire = wire_nodes(order)
    wire = {}
    heads: dict[int, list[DAGOpNode]] = {}  # receivers: their head waits for their first gate
    tails: dict[int, list[DAGOpNode]] = {}  # donors: their tail runs right after their last gate
    for w, slot in enumerate(slots):
        for k, q in enumerate(slot):
            wire[q] = out.qubits[w]
            nodes = on_wire.get(dag.qubits[q], [])  # an idle qubit has no operations
            if k > 0:
                if not (life.receiver[q] and life.donor[slot[k - 1]] and life.last[slot[k - 1]] < life.first[q]):
                    raise ValueError(f"internal: qubit {q} cannot take the slot of qubit {slot[k - 1]}")
                heads[q] = nodes[:_head_length(nodes)]
            if k < len(slot) - 1:
                tails[q] = nodes[len(nodes) - _tail_length(nodes):]
    held = {node._node_id for nodes in (*heads.values(), *tails.values()) for node in nodes}

    def emit(node: DAGOpNode) -> None:
        append_node(out, node, tuple(wire[index[q]] for q in node.qargs))

    for pos, node in enumerate(order):
        if node._node_id in held:
            continue
        for q in node.qargs:
            i = index[q]
            if life.first[i] == pos and i in heads:
                out.apply_operation_back(Reset(label=f"{REUSE_LABEL}:{i}"), (wire[i],), (), check=False)
                for early in heads[i]:
                    emit(early)
        emit(node)
        for q in node.qargs:
            i = index[q]
            if life.last[i] == pos and i in tails:
                for late in tails[i]:
                    emit(late)
    return Reuse(out, tuple(tuple(s) for s in slots))


def _head_length(nodes: list[DAGOpNode]) -> int:
    return next(k for k, node in enumerate(nodes) if len(node.qargs) >= 2)


def _tail_length(nodes: list[DAGOpNode]) -> int:
    return next(k for k, node in enumerate(reversed(nodes)) if len(node.qargs) >= 2)

"""MergeDiagonalBlocks: ``cx(a, b) · (Z-diagonal gates) · cx(a, b)`` becomes one diagonal gate.

Decomposed circuits spell a controlled phase or a ZZ rotation as ``cx · rz/u1 · cx``
(QASMBench's QFT, ``rzz`` and ``ryy`` expansions).  Each ``cx`` on its own is diagonal on its
control only, so the target's run is cut twice; the block as a whole is diagonal on *both*
qubits — ``|a b> -> d_a(a) d_b(a xor b) |a b>`` — and runs as ``p``/``cp``/``cz`` gates that
either qubit's copy can serve.  The rewrite is exact, global phase included.
"""

from __future__ import annotations

import numpy as np
from qiskit.dagcircuit import DAGCircuit
from qiskit.transpiler.basepasses import TransformationPass

from .basis import emit_diagonal
from .gateinfo import gate_fact, is_diagonal_1q

__all__ = ["MergeDiagonalBlocks", "merge_diagonal_blocks"]


def _diag_of(op) -> tuple[complex, complex]:
    """The diagonal of a Z-diagonal one-qubit gate (once per gate)."""
    def compute(op) -> tuple[complex, complex]:
        m = np.asarray(op.to_matrix(), dtype=complex)
        return complex(m[0, 0]), complex(m[1, 1])

    return gate_fact("diagonal-1q", op, compute)


def _is_plain_cx(node) -> bool:
    return node.op.name == "cx" and not node.cargs and getattr(node.op, "ctrl_state", 1) == 1


def _blocks(dag: DAGCircuit) -> dict[int, tuple[list[int], np.ndarray]]:
    """Closing cx node id -> (node ids of the whole block, its diagonal in Qiskit bit order)."""
    order = list(dag.topological_op_nodes())
    wires: dict = {q: [] for q in dag.qubits}
    for node in order:
        for q in node.qargs:
            wires[q].append(node)
    pos = {(node._node_id, q): i for q, nodes in wires.items() for i, node in enumerate(nodes)}
    used: set[int] = set()
    out: dict[int, tuple[list[int], np.ndarray]] = {}
    for node in order:
        if node._node_id in used or not _is_plain_cx(node):
            continue
        a, b = node.qargs
        found = []
        for q in (a, b):
            run, nodes = [], wires[q]
            i = pos[(node._node_id, q)] + 1
            while i < len(nodes) and len(nodes[i].qargs) == 1 and not nodes[i].cargs and is_diagonal_1q(nodes[i].op) \
                    and nodes[i].op.name not in ("delay", "id"):
                run.append(nodes[i])
                i += 1
            found.append((run, nodes[i] if i < len(nodes) else None))
        (run_a, end_a), (run_b, end_b) = found
        if end_a is None or end_a is not end_b or not _is_plain_cx(end_a) or end_a.qargs != (a, b) \
                or end_a._node_id in used:
            continue
        da, db = np.ones(2, dtype=complex), np.ones(2, dtype=complex)
        for run, d in ((run_a, da), (run_b, db)):
            for one in run:
                d *= _diag_of(one.op)
        diag = np.array([da[x & 1] * db[(x & 1) ^ (x >> 1)] for x in range(4)])  # index = a + 2 b
        ids = [node._node_id, end_a._node_id] + [n._node_id for n in run_a + run_b]
        used.update(ids)
        out[end_a._node_id] = (ids, diag)
    return out


def merge_diagonal_blocks(dag: DAGCircuit) -> DAGCircuit:
    """Merge every ``cx · diagonal · cx`` block on the same ordered pair; returns ``dag`` if there is none."""
    blocks = _blocks(dag)
    if not blocks:
        return dag
    skip = {i for ids, _ in blocks.values() for i in ids}
    new = dag.copy_empty_like()
    for node in dag.topological_op_nodes():
        block = blocks.get(node._node_id)
        if block is not None:
            emit_diagonal(new, block[1], node.qargs)
        elif node._node_id not in skip:
            new.apply_operation_back(node.op, node.qargs, node.cargs, check=False)
    return new


class MergeDiagonalBlocks(TransformationPass):
    """Merge ``cx · (Z-diagonal 1q gates) · cx`` into ``p``/``cp``/``cz`` gates diagonal on both qubits.

    Property set fields read: none.  Property set values written: none.
    """

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        return merge_diagonal_blocks(dag)

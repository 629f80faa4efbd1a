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
from .gateinfo import cached, gate_fact, is_diagonal_1q, matrix, node_fact, node_key
from .nodes import append_node

__all__ = ["MergeDiagonalBlocks", "merge_diagonal_blocks"]


def _diag_of(op) -> tuple[complex, complex]:
    """The diagonal of a Z-diagonal one-qubit gate (once per gate)."""
    def compute(op) -> tuple[complex, complex]:
        m = matrix(op)
        return complex(m[0, 0]), complex(m[1, 1])

    return gate_fact("diagonal-1q", op, compute)


def _is_plain_cx(node) -> bool:
    """The standard library's ``cx`` (closed control) with no clbits: a user's gate that is only
    *named* ``cx`` may be anything (one defined as ``cz`` came out of a block as ``p, p, cp``)."""
    return node.name == "cx" and not node.cargs and node.is_standard_gate()


def _joins_run(node) -> bool:
    """A one-qubit Z-diagonal gate a block's run may hold."""
    return len(node.qargs) == 1 and not node.cargs and node_fact(is_diagonal_1q, node) \
        and node.name not in ("delay", "id")


def _blocks(order: list) -> dict[int, tuple[list[int], np.ndarray]]:
    """Closing cx node id -> (node ids of the whole block, its diagonal in Qiskit bit order), for the
    op nodes ``order`` of a DAG in topological order.

    One pass: a plain ``cx`` that closes no block opens one on both its wires; a one-qubit gate that
    may join a run joins the open run of its wire; any other gate on a wire ends the open block
    there, and closes it if it is a plain ``cx`` on the same ordered pair that both wires wait for.
    """
    pending: dict = {}  # qubit -> (the cx that opened a block on it, the run after it so far)
    out: dict[int, tuple[list[int], np.ndarray]] = {}
    for node in order:
        qargs = node.qargs
        if len(qargs) == 1:
            wait = pending.get(qargs[0])
            if wait is not None and _joins_run(node):
                wait[1].append(node)
                continue
        plain = _is_plain_cx(node)
        if plain:
            wait_a, wait_b = pending.get(qargs[0]), pending.get(qargs[1])
            if wait_a is not None and wait_b is not None and wait_a[0] is wait_b[0] and wait_a[0].qargs == qargs:
                out[node._node_id] = _block(wait_a[0], node, wait_a[1], wait_b[1])
                plain = False  # a cx that closes a block opens none
        for q in qargs:
            if plain:
                pending[q] = (node, [])
            else:
                pending.pop(q, None)
    return out


def _block(first, last, run_a: list, run_b: list) -> tuple[list[int], np.ndarray]:
    """(node ids, diagonal in Qiskit bit order) of ``first · (run_a on a, run_b on b) · last``."""
    ids = [first._node_id, last._node_id] + [n._node_id for n in run_a + run_b]

    def diagonal() -> np.ndarray:
        da, db = np.ones(2, dtype=complex), np.ones(2, dtype=complex)
        for run, d in ((run_a, da), (run_b, db)):
            for one in run:
                d *= node_fact(_diag_of, one)
        return np.array([da[x & 1] * db[(x & 1) ^ (x >> 1)] for x in range(4)])  # index = a + 2 b

    return ids, cached(("cx-block", tuple(map(node_key, run_a)), tuple(map(node_key, run_b))), diagonal)


def merge_diagonal_blocks(dag: DAGCircuit, order: list | None = None) -> DAGCircuit:
    """Merge every ``cx · diagonal · cx`` block on the same ordered pair; returns ``dag`` if there is none.
    ``order``: the op nodes of ``dag`` in topological order, if the caller has them (saves a walk)."""
    if order is None:
        order = list(dag.topological_op_nodes())
    blocks = _blocks(order)
    if not blocks:
        return dag
    skip = {i for ids, _ in blocks.values() for i in ids}
    new = dag.copy_empty_like()
    for node in order:
        block = blocks.get(node._node_id)
        if block is not None:
            emit_diagonal(new, block[1], node.qargs)
        elif node._node_id not in skip:
            append_node(new, node)  # the node's instruction as it is, without building its op
    return new


class MergeDiagonalBlocks(TransformationPass):
    """Merge ``cx · (Z-diagonal 1q gates) · cx`` into ``p``/``cp``/``cz`` gates diagonal on both qubits.

    Property set fields read: none.  Property set values written: none.
    """

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        return merge_diagonal_blocks(dag)

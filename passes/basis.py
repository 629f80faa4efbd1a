"""HadamardBasisRuns: turn runs of X-diagonal gates on a qubit into Z-diagonal runs.

A cat-entangled copy of a qubit serves gates *diagonal* on it.  Gates that commute with X
on a qubit — the targets of ``cx`` gates that share a target (Bernstein-Vazirani's oracle,
the counterfeit-coin circuit), ``rx`` and ``x`` between them — are diagonal in the X basis,
so ``H · (run) · H`` is a Z-diagonal run that one EPR pair per remote QPU can serve, where
each ``cx`` on its own would have cut the qubit's run.  ``cx(c, t) = H_t cz(c, t) H_t``.

The rewrite is exact (global phase included) and never splits a run that was whole: the
two Hadamards stand where the first and last X-diagonal gate already cut the Z run.
Adjacent Hadamards that this creates are cancelled.
"""

from __future__ import annotations

import cmath
import math

import numpy as np
from qiskit.circuit import CircuitInstruction, Instruction
from qiskit.circuit.library import CPhaseGate, CZGate, HGate, PhaseGate
from qiskit.dagcircuit import DAGCircuit, DAGOpNode
from qiskit.transpiler.basepasses import TransformationPass
from qiskit.transpiler.passes import InverseCancellation

from .gateinfo import (DIAGONAL_BOTH, cached, close, decided_by_name, diagonal_flags, gate_fact, is_diagonal_1q,
                       matrix, node_fact)
from .nodes import append_node

__all__ = ["HadamardBasisRuns", "rotate_x_runs"]

_H = np.array([[1, 1], [1, -1]], dtype=complex) / math.sqrt(2)
_I = np.eye(2, dtype=complex)
_X = np.array([[0, 1], [1, 0]], dtype=complex)
_X2 = (np.kron(_I, _X), np.kron(_X, _I))  # X on qubit 0, on qubit 1 (qubit 0 is the least significant bit)
_ATOL = 1e-10
# rotate a run only if it holds this many two-qubit gates: a single cx gains a choice of side
# but no shared copy, and every such choice makes the placer's search harder (measured: adder_n64
# over 2-4 modules 2/4/8 -> 6/12/11 ebits at 15 s when single-gate runs were rotated too)
MIN_RUN_GATES = 2
_NO_MATRIX = frozenset({"measure", "reset", "barrier", "delay", "if_else"})
_P, _CP, _CZ = PhaseGate._standard_gate, CPhaseGate._standard_gate, CZGate._standard_gate  # StandardGate values


def _sides(op: Instruction) -> tuple[str, ...]:
    """Per qarg: ``"x"`` (X-diagonal, may join an X run), ``"z"`` (Z-diagonal), ``"b"`` (both), ``"n"``."""
    if op.name in _NO_MATRIX or op.num_qubits > 2:
        return ("n",) * op.num_qubits
    return gate_fact("x-z-sides", op, _compute_sides)


decided_by_name(_sides, DIAGONAL_BOTH)  # "z" on both at every angle (see _compute_sides)


def _compute_sides(op: Instruction) -> tuple[str, ...]:
    n = op.num_qubits
    zf = diagonal_flags(op) if n == 2 else None
    if zf == (True, True):
        return ("z", "z")
    try:
        m = matrix(op)
    except Exception:  # noqa: BLE001 - no matrix: the op cuts every run
        return ("n",) * n
    if n == 1:
        z = is_diagonal_1q(op)
        # m X = X m: m00 = m11 and m01 = m10 (by element: 20x cheaper than forming both products)
        x = abs(m[0, 0] - m[1, 1]) <= _ATOL and abs(m[0, 1] - m[1, 0]) <= _ATOL
        return ("b" if z and x else "z" if z else "x" if x else "n",)
    # a two-qubit gate joins q's X run only if it is diagonal on its other qubit, so that
    # H_q G H_q is diagonal on both and runs as a cp/cz
    return tuple("z" if zf[s] else "x" if zf[1 - s] and close(m @ _X2[s], _X2[s] @ m, _ATOL) else "n"
                 for s in range(2))


def _runs(order: list, index: dict) -> dict[int, set[int]]:
    """Node id -> qubits (indices) on which the node sits inside an X run worth rotating, for the op
    nodes ``order`` of a DAG in topological order."""
    open_run: dict[int, list[int]] = {}
    has_2q: dict[int, int] = {}
    chosen: dict[int, set[int]] = {}

    def close(q: int) -> None:
        run = open_run.pop(q, None)
        if run and has_2q.pop(q, 0) >= MIN_RUN_GATES:
            for nid in run:
                chosen.setdefault(nid, set()).add(q)

    for node in order:
        qs = [index[q] for q in node.qargs]
        for q, side in zip(qs, node_fact(_sides, node)):
            if side == "x" or (side == "b" and q in open_run):
                open_run.setdefault(q, []).append(node._node_id)
                has_2q[q] = has_2q.get(q, 0) + (side == "x" and len(qs) == 2)
            elif side != "b":
                close(q)
    for q in list(open_run):
        close(q)
    return chosen


def _conjugated(op: Instruction, positions: tuple[int, ...]) -> np.ndarray:
    """``H_P op H_P`` for the qargs ``positions`` P."""
    m = matrix(op)
    if op.num_qubits == 1:
        return _H @ m @ _H
    h0 = np.kron(_I, _H) if 0 in positions else np.eye(4)
    h1 = np.kron(_H, _I) if 1 in positions else np.eye(4)
    h = h1 @ h0
    return h @ m @ h


def _diagonal(op: Instruction, positions: tuple[int, ...]) -> np.ndarray:
    """The diagonal of ``H_P op H_P`` (once per gate); it must be diagonal."""
    def compute(op: Instruction) -> np.ndarray:
        m = _conjugated(op, positions)
        d = np.diag(m)
        if not close(m, np.diag(d), _ATOL):
            raise RuntimeError(f"internal: {op.name} on qargs {positions} is not X-diagonal there")
        return d

    return gate_fact(f"h-conjugated-diagonal{positions}", op, compute)


def _phase(angle: float) -> float:
    return math.remainder(angle, 2 * math.pi)


def emit_diagonal(new: DAGCircuit, d: np.ndarray, qargs: tuple) -> None:
    """Append diag(d) on ``qargs`` (Qiskit bit order) as p / cz / cp gates plus global phase."""
    phase, gates = _diagonal_gates(np.asarray(d, dtype=complex))
    new.global_phase += phase
    for gate, positions, params in gates:
        _append_standard(new, gate, tuple(qargs[i] for i in positions), params)


def _append_standard(new: DAGCircuit, gate, qargs: tuple, params: tuple = ()) -> None:
    """Append a standard-library gate given as its ``StandardGate`` (a ``PhaseGate(...)`` object would
    cost more to build than the append itself; a ``CPhaseGate`` ten times more)."""
    new._apply_op_node_back(DAGOpNode.from_instruction(CircuitInstruction.from_standard(gate, qargs, params)))


def _diagonal_gates(d: np.ndarray) -> tuple[float, tuple]:
    """The global phase and the gates ``(StandardGate, qarg positions, parameters)`` of diag(d),
    once per diagonal (by its bytes: exact)."""
    def compute() -> tuple[float, tuple]:
        phases = [_phase(cmath.phase(d[k] / d[0])) for k in range(1, len(d))]
        if len(d) == 2:
            return cmath.phase(d[0]), (((_P, (0,), (phases[0],)),) if abs(phases[0]) > _ATOL else ())
        p0, p1, p01 = phases
        gates = [(_P, (i,), (angle,)) for i, angle in enumerate((p0, p1)) if abs(angle) > _ATOL]
        gamma = _phase(p01 - p0 - p1)
        if abs(abs(gamma) - math.pi) < _ATOL:
            gates.append((_CZ, (0, 1), ()))
        elif abs(gamma) > _ATOL:
            gates.append((_CP, (0, 1), (gamma,)))
        return cmath.phase(d[0]), tuple(gates)

    return cached(("diagonal-gates", d.tobytes()), compute)


def rotate_x_runs(dag: DAGCircuit) -> DAGCircuit:
    """Rotate every X run holding ``MIN_RUN_GATES`` two-qubit gates into the Z basis; returns ``dag``
    if there is none."""
    index = {q: i for i, q in enumerate(dag.qubits)}
    order = list(dag.topological_op_nodes())
    chosen = _runs(order, index)
    if not chosen:
        return dag
    new = dag.copy_empty_like()
    inside = [False] * len(index)
    h = HGate()
    for node in order:
        qs = [index[q] for q in node.qargs]
        mine = chosen.get(node._node_id, set())
        for q in qs:
            if q in mine and not inside[q]:
                new.apply_operation_back(h, (dag.qubits[q],), (), check=False)
                inside[q] = True
            elif q not in mine and inside[q]:
                new.apply_operation_back(h, (dag.qubits[q],), (), check=False)
                inside[q] = False
        if mine:
            positions = tuple(i for i, q in enumerate(qs) if q in mine)
            emit_diagonal(new, _diagonal(node.op, positions), node.qargs)
        else:
            append_node(new, node)  # the node's instruction as it is, without building its op
    for q, flag in enumerate(inside):
        if flag:
            new.apply_operation_back(h, (dag.qubits[q],), (), check=False)
    return InverseCancellation([h]).run(new)


class HadamardBasisRuns(TransformationPass):
    """Serve runs of gates that commute with X on a qubit through one copy, by H conjugation.

    Property set fields read: none.  Property set values written: none.
    """

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        return rotate_x_runs(dag)

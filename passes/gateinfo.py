"""Which qubits a gate is diagonal on (Z basis) — the fact teleportation lowering rests on.

A two-qubit gate that is diagonal on qubit q has the form |0><0|_q (x) U0 + |1><1|_q (x) U1,
so it can act through a cat-entangled copy of q on another QPU; a run of such gates on q
is served by one EPR pair.  Results are cached per (name, parameters).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from qiskit.circuit import Instruction, ParameterExpression

from qmosaic.targets.errors import UnsupportedOperationError

__all__ = ["diagonal_flags", "is_diagonal_1q", "DIAGONAL_1Q"]

DIAGONAL_1Q = frozenset({"rz", "p", "u1", "z", "s", "sdg", "t", "tdg", "id", "delay"})
_BOTH = frozenset({"cz", "cp", "cu1", "crz", "rzz", "cs", "csdg", "ccz"})
_FIRST = frozenset({"cx", "cy", "ch", "crx", "cry", "cu", "cu3", "csx", "cnot"})
_Z0 = np.diag([1, -1, 1, -1])  # Qiskit order: qubit 0 is the least significant bit
_Z1 = np.diag([1, 1, -1, -1])


def _key(op: Instruction) -> tuple:
    params = []
    for p in op.params:
        if isinstance(p, ParameterExpression) and p.parameters:
            raise UnsupportedOperationError(
                f"gate {op.name} has unbound parameters {sorted(str(x) for x in p.parameters)}; "
                "bind them (circuit.assign_parameters) before compiling")
        params.append(float(p) if isinstance(p, (int, float, ParameterExpression)) else repr(p))
    return (op.name, tuple(params))


@lru_cache(maxsize=4096)
def _flags_by_matrix(key: tuple, matrix_bytes: bytes) -> tuple[bool, bool]:
    m = np.frombuffer(matrix_bytes, dtype=complex).reshape(4, 4)
    return (bool(np.allclose(m @ _Z0, _Z0 @ m, rtol=0, atol=1e-10)),
            bool(np.allclose(m @ _Z1, _Z1 @ m, rtol=0, atol=1e-10)))


def conditioned_gate(op: Instruction):
    """``(gate, qubit order)`` if ``op`` is ``if (c) gate a, b;`` with one gate and no else, else None."""
    if op.name != "if_else" or len(op.blocks) != 1 or len(op.blocks[0].data) != 1:
        return None
    body = op.blocks[0]
    inst = body.data[0]
    return inst.operation, tuple(body.find_bit(q).index for q in inst.qubits)


def diagonal_flags(op: Instruction) -> tuple[bool, bool]:
    """``(diag_on_qarg0, diag_on_qarg1)`` for a two-qubit gate (or a conditioned one)."""
    inner = conditioned_gate(op) if op.name == "if_else" else None
    if inner is not None and len(inner[1]) == 2:
        flags = diagonal_flags(inner[0])
        return (flags[inner[1].index(0)], flags[inner[1].index(1)])
    if op.name == "if_else":
        return (False, False)
    if op.name in _BOTH and not getattr(op, "ctrl_state", 1) == 0:
        return (True, True)
    if op.name in _FIRST:
        return (True, False)
    key = _key(op)
    try:
        matrix = np.asarray(op.to_matrix(), dtype=complex)
    except Exception:  # no matrix: treat as non-diagonal; normalisation decomposes it
        return (False, False)
    return _flags_by_matrix(key, matrix.tobytes())


def is_diagonal_1q(op: Instruction) -> bool:
    """True if a one-qubit operation is diagonal in the Z basis (keeps a cat copy valid)."""
    if op.name in DIAGONAL_1Q:
        return True
    if op.name in ("measure", "reset", "barrier"):
        return False
    try:
        m = np.asarray(op.to_matrix(), dtype=complex)
    except Exception:
        return False
    return bool(abs(m[0, 1]) < 1e-12 and abs(m[1, 0]) < 1e-12)

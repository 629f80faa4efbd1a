"""Which qubits a gate is diagonal on (Z basis) — the fact teleportation lowering rests on.

A two-qubit gate that is diagonal on qubit q has the form |0><0|_q (x) U0 + |1><1|_q (x) U1,
so it can act through a cat-entangled copy of q on another QPU; a run of such gates on q
is served by one EPR pair.  A one-qubit gate that is diagonal keeps the copies valid; one
that is anti-diagonal (``x``, ``y``, ``u(pi, a, b)``: a bit flip times phases) keeps them
valid too if every copy is flipped with it.  Results are cached per gate (:func:`gate_fact`), and
for the standard gates of a DAG per name and parameters (:func:`node_fact`).
"""

from __future__ import annotations

import functools

import numpy as np
from qiskit.circuit import (Barrier, ControlFlowOp, Delay, Gate, IfElseOp, Instruction, Measure, ParameterExpression,
                            QuantumCircuit, Reset)
from qiskit.circuit.library import UnitaryGate, get_standard_gate_name_mapping

from qmosaic.targets.errors import UnsupportedOperationError

__all__ = ["diagonal_flags", "is_diagonal_1q", "is_antidiagonal_1q", "keeps_copies", "gate_fact", "node_fact",
           "node_key", "cached", "matrix", "close", "by_definition", "user_definition", "decided_by_name", "DIAGONAL_1Q",
           "DIAGONAL_BOTH"]

DIAGONAL_1Q = frozenset({"rz", "p", "u1", "z", "s", "sdg", "t", "tdg", "id", "delay"})
DIAGONAL_BOTH = frozenset({"cz", "cp", "cu1", "crz", "rzz", "cs", "csdg", "ccz"})  # standard, closed control
_FIRST = frozenset({"cx", "cy", "ch", "crx", "cry", "cu", "cu3", "csx", "cnot"})
# operations their parameters define, by type: a user's gate may be called "unitary" (Qiskit writes
# every UnitaryGate into OpenQASM as one) and is then defined by its body
_DEFINED_BY_PARAMS = (UnitaryGate, Measure, Reset, Barrier, Delay, IfElseOp)
_Z0 = np.diag([1, -1, 1, -1])  # Qiskit order: qubit 0 is the least significant bit
_Z1 = np.diag([1, 1, -1, -1])
_I2 = np.eye(2, dtype=complex)
_SWAP = np.eye(4, dtype=complex)[[0, 2, 1, 3]]


def _key(op: Instruction) -> tuple:
    """What identifies ``op``'s action, for the caches keyed on it: name and parameters, and for a
    gate outside Qiskit's standard library also its width and definition (two custom gates may share
    a name and parameters yet differ, within one circuit or across circuits compiled in one process;
    a body that leaves a qubit idle reads the same on two and three qubits); its last item is then
    None if it has no definition."""
    params = []
    for p in op.params:
        if isinstance(p, ParameterExpression) and p.parameters:
            raise UnsupportedOperationError(
                f"gate {op.name} has unbound parameters {sorted(str(x) for x in p.parameters)}; "
                "bind them (circuit.assign_parameters) before compiling")
        if isinstance(p, np.ndarray):
            params.append((p.shape, p.tobytes()))
        else:
            params.append(float(p) if isinstance(p, (int, float, ParameterExpression)) else repr(p))
    if _is_standard(op) or isinstance(op, _DEFINED_BY_PARAMS):
        return (op.name, tuple(params))
    return (op.name, tuple(params), op.num_qubits, op.num_clbits, _definition_key(op))


def _definition_key(op: Instruction) -> tuple | None:
    try:
        body = op.definition
    except Exception:  # noqa: BLE001 - no definition: the name and parameters are all there is
        return None
    if body is None:
        return None
    index = {q: i for i, q in enumerate(body.qubits)}
    phase = body.global_phase
    return (repr(phase) if isinstance(phase, ParameterExpression) and phase.parameters else float(phase),) + tuple(
        (_key(inst.operation), tuple(index[q] for q in inst.qubits)) for inst in body.data)


_FACTS: dict[tuple, object] = {}
_MAX_FACTS = 1 << 16  # distinct rotation angles are distinct keys: bound the cache of a long-lived process


def cached(key: tuple, compute):
    """``compute()``, once per ``key``, in the bounded cache the passes' per-gate facts share."""
    try:
        return _FACTS[key]
    except KeyError:
        if len(_FACTS) >= _MAX_FACTS:
            _FACTS.clear()
        value = _FACTS[key] = compute()
        return value


def gate_fact(kind: str, op: Instruction, compute):
    """``compute(op)``, once per ``kind`` and gate (:func:`_key`): the caches of the passes that
    ask the same question of every node of a large circuit."""
    return cached((kind, _key(op)), lambda: compute(op))


def node_key(node) -> tuple:
    """:func:`_key` of a DAG node's op; for a standard gate with bound parameters read off the node
    without building the op (in Qiskit 2 every ``node.op`` builds a new Python gate)."""
    key = _standard_key(node)
    return key if key is not None else _key(node.op)


def _standard_key(node) -> tuple | None:
    """:func:`_key` of a standard gate with bound parameters, read off its DAG node; None for any other."""
    if node.is_standard_gate() and not node.is_parameterized():
        return (node.name, tuple(node.params))
    return None


def node_fact(fact, node):
    """``fact(node.op)`` for a DAG node.  For a standard gate with bound parameters (the bulk of a large
    circuit; its name and parameters say all the facts depend on) the answer is cached per ``fact``
    and :func:`node_key`, and the op is built only on a miss; any other node is asked through its op.
    Where the name alone decides the fact (:func:`_decided_by_name`), the answer is cached per name
    too and read without the parameters (a third of the cost of a lookup by parameters)."""
    if not node.is_standard_gate():
        return fact(node.op)
    name = node.name
    try:  # the hit, inline: no key to build (several lookups per gate of every circuit)
        return _NAMED[fact, name]
    except KeyError:
        pass
    if node.is_parameterized():
        return fact(node.op)
    key = (name, tuple(node.params))
    try:
        return _FACTS[fact, key]
    except KeyError:
        value = cached((fact, key), lambda: fact(node.op))
        if _decided_by_name(fact, name):
            _NAMED[fact, name] = value
        return value


_NAMED: dict[tuple, object] = {}  # (fact, standard gate name) -> the fact, for names that decide it
_ANY_ANGLE: dict = {}  # fact -> standard gate names whose fact is the same at every angle (decided_by_name)


def _decided_by_name(fact, name: str) -> bool:
    """True if ``fact`` of a standard gate depends on its name only: a gate without parameters, or
    one of the families declared for ``fact`` (``rz``, ``cp``, ``cx``, ...: :func:`decided_by_name`)."""
    return name in _ANY_ANGLE.get(fact, ()) or name in _parameterless()


@functools.cache
def _parameterless() -> frozenset[str]:
    """Names of the standard gates that take no parameters."""
    return frozenset(name for name, gate in get_standard_gate_name_mapping().items() if not gate.params)


def _is_standard(op: Instruction) -> bool:
    """A gate of Qiskit's standard library (a user's gate may reuse a standard name)."""
    return getattr(op, "_standard_gate", None) is not None


def matrix(op: Instruction) -> np.ndarray:
    """``op.to_matrix()``, raising where it does.  A user's gate on one or two qubits is multiplied
    out from its definition: ``to_matrix`` goes through ``Operator``, 1 ms for a five-gate body
    against 0.05 ms here (``qugan_n71`` asks for 70), and a gate made by ``QuantumCircuit.to_gate``
    has no ``to_matrix`` at all (its diagonal facts were unknown)."""
    body = user_definition(op) if op.num_qubits <= 2 else None
    return np.asarray(op.to_matrix(), dtype=complex) if body is None else _multiplied(op.num_qubits, body)


def user_definition(op: Instruction) -> QuantumCircuit | None:
    """The definition of a user's gate: a gate outside Qiskit's standard library, not a matrix
    given by its parameters (a unitary); None for any other operation, or if it has none (or
    one that cannot be built)."""
    if not isinstance(op, Gate) or _is_standard(op) or isinstance(op, _DEFINED_BY_PARAMS):
        return None
    try:
        return op.definition
    except Exception:  # noqa: BLE001 - a definition that cannot be built: the caller's fallback says why
        return None


def _multiplied(n: int, body: QuantumCircuit) -> np.ndarray:
    """The unitary of the n-qubit (n <= 2) ``body``, its user gates multiplied out in turn."""
    index = {q: i for i, q in enumerate(body.qubits)}
    out = np.eye(2 ** n, dtype=complex)
    for inst in body.data:
        if inst.operation.name in ("barrier", "delay"):
            continue
        inner, qs = inst.operation, [index[q] for q in inst.qubits]
        nested = user_definition(inner)
        g = _multiplied(len(qs), nested) if nested is not None else np.asarray(inner.to_matrix(), dtype=complex)
        if not qs:  # a global phase gate
            g = g[0, 0] * np.eye(len(out), dtype=complex)
        elif n == 2 and len(qs) == 1:
            g = _on_qubit(g, qs[0])
        elif qs == [1, 0]:
            g = _SWAP @ g @ _SWAP
        out = g @ out
    return out * np.exp(1j * float(body.global_phase))


def by_definition(circuit: QuantumCircuit) -> QuantumCircuit:
    """``circuit`` with every gate outside Qiskit's standard library replaced by its definition,
    at every depth and inside control-flow blocks.  Such a gate does what its definition says,
    whatever its name: a ``Gate("x")`` defined as ``h``, even nested in another user gate, is an
    h, where Qiskit's translator and Aer go by the name."""
    out = circuit.copy_empty_like()
    for inst in circuit.data:
        op = inst.operation
        if isinstance(op, ControlFlowOp):
            out.append(op.replace_blocks([by_definition(block) for block in op.blocks]), inst.qubits, inst.clbits)
        elif (body := user_definition(op)) is not None:
            out.compose(by_definition(body), inst.qubits, inplace=True)
        else:
            out.append(op, inst.qubits, inst.clbits, copy=False)
    return out


def _on_qubit(g: np.ndarray, q: int) -> np.ndarray:
    """A one-qubit matrix on qubit q of two (``np.kron(I, g)`` or ``np.kron(g, I)``, 10x cheaper);
    qubit 0 is the least significant bit."""
    out = np.zeros((4, 4), dtype=complex)
    if q == 0:
        out[:2, :2] = out[2:, 2:] = g
    else:
        out[0::2, 0::2] = out[1::2, 1::2] = g
    return out


def close(a: np.ndarray, b: np.ndarray, atol: float = 1e-10) -> bool:
    """``np.allclose(a, b, rtol=0, atol=atol)`` for small matrices, 8x cheaper."""
    return bool(np.abs(a - b).max() <= atol)


def _flags_by_matrix(op: Instruction) -> tuple[bool, bool]:
    try:
        m = matrix(op)
    except Exception:  # no matrix: treat as non-diagonal; normalisation decomposes it
        return (False, False)
    return (close(m @ _Z0, _Z0 @ m), close(m @ _Z1, _Z1 @ m))


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
    if _is_standard(op) and op.name in DIAGONAL_BOTH and not getattr(op, "ctrl_state", 1) == 0:
        return (True, True)
    if _is_standard(op) and op.name in _FIRST:
        return (True, False)
    return gate_fact("z-diagonal", op, _flags_by_matrix)


def is_diagonal_1q(op: Instruction) -> bool:
    """True if a one-qubit operation is diagonal in the Z basis (keeps a cat copy valid)."""
    if op.name == "delay" or (op.name in DIAGONAL_1Q and _is_standard(op)):
        return True
    if op.name in ("measure", "reset", "barrier", "if_else"):
        return False
    return gate_fact("z-diagonal-1q", op, _diagonal_by_matrix)


def is_antidiagonal_1q(op: Instruction) -> bool:
    """True if a one-qubit gate flips the Z basis (``x``, ``y``, ``u(pi, a, b)``): its copies flip with it."""
    if op.name in ("x", "y") and _is_standard(op):
        return True
    if op.name in ("measure", "reset", "barrier", "if_else") or op.name in DIAGONAL_1Q:
        return False
    return gate_fact("z-antidiagonal-1q", op, _antidiagonal_by_matrix)


def keeps_copies(op: Instruction) -> bool:
    """A one-qubit operation cat-entangled copies of its qubit survive (diagonal or anti-diagonal)."""
    return is_diagonal_1q(op) or is_antidiagonal_1q(op)


def _antidiagonal_by_matrix(op: Instruction) -> bool:
    try:
        m = matrix(op)
    except Exception:  # noqa: BLE001 - no matrix: not known to be anti-diagonal
        return False
    return m.shape == (2, 2) and bool(abs(m[0, 0]) < 1e-12 and abs(m[1, 1]) < 1e-12)


def _diagonal_by_matrix(op: Instruction) -> bool:
    try:
        m = matrix(op)
    except Exception:  # noqa: BLE001 - no matrix: not known to be diagonal
        return False
    return bool(abs(m[0, 1]) < 1e-12 and abs(m[1, 0]) < 1e-12)


def decided_by_name(fact, names) -> None:
    """Declare that ``fact`` of a standard gate named in ``names`` is the same at every angle, so
    :func:`node_fact` may answer it by name (``tests/test_gateinfo.py`` checks each declaration)."""
    _ANY_ANGLE[fact] = _ANY_ANGLE.get(fact, frozenset()) | frozenset(names)


# the families each fact answers by name, whatever the angles (see the functions above); any other
# parameterised gate is looked up by its parameters
decided_by_name(diagonal_flags, DIAGONAL_BOTH | _FIRST)
decided_by_name(is_diagonal_1q, DIAGONAL_1Q)
decided_by_name(is_antidiagonal_1q, DIAGONAL_1Q)
decided_by_name(keeps_copies, DIAGONAL_1Q)

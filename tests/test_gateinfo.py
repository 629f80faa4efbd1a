"""Which qubits a two-qubit gate is diagonal on: the fact teleportation lowering rests on.

Checked against the definition (the gate commutes with Z on that qubit) for every standard gate.
"""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.circuit import Gate
from qiskit.circuit.library import (
    CHGate, CPhaseGate, CRXGate, CRYGate, CRZGate, CSdgGate, CSGate, CSXGate, CUGate, CXGate, CYGate, CZGate,
    DCXGate, ECRGate, HGate, iSwapGate, PhaseGate, RGate, RXGate, RXXGate, RYGate, RYYGate, RZGate, RZXGate,
    RZZGate, SdgGate, SGate, SwapGate, SXGate, TdgGate, TGate, UGate, XGate, XXMinusYYGate, XXPlusYYGate, YGate,
    ZGate,
)

from qmosaic.passes.gateinfo import diagonal_flags, is_diagonal_1q

Z0 = np.diag([1, -1, 1, -1])  # Qiskit's little-endian order: qubit 0 is the low bit
Z1 = np.diag([1, 1, -1, -1])

TWO_QUBIT = [
    CXGate(), CYGate(), CZGate(), CHGate(), CSXGate(), CSGate(), CSdgGate(), CPhaseGate(0.3), CRXGate(0.4),
    CRYGate(0.5), CRZGate(0.6), CUGate(0.1, 0.2, 0.3, 0.4), RZZGate(0.7), RXXGate(0.2), RYYGate(0.3), RZXGate(0.4),
    SwapGate(), iSwapGate(), DCXGate(), ECRGate(), XXPlusYYGate(0.3, 0.1), XXMinusYYGate(0.3, 0.1),
    CXGate(ctrl_state=0), CZGate(ctrl_state=0), CPhaseGate(0.3, ctrl_state=0), CRXGate(0.4, ctrl_state=0),
    RZZGate(np.pi), CPhaseGate(0.0),
]


def _expected(gate: Gate) -> tuple[bool, bool]:
    m = np.asarray(gate.to_matrix(), dtype=complex)
    return bool(np.allclose(m @ Z0, Z0 @ m, atol=1e-10)), bool(np.allclose(m @ Z1, Z1 @ m, atol=1e-10))


@pytest.mark.parametrize("gate", TWO_QUBIT, ids=lambda g: f"{g.name}{[round(float(p), 2) for p in g.params]}")
def test_diagonal_flags_match_the_definition(gate):
    expected = _expected(gate)
    got = diagonal_flags(gate)
    # claiming a diagonal side that is not diagonal is a correctness bug; missing one only costs ebits
    assert not (got[0] and not expected[0]) and not (got[1] and not expected[1]), (got, expected)
    assert got == expected, f"{gate.name}: flags {got}, definition says {expected}"


@pytest.mark.parametrize("gate", [ZGate(), SGate(), SdgGate(), TGate(), TdgGate(), RZGate(0.3), PhaseGate(0.2),
                                  UGate(0, 0.3, 0.2)], ids=lambda g: g.name)
def test_diagonal_one_qubit_gates(gate):
    assert is_diagonal_1q(gate)


@pytest.mark.parametrize("gate", [HGate(), XGate(), YGate(), SXGate(), RXGate(0.1), RYGate(0.2),
                                  RGate(0.3, 0.1), UGate(0.2, 0.1, 0.3)], ids=lambda g: g.name)
def test_non_diagonal_one_qubit_gates(gate):
    assert not is_diagonal_1q(gate)


def test_a_unitary_gate_is_judged_by_its_matrix():
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import UnitaryGate
    from qiskit.quantum_info import Operator

    body = QuantumCircuit(2)
    body.cx(1, 0)  # control on qubit 1: diagonal on qubit 1 only
    body.rz(0.3, 1)
    gate = UnitaryGate(Operator(body))
    assert diagonal_flags(gate) == _expected(gate) == (False, True)


def test_a_gate_without_a_matrix_is_treated_as_non_diagonal():
    from qiskit import QuantumCircuit

    assert diagonal_flags(Gate("opaque_cz", 2, [])) == (False, False)  # safe: the normaliser refuses it
    measured = QuantumCircuit(2)
    measured.cz(0, 1)
    measured.reset(0)
    assert diagonal_flags(measured.to_instruction()) == (False, False)
    body = QuantumCircuit(2)
    body.cz(0, 1)
    made = body.to_gate()  # no to_matrix: priced by its definition, multiplied out
    made.name = "made_cz"
    assert diagonal_flags(made) == (True, True)


# --- user-defined gates: a name says nothing --------------------------------------------------------------
def _custom(name: str, build) -> Gate:
    from qiskit import QuantumCircuit

    body = QuantumCircuit(2)
    build(body)
    gate = body.to_gate()
    gate.name = name
    return gate


def test_two_user_gates_with_one_name_are_compiled_each_as_itself():
    """The per-gate caches (decompositions, diagonality) live for the process: two circuits that each
    define their own ``foo`` must not share one answer (this compiled the second one wrongly)."""
    from qiskit import QuantumCircuit

    import qmosaic
    from conftest import FAST, check_compiled

    for build in (lambda c: (c.h(0), c.swap(0, 1)), lambda c: (c.ry(0.4, 1), c.iswap(0, 1))):
        qc = QuantumCircuit(4)
        qc.h(range(4))
        foo = _custom("foo", build)
        qc.append(foo, [0, 3])
        qc.append(foo, [1, 2])
        check_compiled(qmosaic.compile(qc, "pair-2x4", options=FAST))


def test_a_user_gate_named_like_a_diagonal_one_is_not_taken_for_it():
    """A user's ``cz`` that is really a cx is diagonal on its control only (priced by its
    definition, not its name; normalisation then expands it, as it does any gate so named)."""
    assert diagonal_flags(_custom("cz", lambda c: c.cx(0, 1))) == (True, False)
    assert diagonal_flags(_custom("cz", lambda c: c.cz(0, 1))) == (True, True)


class _WithMatrix(Gate):
    """A user gate with a matrix, as OpenQASM 2's parser makes them."""

    def __array__(self, dtype=None, copy=None):
        from qiskit.quantum_info import Operator

        return Operator(self.definition).data


@pytest.mark.parametrize("seed", range(40))
def test_a_user_gates_matrix_is_multiplied_out_as_operator_does(seed):
    """``matrix`` multiplies a user gate's definition out itself (Operator is 20x slower): qubit
    order, one-qubit gates on either qubit, reversed two-qubit gates, nesting and global phase."""
    from qiskit import QuantumCircuit
    from qiskit.circuit.random import random_circuit
    from qiskit.quantum_info import Operator

    from qmosaic.passes.gateinfo import matrix

    n = 1 + seed % 2
    body = random_circuit(n, 4, max_operands=n, seed=seed)
    body.global_phase = 0.3 * seed
    if seed % 5 == 0:
        from qiskit.circuit.library import GlobalPhaseGate

        body.append(GlobalPhaseGate(0.1 * seed), [])
    gate = _WithMatrix("user", n, []) if seed % 3 else Gate("user", n, [])
    gate.definition = body
    if seed % 3 == 0:  # a gate without a matrix of its own, nested in one that has one
        outer = QuantumCircuit(2, global_phase=-0.2)
        outer.append(gate, [1, 0][:n])
        outer.cx(0, 1)
        gate = _WithMatrix("nested", 2, [])
        gate.definition = outer
    assert np.allclose(matrix(gate), Operator(gate).data, rtol=0, atol=1e-12)


def test_a_user_gate_without_a_matrix_of_its_own_is_multiplied_out():
    """``QuantumCircuit.to_gate`` gives no ``to_matrix``; its definition gives the matrix, and one
    that measures or resets gives none (the caller treats the gate as non-diagonal)."""
    from qiskit import QuantumCircuit
    from qiskit.quantum_info import Operator

    from qmosaic.passes.gateinfo import matrix

    body = QuantumCircuit(2)
    body.cz(0, 1)
    body.h(1)
    assert np.allclose(matrix(body.to_gate()), Operator(body).data, rtol=0, atol=1e-12)
    body.reset(0)
    with pytest.raises(Exception):
        matrix(body.to_instruction())


def test_facts_read_by_name_are_the_facts_of_every_angle():
    """``node_fact`` answers some families by name alone (cp, rz, cx...; gates without parameters):
    at any angle, each such answer must be the one the fact gives the gate itself."""
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import get_standard_gate_name_mapping
    from qiskit.converters import circuit_to_dag

    from qmosaic.passes import gateinfo
    from qmosaic.passes.basis import _sides
    from qmosaic.passes.gateinfo import is_antidiagonal_1q, keeps_copies, node_fact

    rng = np.random.default_rng(7)
    facts = {1: (is_diagonal_1q, is_antidiagonal_1q, keeps_copies, _sides), 2: (diagonal_flags, _sides)}
    checked = 0
    for name, gate in sorted(get_standard_gate_name_mapping().items()):
        if gate.num_qubits not in facts or gate.num_clbits or name in ("measure", "reset", "delay"):
            continue
        for angle in (0.0, np.pi, *rng.uniform(-7, 7, 3)):
            op = type(gate)(*[angle] * len(gate.params))
            qc = QuantumCircuit(gate.num_qubits)
            qc.append(op, range(gate.num_qubits))
            node = next(circuit_to_dag(qc).topological_op_nodes())
            for fact in facts[gate.num_qubits]:
                gateinfo._FACTS.clear()  # the answer by parameters must not hide a wrong one by name
                assert node_fact(fact, node) == fact(op), (name, angle, fact.__name__)
                checked += 1
    assert gateinfo._NAMED and checked > 100

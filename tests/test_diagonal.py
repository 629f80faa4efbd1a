"""cx · diagonal · cx blocks merged into gates diagonal on both qubits: exact, and the model sees it."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit.random import random_circuit
from qiskit.converters import circuit_to_dag, dag_to_circuit
from qiskit.quantum_info import Operator

from qmosaic.passes import diagonal
from qmosaic.passes.diagonal import merge_diagonal_blocks
from qmosaic.passes.interactions import analyse_interactions
from qmosaic.passes.normalize import NormalizeForDistribution


def _decomposed_cp_ladder() -> QuantumCircuit:
    """QASMBench's spelling of controlled phases: u1 on the control, cx, u1 on the target, cx."""
    qc = QuantumCircuit(3)
    qc.h(0)
    for c, angle in ((1, np.pi / 4), (2, np.pi / 8)):
        qc.p(angle, c)
        qc.cx(c, 0)
        qc.p(-angle, 0)
        qc.t(c)
        qc.cx(c, 0)
        qc.p(angle, 0)
    qc.cx(1, 2)
    qc.cx(1, 2)  # cancels: an identity block emits nothing
    qc.h(1)
    return qc


def _merged(qc: QuantumCircuit) -> QuantumCircuit:
    return dag_to_circuit(merge_diagonal_blocks(circuit_to_dag(qc)))


def test_merge_is_exact_and_leaves_no_cx():
    qc = _decomposed_cp_ladder()
    out = _merged(qc)
    assert np.allclose(Operator(out).data, Operator(qc).data, atol=1e-9)
    assert "cx" not in out.count_ops() and out.count_ops()["cp"] == 2


def test_merge_on_random_circuits_is_exact():
    for seed in range(6):
        qc = random_circuit(4, 10, max_operands=2, seed=seed)
        out = dag_to_circuit(NormalizeForDistribution().run(circuit_to_dag(qc)))
        assert np.allclose(Operator(out).data, Operator(qc).data, atol=1e-9)


def test_a_user_gate_named_cx_is_not_merged_as_one():
    """A gate that is only named ``cx`` (here a cz) opens no block: the output stays exact."""
    fake = QuantumCircuit(2, name="cx")
    fake.cz(0, 1)
    qc = QuantumCircuit(2)
    qc.h(1)
    qc.append(fake.to_gate(), [0, 1])
    qc.rz(0.3, 1)
    qc.append(fake.to_gate(), [0, 1])
    out = dag_to_circuit(NormalizeForDistribution().run(circuit_to_dag(qc)))
    assert np.allclose(Operator(out).data, Operator(qc).data, atol=1e-9)


def test_merged_gates_are_diagonal_on_both_sides():
    dag = NormalizeForDistribution().run(circuit_to_dag(_decomposed_cp_ladder()))
    inter = analyse_interactions(dag)
    assert inter.num_gates == 2 and (inter.seg >= 0).all()
    assert inter.seg[0, 0] == inter.seg[1, 0]  # qubit 0's two phases share one run


def test_merge_checker_catches_a_wrong_block_formula(monkeypatch):
    """Mutation check: read the target's phase at b instead of a xor b, and equivalence fails."""
    real = diagonal._blocks

    def broken(dag):
        out = real(dag)
        return {k: (ids, d[[0, 1, 3, 2]]) for k, (ids, d) in out.items()}

    monkeypatch.setattr(diagonal, "_blocks", broken)
    qc = _decomposed_cp_ladder()
    assert not Operator(_merged(qc)).equiv(Operator(qc))

"""X-diagonal runs rotated into the Z basis: exact, and one copy serves cx gates sharing a target."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.converters import circuit_to_dag, dag_to_circuit
from qiskit.quantum_info import Operator

import qmosaic
from conftest import FAST, check_compiled
from qmosaic.passes import basis
from qmosaic.passes.basis import rotate_x_runs


def _mixed_x_runs() -> QuantumCircuit:
    qc = QuantumCircuit(5)
    qc.h(range(5))
    qc.x(4)
    qc.h(4)
    for c in range(4):
        qc.cx(c, 4)
    qc.rx(0.3, 4)
    qc.cx(0, 4)
    qc.sx(3)
    qc.cx(2, 3)
    qc.crx(0.7, 1, 3)
    qc.sxdg(3)
    qc.cz(3, 4)
    qc.ry(0.2, 3)
    qc.cx(1, 3)
    qc.h(range(5))
    return qc


def _bernstein_vazirani(n: int, secret: int) -> QuantumCircuit:
    qc = QuantumCircuit(n + 1)
    qc.x(n)
    qc.h(range(n + 1))
    for i in range(n):
        if secret >> i & 1:
            qc.cx(i, n)
    qc.h(range(n))
    return qc


def test_rotation_is_exact_including_global_phase():
    qc = _mixed_x_runs()
    out = dag_to_circuit(rotate_x_runs(circuit_to_dag(qc)))
    assert np.allclose(Operator(out).data, Operator(qc).data, atol=1e-9)
    names = out.count_ops()
    assert "cx" not in names or names["cx"] < qc.count_ops()["cx"]  # the cx targets became cz/cp
    assert names.get("cz", 0) >= 5


def test_circuit_without_x_runs_is_untouched():
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cz(0, 1)
    qc.cp(0.4, 1, 2)
    dag = circuit_to_dag(qc)
    assert rotate_x_runs(dag) is dag


def test_rotation_checker_catches_a_wrong_rewrite(monkeypatch):
    """Mutation check: a rewrite that forgets the phase part of each gate is caught."""
    real = basis.emit_diagonal
    monkeypatch.setattr(basis, "emit_diagonal", lambda new, d, qargs: real(new, d[:2] if len(d) == 4 else d,
                                                                          qargs[:1]))
    qc = _mixed_x_runs()
    out = dag_to_circuit(rotate_x_runs(circuit_to_dag(qc)))
    assert not Operator(out).equiv(Operator(qc))


def test_a_gate_that_is_not_x_diagonal_is_refused():
    qc = QuantumCircuit(2)
    qc.cy(0, 1)
    with pytest.raises(RuntimeError, match="not X-diagonal"):
        basis._diagonal(qc.data[0].operation, (1,))


@pytest.mark.parametrize("secret", [0b111111, 0b101101])
def test_common_target_cx_served_by_one_copy(secret):
    """BV over two QPUs: the oracle's cx gates share the ancilla, so one EPR pair serves them all."""
    qc = _bernstein_vazirani(6, secret)
    result = qmosaic.compile(qc, "pair-2x4", options=FAST)
    assert result.report["ebits"]["total"] == 1
    check_compiled(result)

"""Anti-diagonal one-qubit gates (x, y, u(pi, a, b)) keep a qubit's cat-entangled copies alive."""

import math

import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.library import HGate, RXGate, SXGate, UGate, XGate, YGate, ZGate

import qmosaic
from qmosaic.passes.gateinfo import is_antidiagonal_1q, keeps_copies

from conftest import check_compiled


@pytest.mark.parametrize("gate, flips", [(XGate(), True), (YGate(), True), (UGate(math.pi, 0.2, 0.1), True),
                                         (ZGate(), False), (HGate(), False), (SXGate(), False),
                                         (RXGate(math.pi), True), (UGate(math.pi / 2, 0, 0), False)])
def test_antidiagonal_gates(gate, flips):
    assert is_antidiagonal_1q(gate) is flips
    assert keeps_copies(gate) is (flips or gate.name == "z")


def flipped_fan_out() -> QuantumCircuit:
    """q0 meets q4..q7 (other QPU) in controlled phases with x / u(pi, .) between them."""
    qc = QuantumCircuit(8)
    qc.h(range(8))
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.cx(2, 3)
    for j in range(4, 8):
        qc.cp(0.3 * j, 0, j)
        if j % 2:
            qc.x(0)
        else:
            qc.u(math.pi, 0.2, 0.1, 0)
    for a, b in [(4, 5), (5, 6), (6, 7), (1, 2), (2, 3)]:
        qc.cx(a, b)
    return qc


def test_one_copy_survives_bit_flips():
    """One EPR pair serves all four controlled phases: the copy is flipped with q0 each time."""
    result = qmosaic.compile(flipped_fan_out(), "pair-2x4", options=qmosaic.CompileOptions(time_limit=5))
    assert result.report["ebits"]["total"] == 1
    assert result.report["teledata_moves"] == 0
    check_compiled(result)

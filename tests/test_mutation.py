"""Mutation checks: the simulation checker must FAIL when the compiler is broken.

Each test breaks one piece of the teleportation lowering (or the reported layout) with
``monkeypatch`` and asserts that ``result.verify()`` drops well below 1.  If one of these
tests passes verification, the checker cannot be trusted to catch real bugs.
"""

from __future__ import annotations

import math

import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.library import XGate, ZGate

import qmosaic
from conftest import FAST, assert_verified
from qmosaic.passes import lowering
from qmosaic.verify import process_fidelity

BROKEN = 0.99


def remote_circuit() -> QuantumCircuit:
    """QFT-6 plus a CNOT fan-out: many remote gates on pair-2x4, in bursts and with non-diagonal ends."""
    qc = QuantumCircuit(6, name="remote")
    qc.h(range(6))
    for i in range(6):
        for j in range(i + 1, 6):
            qc.cp(math.pi / 2 ** (j - i), j, i)
        qc.h(i)
    for i in range(1, 6):
        qc.cx(0, i)
    qc.ry(0.4, range(6))
    return qc


def _compile(net: str = "pair-2x4"):
    result = qmosaic.compile(remote_circuit(), net, options=FAST)
    assert result.report["ebits"]["total"] > 0, "the mutation needs remote gates to bite"
    return result


def test_unbroken_compiler_passes():
    assert_verified(_compile())
    assert_verified(_compile("line-3x3"))


def test_checker_fails_without_any_correction(monkeypatch):
    monkeypatch.setattr(lowering._Lowerer, "correct", lambda self, gate, qubit, bit: None)
    assert _compile().verify() < BROKEN


@pytest.mark.parametrize("dropped", [XGate, ZGate], ids=["no-X", "no-Z"])
def test_checker_fails_without_one_kind_of_correction(monkeypatch, dropped):
    original = lowering._Lowerer.correct

    def correct(self, gate, qubit, bit):
        if not isinstance(gate, dropped):
            original(self, gate, qubit, bit)

    monkeypatch.setattr(lowering._Lowerer, "correct", correct)
    assert _compile().verify() < BROKEN


def test_checker_fails_when_disentangling_skips_the_z_correction(monkeypatch):
    """close_copy: H, measure, reset — but forget the conditional Z on the source qubit."""

    def close_copy(self, h, k):
        comm = self.holders[h].pop(k)
        del self.lru[k][comm]
        self.emit(lowering._H, [self.comm_qubit[comm]])
        self.measure(comm)
        self.release(k, comm)

    monkeypatch.setattr(lowering._Lowerer, "close_copy", close_copy)
    assert _compile().verify() < BROKEN


def test_checker_fails_without_swap_corrections(monkeypatch):
    """Entanglement swapping on the line: corrections at the far end only while swapping are dropped."""
    original_epr_pair = lowering._Lowerer.epr_pair

    def epr_pair(self, path, protect):
        if len(path) <= 2:
            return original_epr_pair(self, path, protect)
        saved = self.correct
        self.correct = lambda gate, qubit, bit: None
        try:
            return original_epr_pair(self, path, protect)
        finally:
            self.correct = saved

    monkeypatch.setattr(lowering._Lowerer, "epr_pair", epr_pair)
    from test_correctness import qft_cp, relay_line

    result = qmosaic.compile(qft_cp(6), relay_line(), options=FAST)
    assert result.report["entanglement_swaps"] > 0
    assert result.verify() < BROKEN


def test_checker_fails_on_a_wrong_layout():
    result = _compile()
    initial, final = list(result.report["layout"]["initial"]), list(result.report["layout"]["final"])
    final[0], final[1] = final[1], final[0]
    assert process_fidelity(result.logical, result.circuit, initial, final) < BROKEN


def test_checker_fails_on_a_dropped_gate():
    result = _compile()
    out = result.circuit.copy_empty_like()
    dropped = False
    for inst in result.circuit.data:
        if not dropped and inst.operation.name not in ("epr", "measure", "reset", "if_else", "barrier") \
                and len(inst.qubits) == 2:
            dropped = True
            continue
        out.append(inst)
    assert dropped
    layout = result.report["layout"]
    assert process_fidelity(result.logical, out, layout["initial"], layout["final"]) < BROKEN

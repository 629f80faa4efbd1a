"""Schedule figures checked by hand on a two-QPU example, and link physics."""

import math

import pytest
from qiskit import QuantumCircuit

import qmosaic
from qmosaic.targets import QPU, Link, Network

T1Q, T2Q, TM = 1e-6, 1e-5, 1e-4  # seconds
RATE, DIST = 1000.0, 2000.0  # EPR pairs / s, metres -> 1e-5 s classical latency


def _qpu(name: str) -> QPU:
    return QPU(name=name, modality="trapped-ion", qubits=1, comm_qubits=1, coupling="all-to-all",
               gates_1q=("rz", "u"), gate_2q="cx", time_1q=T1Q, time_2q=T2Q, time_measure=TM,
               error_1q=1e-4, error_2q=1e-3, error_measure=1e-3, t1=10.0, t2=1.0)


def _network() -> Network:
    link = Link(between=("a", "b"), epr_rate_hz=RATE, epr_fidelity=0.95, distance_m=DIST)
    return Network("hand", (_qpu("a"), _qpu("b")), (link,))


def test_two_qpu_schedule_by_hand():
    qc = QuantumCircuit(2)
    qc.cz(0, 1)  # one qubit per QPU: one remote gate, one EPR pair
    result = qmosaic.compile(qc, _network(), options=qmosaic.CompileOptions(translate=False, time_limit=2))
    sched = result.report["schedule"]
    latency = DIST / 2.0e8
    # epr | cx(q, c_a) | measure c_a | latency, if x c_b | cz(c_b, partner) | h c_b | measure c_b | reset c_b
    epr_end = 1.0 / RATE
    measured = epr_end + T2Q + TM
    corrected = measured + latency + T1Q
    gate_end = corrected + T2Q
    closed = gate_end + T1Q + TM
    makespan = closed + TM  # the final reset of the communication qubit
    assert sched["makespan_s"] == pytest.approx(makespan, rel=1e-5)
    assert sched["links"]["a-b"] == {"ebits": 1, "busy_s": pytest.approx(1.0 / RATE, rel=1e-5)}
    assert 0 < sched["success_probability"] < 0.95  # at most the EPR fidelity
    assert result.verify() == pytest.approx(1.0, abs=1e-6)


def test_rate_from_distance_and_conversion():
    near = Link(between=("a", "b"), epr_rate_hz=None, epr_fidelity=0.9, distance_m=2.0)
    far = Link(between=("a", "b"), epr_rate_hz=None, epr_fidelity=0.9, distance_m=10_000.0,
               conversion_efficiency=0.4)
    # two-photon heralding: rate = attempts * (photon * conversion * fibre)^2 / 2
    assert near.rate_hz == pytest.approx(1e6 * (0.02 * 10 ** (-0.2 * 0.001 / 10)) ** 2 / 2, rel=1e-9)
    eta = 0.02 * 0.4 * 10 ** (-0.2 * 5 / 10)
    assert far.rate_hz == pytest.approx(min(1e6, 2e8 / 10_000) * eta * eta / 2, rel=1e-9)
    assert far.classical_latency_s == pytest.approx(5e-5)
    assert Link(between=("a", "b"), epr_rate_hz=123.0, epr_fidelity=0.9).rate_hz == 123.0
    assert math.isclose(Link(between=("a", "b"), epr_rate_hz=None, epr_fidelity=0.9).rate_hz, 199.98, rel_tol=1e-3)

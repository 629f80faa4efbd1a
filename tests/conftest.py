"""Shared fixtures and helpers for the qmosaic test suite.

``pytest --update-golden`` rewrites the golden files in ``tests/golden/`` instead of
comparing against them (see ``test_golden.py``).
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import ControlFlowOp

import qmosaic
from qmosaic.targets import Network

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
EXAMPLES = ROOT / "examples"
GOLDEN = TESTS / "golden"
# The CI clone has the shared project folder beside the repository (../shared).
SHARED = TESTS.parents[1] / "shared"

FAST = qmosaic.CompileOptions(time_limit=2, seed=0)
TOLERANCE = 1e-6


def qft_cp(n: int, *, swaps: bool = False) -> QuantumCircuit:
    """Textbook QFT with controlled phases (named ``qft{n}``); ``swaps`` adds the final bit reversal."""
    qc = QuantumCircuit(n, name=f"qft{n}")
    for i in range(n):
        qc.h(i)
        for j in range(i + 1, n):
            qc.cp(math.pi / 2 ** (j - i), j, i)
    if swaps:
        for i in range(n // 2):
            qc.swap(i, n - 1 - i)
    return qc


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/* from the current compiler output instead of comparing")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was started with ``--update-golden``."""
    return bool(request.config.getoption("--update-golden"))


# --- helpers (plain functions: import them with ``from conftest import ...``) ------------------------
def assert_verified(result, *, shots: int = 16) -> float:
    """Simulate ``result`` against its input; the process fidelity must be 1 within TOLERANCE."""
    fidelity = result.verify(shots=shots)
    assert fidelity > 1 - TOLERANCE, (f"process fidelity {fidelity!r} on {result.report['network']} "
                                      f"(placement {result.report['placement']})")
    return fidelity


def assert_lowered_verified(logical: QuantumCircuit, lowered, plan) -> float:
    """Simulate a lowered DAG (logical wires first, then communication wires) against its input,
    the qubits starting / ending where the plan's TeleData moves put them."""
    from qiskit.converters import dag_to_circuit

    from qmosaic.verify import process_fidelity

    n = logical.num_qubits
    initial = [plan.initial_wires.get(q, q) for q in range(n)]
    final = [plan.final_wires.get(q, q) for q in range(n)]
    fidelity = process_fidelity(logical, dag_to_circuit(lowered), initial, final)
    assert fidelity > 1 - TOLERANCE, f"process fidelity {fidelity!r} of the lowered circuit"
    return fidelity


def greedy_servers_only(monkeypatch) -> None:
    """The placer without its servers' linear program (``placement._polished`` a no-op)."""
    from qmosaic.passes import placement

    monkeypatch.setattr(placement, "_polished", lambda hg, best, **kwargs: best)


def owner_of(network: Network, index: int) -> int:
    """QPU index owning global physical qubit ``index``."""
    return next(k for k in range(len(network.qpus)) if index < network.offsets[k + 1])


def epr_per_link(result) -> Counter:
    """``epr`` instructions in the output circuit per link name, counted independently of the report."""
    net, circuit = result.network, result.circuit
    counts: Counter = Counter()
    for inst in circuit.data:
        if inst.operation.name == "epr":
            a, b = (owner_of(net, circuit.find_bit(q).index) for q in inst.qubits)
            index = net.link_index(a, b)
            assert index is not None, f"epr between unlinked QPUs {net.qpus[a].name} and {net.qpus[b].name}"
            counts[net.links[index].name] += 1
    return counts


def assert_report_consistent(result) -> None:
    """The report's counts equal what the output circuit contains, and limits hold."""
    report, net, circuit = result.report, result.network, result.circuit
    eprs = sum(1 for inst in circuit.data if inst.operation.name == "epr")
    assert report["ebits"]["total"] == eprs
    assert sum(report["ebits"]["per_link"].values()) == report["ebits"]["total"]
    assert set(report["ebits"]["per_link"]) == {link.name for link in net.links}
    counted = epr_per_link(result)
    for link in net.links:
        assert report["ebits"]["per_link"][link.name] == counted.get(link.name, 0), link.name
        if link.max_ebits is not None:
            assert counted.get(link.name, 0) <= link.max_ebits, link.name
    for qpu in net.qpus:
        assert 0 <= report["comm_qubits_peak"][qpu.name] <= qpu.comm_qubits, qpu.name
    assert report["feed_forward"] == sum(1 for inst in circuit.data if isinstance(inst.operation, ControlFlowOp))
    assert report["circuit"]["qubits"] == result.logical.num_qubits
    assert report["circuit"]["output_qubits"] == circuit.num_qubits == net.num_qubits
    assert len(report["placement"]) == result.logical.num_qubits
    layout = report["layout"]
    reuse = layout.get("reuse")  # qubits sharing a slot: (qubit, segment) is unique, QPUs hold more
    if reuse is None:
        for name in set(report["placement"]):
            assert report["placement"].count(name) <= net.qpu(name).qubits, f"QPU {name} over capacity"
    assert len(layout["initial"]) == len(layout["final"]) == result.logical.num_qubits
    starts = list(zip(layout["initial"], reuse["initial_segment"])) if reuse else layout["initial"]
    ends = list(zip(layout["final"], reuse["final_segment"])) if reuse else layout["final"]
    assert len(set(starts)) == len(starts)
    assert len(set(ends)) == len(ends)
    for q, (qpu_name, start) in enumerate(zip(report["placement"], layout["initial"])):
        k = net.index[qpu_name]
        away = owner_of(net, start) != k and start in net.comm_indices(owner_of(net, start))  # TeleData from the start
        assert start in net.data_indices(k) or away, f"logical qubit {q} starts outside its QPU's data qubits"
    assert [reg.name for reg in circuit.qregs] == [q.name for q in net.qpus]


def assert_local(result) -> None:
    """Every multi-qubit operation except ``epr`` stays inside one QPU; ``epr`` only joins linked comm qubits."""
    net, circuit = result.network, result.circuit
    comm = {c for k in range(len(net.qpus)) for c in net.comm_indices(k)}

    def walk(block: QuantumCircuit, where: list[int]) -> None:
        for inst in block.data:
            qs = [where[block.find_bit(q).index] for q in inst.qubits]
            if isinstance(inst.operation, ControlFlowOp):
                for body in inst.operation.blocks:
                    walk(body, qs)
                continue
            if inst.operation.name == "barrier" or len(qs) < 2:
                continue
            qpus = {owner_of(net, p) for p in qs}
            if inst.operation.name == "epr":
                assert len(qpus) == 2 and set(qs) <= comm, f"epr on {qs}"
            else:
                assert len(qpus) == 1, f"{inst.operation.name} on {qs} spans QPUs {sorted(qpus)}"

    walk(circuit, list(range(circuit.num_qubits)))


def check_compiled(result, *, shots: int = 16) -> float:
    """All structural checks plus simulation."""
    assert_report_consistent(result)
    assert_local(result)
    return assert_verified(result, shots=shots)


def report_without_timing(report: dict) -> dict:
    """The report minus the fields that differ run to run (wall-clock seconds)."""
    out = {key: value for key, value in report.items() if key != "seconds"}
    if isinstance(out.get("solver"), dict):
        out["solver"] = {key: value for key, value in out["solver"].items() if key != "seconds"}
    return out

"""Qubit reuse: a qubit measured for the last time frees its slot for one that starts later."""

import json

import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.converters import circuit_to_dag, dag_to_circuit

import qmosaic
from conftest import check_compiled
from qmosaic.errors import VerificationError
from qmosaic.passes.reuse import REUSE_LABEL, lifetimes, reuse_qubits, share_slots
from qmosaic.verify import split_reuse

OPTS = qmosaic.CompileOptions(time_limit=3)
SECRET = "1101011"  # 5 ones: with the ancilla, 6 interacting qubits for QPUs of 4


def bernstein_vazirani(secret: str = SECRET, *, barriers: bool = True) -> QuantumCircuit:
    """As QASMBench writes it: barriers (the compiler drops them) keep every qubit alive throughout."""
    n = len(secret)
    qc = QuantumCircuit(n + 1, n)
    qc.x(n)
    qc.h(range(n + 1))
    if barriers:
        qc.barrier()
    for i, bit in enumerate(secret):
        if bit == "1":
            qc.cx(i, n)
    if barriers:
        qc.barrier()
    qc.h(range(n))
    qc.measure(range(n), range(n))
    return qc


def _outcomes(result, shots: int = 64) -> dict[str, int]:
    from qiskit_aer import AerSimulator

    sim = AerSimulator(seed_simulator=7)
    counts = sim.run(transpile(result.circuit, sim, optimization_level=0), shots=shots).result().get_counts()
    merged: dict[str, int] = {}
    for key, value in counts.items():
        main = key.split()[-1]  # the input's register is the first one added, printed last
        merged[main] = merged.get(main, 0) + value
    return merged


def test_bv_reuses_slots_to_spend_no_ebit():
    qc = bernstein_vazirani()
    without = qmosaic.compile(qc, "pair-2x4", options=qmosaic.CompileOptions(time_limit=3, reuse=False))
    with_reuse = qmosaic.compile(qc, "pair-2x4", options=OPTS)
    assert without.report["ebits"]["total"] == 1
    assert with_reuse.report["ebits"]["total"] == 0
    reuse = with_reuse.report["layout"]["reuse"]
    assert len(reuse["resets"]) >= 1
    assert sum(inst.operation.name == "reset" for inst in with_reuse.circuit.data) >= len(reuse["resets"])
    check_compiled(without)
    check_compiled(with_reuse)


def test_bv_outcome_is_the_secret():
    result = qmosaic.compile(bernstein_vazirani(), "pair-2x4", options=OPTS)
    assert "reuse" in result.report["layout"]
    assert _outcomes(result) == {SECRET[::-1]: 64}  # clbit i is the secret's bit i


def test_reuse_not_tried_when_nothing_is_cut():
    qc = bernstein_vazirani("1100000")
    result = qmosaic.compile(qc, "pair-2x4", options=OPTS)
    assert result.report["ebits"]["total"] == 0
    assert "reuse" not in result.report["layout"]


def test_cli_verify_reads_the_reuse_layout(tmp_path):
    from qmosaic.cli import main

    src = tmp_path / "bv.qasm"
    from qiskit import qasm2

    src.write_text(qasm2.dumps(bernstein_vazirani()))
    out, report = tmp_path / "out.qasm", tmp_path / "report.json"
    assert main(["compile", str(src), "--network", "pair-2x4", "-o", str(out), "--report", str(report),
                 "--time-limit", "3"]) == 0
    assert "reuse" in json.loads(report.read_text())["layout"]
    assert main(["verify", str(src), str(out), "--report", str(report)]) == 0
    assert main(["compile", str(src), "--network", "pair-2x4", "-o", str(out), "--report", str(report),
                 "--time-limit", "3", "--no-reuse"]) == 0
    plain = json.loads(report.read_text())
    assert "reuse" not in plain["layout"] and plain["ebits"]["total"] == 1
    assert main(["verify", str(src), str(out), "--report", str(report)]) == 0


def _lives(qc: QuantumCircuit):
    return lifetimes(circuit_to_dag(qc))


def test_lifetimes_donors_and_receivers():
    qc = QuantumCircuit(4, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure(0, 0)  # donor: ends with a measurement nothing else reads
    qc.h(2)
    qc.cx(2, 1)
    qc.measure(2, 1)
    with qc.if_test((qc.clbits[1], 1)):  # ... but this bit is read: not a donor
        qc.x(3)
    qc.cx(3, 1)
    life = _lives(qc)
    assert life.donor.tolist() == [True, False, False, False]  # 1: no measurement; 3: unmeasured
    assert life.receiver.tolist() == [True, True, True, False]  # 3 starts with a conditioned gate
    assert life.first[0] == life.last[0] < life.first[2]


def test_share_slots_only_chains_disjoint_lives_in_one_group():
    life = _lives(bernstein_vazirani("1111", barriers=False))
    assert share_slots(life, [0, 0, 0, 0, 0]) == [[0, 1, 2, 3], [4]]
    assert share_slots(life, [0, 1, 0, 1, 0]) == [[0, 2], [1, 3], [4]]
    overlapping = QuantumCircuit(3, 3)
    overlapping.cx(0, 2)
    overlapping.cx(1, 2)
    overlapping.cx(0, 2)  # qubit 0 still alive when 1 starts
    overlapping.measure(range(3), range(3))
    assert share_slots(_lives(overlapping), [0, 0, 0]) == [[0], [1], [2]]


def test_reuse_qubits_rewrites_with_a_labelled_reset():
    out = dag_to_circuit(reuse_qubits(circuit_to_dag(bernstein_vazirani("11", barriers=False)), [[0, 1], [2]]).dag)
    on_0 = [inst.operation.name for inst in out.data if out.find_bit(inst.qubits[0]).index == 0 or
            (len(inst.qubits) > 1 and out.find_bit(inst.qubits[1]).index == 0)]
    assert on_0 == ["h", "cx", "h", "measure", "reset", "h", "cx", "h", "measure"]
    assert [c.index for c in (out.find_bit(inst.clbits[0]) for inst in out.data if inst.clbits)] == [0, 1]
    first = next(k for k, inst in enumerate(out.data) if inst.operation.name == "reset")
    assert out.data[first].operation.label == f"{REUSE_LABEL}:1"


def test_reuse_qubits_refuses_overlapping_lives():
    qc = QuantumCircuit(3, 3)
    qc.cx(0, 2)
    qc.cx(1, 2)
    qc.cx(0, 2)
    qc.measure(range(3), range(3))
    with pytest.raises(ValueError, match="cannot take the slot"):
        reuse_qubits(circuit_to_dag(qc), [[0, 1], [2]])


def test_split_reuse_rejects_a_malformed_layout():
    qc = QuantumCircuit(2)
    with pytest.raises(VerificationError, match="malformed"):
        split_reuse(qc, [0, 1], [0, 1], {"resets": [[0]]})
    qc.reset(0)
    with pytest.raises(VerificationError, match="segment"):
        split_reuse(qc, [0, 1], [0, 1], {"resets": [[0, 0]], "initial_segment": [0, 2], "final_segment": [0, 0]})


def test_reuse_is_deterministic():
    qc = bernstein_vazirani()
    a = qmosaic.compile(qc, "pair-2x4", options=OPTS)
    b = qmosaic.compile(qc, "pair-2x4", options=OPTS)
    assert a.qasm() == b.qasm()
    assert a.report["layout"] == b.report["layout"]


def test_a_circuit_wider_than_the_network_fits_by_reuse():
    qc = bernstein_vazirani("110101011")  # 10 qubits, 8 data qubits in the network
    result = qmosaic.compile(qc, "pair-2x4", options=OPTS)
    assert len(result.report["layout"]["reuse"]["resets"]) >= 2
    check_compiled(result)
    assert _outcomes(result) == {"110101011"[::-1]: 64}
    with pytest.raises(qmosaic.CapacityError, match="10 qubits"):
        qmosaic.compile(qc, "pair-2x4", options=qmosaic.CompileOptions(time_limit=3, reuse=False))


def test_slots_shared_across_qpus_when_sharing_within_them_is_not_enough():
    qc = bernstein_vazirani("11111111")  # 9 qubits in 9 slots, all meeting the ancilla
    without = qmosaic.compile(qc, "line-3x3", options=qmosaic.CompileOptions(time_limit=2, reuse=False))
    result = qmosaic.compile(qc, "line-3x3", options=qmosaic.CompileOptions(time_limit=2))
    assert without.report["ebits"]["total"] > 0
    assert result.report["ebits"]["total"] == 0  # within QPUs only: 1
    check_compiled(result)


@pytest.mark.parametrize("net", ["pair-2x4", "line-3x3"])
def test_an_idle_qubit_does_not_stop_reuse(net):
    """A qubit no operation touches has a slot of its own (wider than ``pair-2x4``: reuse must fit
    the circuit; on ``line-3x3`` it is tried because the placement costs ebits)."""
    qc = QuantumCircuit(9, 8)  # qubit 8 is never used
    qc.h(range(8))
    for i in range(7):
        qc.cx(i, i + 1)
    qc.cx(7, 0)
    qc.cx(3, 5)
    qc.measure(range(8), range(8))
    result = qmosaic.compile(qc, net, options=qmosaic.CompileOptions(effort="fast"))
    assert result.report["layout"].get("reuse") is not None
    check_compiled(result)


def test_fast_reuse_refines_only_the_winning_placement(monkeypatch):
    """At fast effort each reuse is placed without the TeleData refinement, and the winner is placed
    again from its own placement with it (the refinement was most of reuse's time where reuse loses)."""
    from qmosaic import api

    calls = []
    real = api._place

    def spy(dag, net, opts, inter, initial=None, share=1.0, teledata=True):
        placed = real(dag, net, opts, inter, initial=initial, share=share, teledata=teledata)
        calls.append((initial is not None, teledata, None if initial is None else tuple(initial), placed.placement))
        return placed

    monkeypatch.setattr(api, "_place", spy)
    result = qmosaic.compile(bernstein_vazirani(), "pair-2x4", options=qmosaic.CompileOptions(effort="fast"))
    assert result.report["ebits"]["total"] == 0 and "reuse" in result.report["layout"]
    reused = [c for c in calls if c[0]]
    assert [c[1] for c in reused] == [False] * (len(reused) - 1) + [True]  # the candidates, then the winner
    assert reused[-1][2] in {c[3] for c in reused[:-1]}  # placed again from a candidate's answer
    check_compiled(result)

"""Classically conditioned gates in the input: local, and remote through a cat copy."""

import pytest
from qiskit import QuantumCircuit, transpile
from qiskit_aer import AerSimulator

import qmosaic
from qmosaic.errors import UnsupportedOperationError
from qmosaic.targets import Network
from conftest import EXAMPLES
from test_correctness import _native_violations

OPTS = qmosaic.CompileOptions(time_limit=2)


def _counts(circuit: QuantumCircuit, names: list[str], shots: int = 4000) -> dict[str, float]:
    """Outcome frequencies of the input's classical registers only (ours are marginalised out)."""
    sim = AerSimulator(seed_simulator=7)
    raw = sim.run(transpile(circuit, sim), shots=shots).result().get_counts()
    order = [reg.name for reg in reversed(circuit.cregs)]  # Qiskit prints the last register first
    out: dict[str, float] = {}
    for key, value in raw.items():
        parts = dict(zip(order, key.split()))
        kept = " ".join(parts[n] for n in names)
        out[kept] = out.get(kept, 0) + value / shots
    return out


def _one_qubit_modules(n: int) -> Network:
    return Network.from_modules([1] * n, [(i, i + 1) for i in range(n - 1)], comm_qubits=2)


def test_remote_conditioned_gates_match_the_input_distribution():
    qc = QuantumCircuit(3, 3)
    qc.h(2)
    qc.h(0)
    qc.measure(2, 2)
    with qc.if_test((qc.clbits[2], 1)):
        qc.cx(0, 1)  # conditioned CX between two QPUs: served through a copy of qubit 0
    with qc.if_test((qc.clbits[2], 1)):
        qc.x(0)
    qc.cp(0.7, 0, 1)
    qc.h(0)
    qc.measure([0, 1], [0, 1])
    result = qmosaic.compile(qc, _one_qubit_modules(3), options=OPTS)
    assert result.report["ebits"]["total"] >= 1 and result.report["remote_gates"] >= 1
    want, got = _counts(qc, ["c"]), _counts(result.circuit, ["c"])
    for key in set(want) | set(got):
        assert got.get(key, 0) == pytest.approx(want.get(key, 0), abs=0.04), (want, got)


@pytest.mark.parametrize("effort", ["fast", "full"])
def test_a_conditioned_block_where_the_placer_compares_lowerings(effort):
    """A GHZ chain, a mid-circuit measurement conditioning an X, then a ring of CXs, on three
    QPUs of 3: the placer lowers placements to compare them and keeps the winner's lowering for the
    compiler, which measured the DAG with ``size()``: Qiskit refuses that with control flow
    (found by fuzzing).  The outcome distribution matches the input's."""
    n = 9
    qc = QuantumCircuit(n, n)
    qc.h(0)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(1)
    for i in range(n - 1):
        qc.cx(i, (i + 3) % n)
    qc.measure(range(1, n), range(1, n))
    result = qmosaic.compile(qc, "line-3x3", options=qmosaic.CompileOptions(time_limit=2, effort=effort))
    assert result.report["ebits"]["total"] >= 1
    want, got = _counts(qc, ["c"]), _counts(result.circuit, ["c"], shots=400)  # two outcomes, even odds
    assert len(want) == 2
    for key in set(want) | set(got):
        assert got.get(key, 0) == pytest.approx(want.get(key, 0), abs=0.1), (want, got)


def test_conditioned_gate_diagonal_on_neither_qubit_is_refused():
    qc = QuantumCircuit(2, 1)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.swap(0, 1)
    with pytest.raises(UnsupportedOperationError, match="split the block"):
        qmosaic.compile(qc, "pair-2x4", options=OPTS)


@pytest.mark.parametrize("network", ["pair-2x4", EXAMPLES / "hetero.toml"])
def test_nested_conditioned_blocks_are_translated_to_native_gates(network):
    """An if-block inside an if-block is translated for its QPU like the outer one (native
    translation raised Qiskit's CircuitError on it); the output's distribution matches the input's."""
    qc = QuantumCircuit(4, 4)
    qc.h(0)
    qc.h(2)
    qc.measure(0, 0)
    qc.measure(2, 1)
    with qc.if_test((qc.clbits[0], 1)):
        with qc.if_test((qc.clbits[1], 1)):
            qc.h(1)
            qc.t(1)
        qc.ry(0.9, 1)
    qc.cx(1, 3)
    qc.h(1)
    qc.measure([1, 3], [2, 3])
    result = qmosaic.compile(qc, network, options=OPTS)
    assert any(inner.operation.name == "if_else" for inst in result.circuit.data if inst.operation.name == "if_else"
               for block in inst.operation.blocks for inner in block.data)
    assert _native_violations(result) == []
    want, got = _counts(qc, ["c"]), _counts(result.circuit, ["c"])
    for key in set(want) | set(got):
        assert got.get(key, 0) == pytest.approx(want.get(key, 0), abs=0.04), (want, got)


def test_a_sub_circuit_that_measures_is_expanded():
    """An instruction on classical bits (``to_instruction()`` of a circuit that measures) is put in
    its definition's place, not refused (found by fuzzing): its measurement feeds an if-block
    after it, across QPUs.  The outcome distribution matches the input's; an instruction on
    classical bits with no definition is refused in one line."""
    from qiskit.circuit import Instruction

    inner = QuantumCircuit(2, 1)
    inner.h(0)
    inner.measure(0, 0)
    inner.cx(0, 1)
    qc = QuantumCircuit(3, 3)
    qc.append(inner.to_instruction(), [2, 0], [0])
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(1)
    qc.cx(0, 1)
    qc.measure([0, 1, 2], [0, 1, 2])
    result = qmosaic.compile(qc, _one_qubit_modules(3), options=OPTS)
    assert result.report["remote_gates"] >= 1
    want, got = _counts(qc, ["c"]), _counts(result.circuit, ["c"])
    assert len(want) == 2
    for key in set(want) | set(got):
        assert got.get(key, 0) == pytest.approx(want.get(key, 0), abs=0.04), (want, got)
    blank = QuantumCircuit(2, 1)
    blank.append(Instruction("mystery", 2, 1, []), [0, 1], [0])
    with pytest.raises(UnsupportedOperationError, match="'mystery' on 2 qubit.* has no definition"):
        qmosaic.compile(blank, "line-3x3", options=OPTS)


def test_an_empty_if_block_is_dropped():
    """An if-block with nothing in it (on no qubit) was refused as control flow "on 0 qubits" (found
    by fuzzing); it does nothing, so it is dropped.  The outcome distribution matches the input's."""
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        pass
    qc.cx(0, 2)
    qc.h(1)
    qc.measure([0, 1, 2], [0, 1, 2])
    result = qmosaic.compile(qc, _one_qubit_modules(3), options=OPTS)
    want, got = _counts(qc, ["c"]), _counts(result.circuit, ["c"])
    assert len(want) == 4
    for key in set(want) | set(got):
        assert got.get(key, 0) == pytest.approx(want.get(key, 0), abs=0.04), (want, got)

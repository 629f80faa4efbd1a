"""The shortcuts the scale work added keep their meaning: shared corrections, cached schedule
costs, the one-pass report tally."""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import ControlFlowOp
from qiskit.converters import circuit_to_dag

import qmosaic
from conftest import FAST, assert_lowered_verified, check_compiled, qft_cp
from qmosaic.passes.interactions import analyse_interactions
from qmosaic.passes.lowering import lower
from qmosaic.passes.normalize import NormalizeForDistribution
from qmosaic.passes.placement import place
from qmosaic.passes.routing import route
from qmosaic.passes.schedule import schedule_dag
from qmosaic.report import count_epr_per_link
from qmosaic.targets.models import Network


def _circuit() -> QuantumCircuit:
    qc = QuantumCircuit(6)
    for i in range(6):
        qc.h(i)
    for a, b in [(0, 3), (1, 4), (2, 5), (0, 5), (3, 1), (4, 2), (0, 4), (5, 1)]:
        qc.cx(a, b)
        qc.t(b)
    return qc


def _compile_stages(net: Network):
    dag = NormalizeForDistribution().run(circuit_to_dag(_circuit()))
    inter = analyse_interactions(dag)
    part = place(dag, net, use_ilp=False, interactions=inter)
    lowered, plan = lower(dag, net, part, inter)
    assert_lowered_verified(_circuit(), lowered, plan)
    physical, routing = route(lowered, net, plan, part.placement, inter.ops_2q.tolist())
    return lowered, physical


@pytest.mark.parametrize("preset", ["line-3x3", "ring-4x4"])
def test_corrections_are_shared_per_gate_and_bit(preset):
    lowered, _ = _compile_stages(qmosaic.load_network(preset))
    ops = [node.op for node in lowered.topological_op_nodes() if node.name == "if_else"]
    assert ops, "the case should need feed-forward corrections"
    by_id = {id(op): op for op in ops}
    keys = {(op.blocks[0].data[0].operation.name, op.condition[0]) for op in by_id.values()}
    assert len(by_id) == len(keys)  # one object per (gate, condition bit), used on any qubit


def test_corrections_translated_into_several_gates_become_if_blocks_with_exact_depth():
    """On QPUs whose only one-qubit gates are rz and sx, an X correction takes several gates:
    it leaves the pipeline as a real if-block, and the reported depth counts its body."""
    from qiskit.converters import circuit_to_dag

    from qmosaic import QPU, Link, Network
    from qmosaic.targets.devices import device_fields

    qpus = tuple(QPU(name=f"m{i}", device="quantinuum-h2",
                     **{**device_fields("quantinuum-h2"), "qubits": 2, "comm_qubits": 2, "gates_1q": ("rz", "sx")})
                 for i in range(2))
    net = Network("sx-pair", qpus, (Link(between=("m0", "m1"), epr_rate_hz=200.0, epr_fidelity=0.97),))
    result = qmosaic.compile(qft_cp(4), net, options=FAST)
    blocks = [inst.operation for inst in result.circuit.data if inst.operation.name == "if_else"]
    assert any(len(op.blocks[0].data) > 1 for op in blocks)
    assert all(i.operation.name in ("rz", "sx") for op in blocks for i in op.blocks[0].data)
    assert result.report["circuit"]["output_depth"] == circuit_to_dag(result.circuit).depth(recurse=True)
    assert result.verify() == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("preset", ["line-3x3", "ring-4x4", "pair-2x4"])
def test_relabelling_route_matches_the_node_by_node_route(preset, monkeypatch):
    """All-to-all QPUs: routing relabels the lowered DAG in place; the general path gives the same circuit."""
    from qiskit.converters import dag_to_circuit

    from qmosaic.passes import routing

    net = qmosaic.load_network(preset)
    _, fast = _compile_stages(net)
    fast_circuit = dag_to_circuit(fast)
    original_init = routing._QPURouter.__init__

    def init(self, network, k):
        original_init(self, network, k)
        self.complete = False  # take the node-by-node path (no SWAP is ever needed on these QPUs)

    monkeypatch.setattr(routing._QPURouter, "__init__", init)
    _, slow = _compile_stages(net)
    slow_circuit = dag_to_circuit(slow)
    assert fast_circuit == slow_circuit
    assert [r.name for r in fast_circuit.qregs] == [q.name for q in net.qpus]


def test_compile_output_has_if_blocks_not_stand_ins():
    """compile() lowers with light stand-ins and materializes them once: one IfElseOp object per (gate, bit)."""
    result = qmosaic.compile(_circuit(), "ring-4x4", options=dataclasses.replace(FAST, translate=False))
    names = result.circuit.count_ops()
    assert "qmosaic_correction" not in names and names["if_else"] == result.report["feed_forward"] > 0
    ops = {id(inst.operation): inst.operation for inst in result.circuit.data if inst.operation.name == "if_else"}
    keys = {(op.blocks[0].data[0].operation.name, op.condition[0]) for op in ops.values()}
    assert len(ops) == len(keys) < names["if_else"]
    assert result.verify() == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("preset", ["line-3x3", "ring-4x4", "pair-2x4"])
def test_compiled_with_shared_corrections_simulates_exactly(preset):
    result = qmosaic.compile(_circuit(), preset)
    assert result.report["feed_forward"] > 0
    assert result.verify() == pytest.approx(1.0, abs=1e-9)


def test_schedule_cache_is_safe_for_fresh_operation_objects():
    """A DAG whose if-blocks are rebuilt per node (compose) schedules exactly like the original."""
    net = qmosaic.load_network("line-3x3")
    _, physical = _compile_stages(net)
    rebuilt = physical.copy_empty_like()
    rebuilt.compose(physical, inplace=True)
    assert schedule_dag(rebuilt, net) == schedule_dag(physical, net)


def test_report_tally_matches_a_plain_count():
    result = qmosaic.compile(_circuit(), "ring-4x4")
    check_compiled(result)
    circuit, net = result.circuit, result.network
    owner = [k for k, q in enumerate(net.qpus) for _ in range(q.total_qubits)]
    per: dict[str, Counter] = {q.name: Counter() for q in net.qpus}
    epr = Counter()
    for inst in circuit.data:
        ks = [owner[circuit.find_bit(q).index] for q in inst.qubits]
        if inst.operation.name == "epr":
            epr[net.links[net.link_index(ks[0], ks[1])].name] += 1
        elif not isinstance(inst.operation, ControlFlowOp):
            per[net.qpus[ks[0]].name][inst.operation.name] += 1
    assert result.report["ops_per_qpu"] == {name: dict(sorted(c.items())) for name, c in per.items()}
    assert count_epr_per_link(circuit, net) == {link.name: epr[link.name] for link in net.links}
    assert result.report["feed_forward"] == sum(isinstance(i.operation, ControlFlowOp) for i in circuit.data)

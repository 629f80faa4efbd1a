"""TeleData windows that reorder commuting gates (passes/window_order.py, passes/rewire.py)."""

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.converters import circuit_to_dag

import qmosaic
from qmosaic.passes.interactions import analyse_interactions
from qmosaic.passes.normalize import NormalizeForDistribution
from qmosaic.passes.rewire import rewire

from conftest import assert_lowered_verified, check_compiled

OPTS = qmosaic.CompileOptions(time_limit=5)


def wstate(n: int) -> QuantumCircuit:
    """QASMBench's W-state chain: ry·cz·ry down the chain, then a cx chain back up."""
    qc = QuantumCircuit(n)
    qc.x(n - 1)
    for i in range(n - 2, -1, -1):
        theta = float(np.arccos(np.sqrt(1 / (n - i))))
        qc.ry(-theta, i)
        qc.cz(i + 1, i)
        qc.ry(theta, i)
    for i in range(n - 2, -1, -1):
        qc.cx(i, i + 1)
    return qc


@pytest.mark.parametrize("n", [6, 8])
def test_wstate_cut_costs_one_move(n):
    """Across the cut, q[k+1] meets q[k+2] (cx control) and q[k] (cz) in one diagonal run; doing
    the cx first lets q[k+1] move once to q[k]'s QPU for good: 1 ebit, not 2 TeleGate bursts."""
    result = qmosaic.compile(wstate(n), "pair-2x4", options=OPTS)
    assert (result.report["ebits"]["total"], result.report["teledata_moves"]) == (1, 1)
    check_compiled(result)


def test_wstate_verified_state():
    """The reordered output still prepares the W state: the one-hot outcomes only."""
    from qiskit import transpile
    from qiskit.circuit import ClassicalRegister
    from qiskit_aer import AerSimulator

    qc = wstate(6)
    result = qmosaic.compile(qc, "pair-2x4", options=OPTS)
    out = result.circuit.copy()
    final = result.report["layout"]["final"]
    creg = ClassicalRegister(6, "w")
    out.add_register(creg)
    for logical, physical in enumerate(final):
        out.measure(physical, creg[logical])
    sim = AerSimulator(seed_simulator=7)
    counts = sim.run(transpile(out, sim, optimization_level=0), shots=256).result().get_counts()
    words = {key.split(" ")[0] for key in counts}
    assert words <= {format(1 << i, "06b") for i in range(6)} and len(words) == 6


def _cycle_circuit() -> QuantumCircuit:
    """q0's run {cz(q0,q1), cz(q0,q2)} commutes on q0, but cz(q0,q2) waits for cx(q1,q2)."""
    qc = QuantumCircuit(3)
    qc.h([0, 1, 2])
    qc.cz(0, 1)
    qc.cx(1, 2)
    qc.cz(0, 2)
    return qc


def test_rewire_refuses_a_cycle_and_keeps_a_legal_order():
    dag = circuit_to_dag(_cycle_circuit())
    ids = [n._node_id for n in dag.topological_op_nodes()]
    line = [n._node_id for n in dag.nodes_on_wire(dag.qubits[0], only_ops=True)]  # h, cz01, cz02
    assert rewire(dag, {0: [line[0], line[2], line[1]]}) is None
    new, mapping = rewire(dag, {0: line})
    assert sorted(mapping) == sorted(ids)
    assert [n.op.name for n in new.topological_op_nodes()] == [n.op.name for n in dag.topological_op_nodes()]


def test_rewire_moves_commuting_gates():
    qc = QuantumCircuit(3)
    qc.cz(0, 1)
    qc.cz(0, 2)
    dag = circuit_to_dag(qc)
    line = [n._node_id for n in dag.nodes_on_wire(dag.qubits[0], only_ops=True)]
    new, ids = rewire(dag, {0: line[::-1]})
    order = [tuple(new.find_bit(q).index for q in n.qargs) for n in new.topological_op_nodes()]
    assert order == [(0, 2), (0, 1)]
    for node in dag.op_nodes():  # each old node id maps to its own instruction in the new DAG
        assert new.node(ids[node._node_id]).qargs == node.qargs


def test_impossible_reordering_falls_back_to_an_in_order_window():
    """A window that would hoist cz(q0,q2) before cz(q0,q1) closes a cycle through cx(q1,q2);
    the planner drops it and takes the in-order window (q0 moves after its last home gate)."""
    from qmosaic.passes.hypergraph import build_hypergraph, plan_servers, servers_cost
    from qmosaic.passes.lowering import lower
    from qmosaic.passes.placement import Partition, PlacementStatus
    from qmosaic.passes.window_order import plan_windows

    qc = QuantumCircuit(4)
    qc.h([0, 1, 2, 3])
    qc.cz(0, 1)  # q1 on the other QPU
    qc.cx(1, 2)  # q2 at q0's home
    qc.cz(0, 2)
    qc.h(1)  # q1's later copy serves q0's window alone
    for _ in range(3):  # then q0 only meets q1 and q3, not diagonally: a one-way move pays
        qc.cx(1, 0)
        qc.cx(3, 0)
        qc.h(0)
    net = qmosaic.load_network("pair-2x4")
    dag = NormalizeForDistribution().run(circuit_to_dag(qc))
    inter = analyse_interactions(dag)
    hg = build_hypergraph(inter)
    placement = np.array([0, 1, 0, 1])
    _, server = plan_servers(hg, placement, net)
    ordered = plan_windows(dag, inter, hg, placement, server, net, np.ones(len(net.links)))
    assert ordered.dag is dag and ordered.windows
    assert not any(w.reorders for w in ordered.windows)
    cost = int(servers_cost(hg, placement, server, net))
    part = Partition(tuple(placement.tolist()), tuple(server.tolist()), cost, PlacementStatus.HEURISTIC, cost,
                     None, None, 0.0, "test", cost)
    lowered, plan = lower(dag, net, part, inter)
    assert plan.teledata_moves >= 1
    assert_lowered_verified(qc, lowered, plan)


def mini_qugan(k: int) -> QuantumCircuit:
    """QASMBench's qugan in small: two chains of ``ryy``·``cry`` (q1..qk, qk+1..q2k), then a swap
    test of q[i] against q[i+k] controlled by q0."""
    qc = QuantumCircuit(2 * k + 1)
    rng = np.random.default_rng(5)
    for q in range(1, 2 * k + 1):
        qc.ry(float(rng.uniform(0, 3)), q)
    for start in (1, k + 1):
        for i in range(start, start + k - 1):
            qc.ryy(float(rng.uniform(0, 3)), i, i + 1)
            qc.cry(float(rng.uniform(0, 3)), i, i + 1)
    qc.h(0)
    for i in range(1, k + 1):
        qc.cswap(0, i, i + k)
    qc.h(0)
    return qc


def test_window_from_the_start_replaces_two_bursts():
    """Cutting a chain between q[i] and q[i+1]: q[i+1] starts on q[i]'s QPU (in a comm qubit),
    meets it there, and moves home once: 1 ebit per cut instead of the 2 copies of q[i]."""
    net = qmosaic.load_network("pair-2x4")
    result = qmosaic.compile(mini_qugan(3), net, options=OPTS)
    comm = {c for k in range(len(net.qpus)) for c in net.comm_indices(k)}
    starts_in_comm = [q for q, p in enumerate(result.report["layout"]["initial"]) if p in comm]
    assert starts_in_comm and result.report["teledata_moves"] >= len(starts_in_comm)
    check_compiled(result)


def test_pass_manager_lowering_keeps_the_layout():
    """The lowering behind the transpiler plugin never starts a qubit away (the layout is fixed)."""
    from qmosaic.passes.lowering import lower
    from qmosaic.passes.placement import place

    net = qmosaic.load_network("pair-2x4")
    qc = mini_qugan(3)
    dag = NormalizeForDistribution().run(circuit_to_dag(qc))
    part = place(dag, net, time_limit=2)
    free_dag, free = lower(dag, net, part)
    fixed_dag, fixed = lower(dag, net, part, start_away=False)
    assert free.initial_wires and not fixed.initial_wires
    assert free.ebits < fixed.ebits
    assert_lowered_verified(qc, free_dag, free)
    assert_lowered_verified(qc, fixed_dag, fixed)


def test_reordering_given_up_after_max_rounds(monkeypatch):
    """Past MAX_ROUNDS failed rounds every reordering window is dropped; the rest still compile."""
    from qmosaic.passes import window_order

    monkeypatch.setattr(window_order, "MAX_ROUNDS", 0)
    calls = []
    monkeypatch.setattr(window_order, "order_for_windows", lambda *a, **k: calls.append(1))
    result = qmosaic.compile(wstate(6), "pair-2x4", options=OPTS)
    assert not calls
    check_compiled(result)


# Two random 6-qubit circuits (found by search) and placements on line-4x4 where a window priced
# by its copies' route costs spent an ebit more than the copies it replaced.
SHARED_BRANCH = [
    ([2, 3, 0, 2, 1, 0], [("ry", 2), ("cx", 5, 0), ("cx", 3, 0), ("cx", 5, 1), ("cx", 4, 2), ("h", 3), ("cp", 4, 2),
                          ("cp", 1, 2), ("ry", 0), ("h", 4), ("cp", 2, 0), ("ry", 1), ("cp", 5, 4), ("cp", 0, 4)]),
    ([1, 2, 3, 0, 1, 3], [("cp", 0, 5), ("cp", 1, 2), ("cx", 2, 4), ("cp", 0, 2), ("ry", 3), ("cx", 5, 4), ("cx", 2, 0),
                          ("h", 4), ("cp", 4, 0), ("cp", 4, 5), ("h", 0), ("cx", 2, 3), ("cp", 5, 3), ("cx", 4, 3)]),
]


@pytest.mark.parametrize("placement, gates", SHARED_BRANCH)
def test_windows_never_spend_more_than_the_copies_they_replace(placement, gates):
    """On a line, a copy on a branch of a Steiner tree other copies share saves less than its
    route; priced by route cost, a window here spent an ebit more than the placement's model
    cost.  The lowering (communication qubits not scarce) spends at most that cost, and is simulated."""
    from dataclasses import replace

    from qmosaic.passes.hypergraph import build_hypergraph, plan_servers
    from qmosaic.passes.lowering import lower
    from qmosaic.passes.placement import Partition, PlacementStatus

    qc = QuantumCircuit(6)
    for name, *args in gates:
        if name == "ry":
            qc.ry(0.4, *args)
        elif name == "cp":
            qc.cp(0.7, *args)
        else:
            getattr(qc, name)(*args)
    base = qmosaic.load_network("line-4x4")
    net = replace(base, qpus=tuple(replace(q, comm_qubits=8) for q in base.qpus))
    dag = NormalizeForDistribution().run(circuit_to_dag(qc))
    inter = analyse_interactions(dag)
    cost, server = plan_servers(build_hypergraph(inter), np.array(placement), net)
    part = Partition(tuple(placement), tuple(server.tolist()), cost, PlacementStatus.HEURISTIC, cost, None, None, 0.0,
                     "test", cost)
    lowered, plan = lower(dag, net, part, inter)
    assert plan.ebits <= cost
    assert_lowered_verified(qc, lowered, plan)

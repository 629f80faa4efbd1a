"""The order the lowering visits a circuit in where communication qubits are scarce."""

import random

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.converters import circuit_to_dag

import qmosaic
from conftest import assert_lowered_verified, assert_verified, qft_cp
from qmosaic.passes.comm_order import scheduled
from qmosaic.passes.feedforward import materialize_dag
from qmosaic.passes.hypergraph import build_hypergraph, plan_servers
from qmosaic.passes.interactions import analyse_interactions
from qmosaic.passes.lowering import _lower_with, lower
from qmosaic.passes.normalize import NormalizeForDistribution
from qmosaic.passes.placement import Partition, PlacementStatus

TWO_TRAPS = qmosaic.Network.from_modules([3, 3], [(0, 1)], name="two-traps", comm_qubits=1)


def _random_circuit(seed: int) -> QuantumCircuit:
    rng = random.Random(seed)
    qc = QuantumCircuit(5, 2)
    for _ in range(40):
        r = rng.random()
        if r < 0.5:
            qc.cp(rng.uniform(0.1, 3), *rng.sample(range(5), 2))
        elif r < 0.7:
            qc.h(rng.randrange(5))
        elif r < 0.85:
            qc.measure(rng.randrange(5), rng.randrange(2))
        else:
            qc.cx(*rng.sample(range(5), 2))
    return qc


def _per_wire(nodes) -> dict:
    wires: dict = {}
    for node in nodes:
        for bit in (*node.qargs, *node.cargs):
            wires.setdefault(bit, []).append(node._node_id)
    return wires


@pytest.mark.parametrize("window", [1, 3, None])
@pytest.mark.parametrize("seed", range(5))
def test_the_schedule_is_a_topological_order_that_takes_the_cheapest_remote_node(seed, window):
    """Every node once, each wire's operations (qubits and clbits) in their order; a ready node
    that is not remote is always taken first (lowest index first); otherwise the node taken is
    the cheapest of the ``window`` ready remote nodes of lowest index (lowest index among
    equals)."""
    dag = circuit_to_dag(_random_circuit(seed))
    order = list(dag.topological_op_nodes())
    window = window or len(order)
    rng = random.Random(seed)
    price = {node._node_id: rng.randrange(3) for node in order}
    is_remote = lambda node: node.name == "cp"  # noqa: E731
    out = list(scheduled(order, is_remote, lambda node: (price[node._node_id],), window=window))
    assert sorted(n._node_id for n in out) == sorted(n._node_id for n in order)
    assert _per_wire(out) == _per_wire(order)
    position = {node._node_id: i for i, node in enumerate(order)}
    done: set[int] = set()
    for node in out:
        ready = [n for n in order if n._node_id not in done and all(
            p._node_id in done for p in dag.op_predecessors(n))]
        local = [n for n in ready if not is_remote(n)]
        if local:
            assert node._node_id == local[0]._node_id
        else:
            first = sorted(ready, key=lambda n: position[n._node_id])[:window]
            cheapest = min(first, key=lambda n: (price[n._node_id], position[n._node_id]))
            assert node._node_id == cheapest._node_id
        done.add(node._node_id)


def _lowered(qc: QuantumCircuit, placement: tuple[int, ...], reorder: bool | None):
    dag = NormalizeForDistribution().run(circuit_to_dag(qc))
    inter = analyse_interactions(dag)
    hg = build_hypergraph(inter)
    ebits, server = plan_servers(hg, np.asarray(placement), TWO_TRAPS)
    partition = Partition(placement, tuple(server.tolist()), ebits, PlacementStatus.HEURISTIC, ebits, None, None,
                          0.0, "test", ebits)
    if reorder is None:
        return lower(dag, TWO_TRAPS, partition, inter, start_away=False)
    return _lower_with(dag, TWO_TRAPS, partition, inter, hg, np.ones(1), teledata=True, start_away=False,
                       reorder=reorder)


GATES = (("cp", 2.65, 2, 5), ("h", 4), ("cp", 1.87, 4, 2), ("h", 1), ("cp", 2.96, 1, 5), ("cp", 2.65, 1, 4),
         ("cp", 0.77, 4, 5), ("cp", 1.99, 5, 1), ("cp", 1.46, 3, 1), ("cp", 0.54, 0, 3), ("cp", 2.27, 3, 0),
         ("cp", 1.42, 3, 2), ("h", 0))


def test_finishing_bursts_first_spares_the_one_communication_qubit():
    """QFT-6 on two ion traps of 3, one communication qubit each, qubits 0-2 on the first: in the
    DAG's order the copies of qubits 0, 1, 2 on the second trap interleave, and each new one
    evicts the last (9 ebits, 6 evictions).  Taking first the remote gates whose copy is live,
    each burst ends before the next starts: 3 ebits (the model's count), no eviction.  Both
    lowerings are simulated."""
    placement = (0, 0, 0, 1, 1, 1)
    (out_default, default), (out_reordered, reordered) = (_lowered(qft_cp(6), placement, r) for r in (False, True))
    assert (default.ebits, default.evictions) == (9, 6)
    assert (reordered.ebits, reordered.evictions) == (3, 0)
    assert_lowered_verified(qft_cp(6), materialize_dag(out_default), default)
    assert_lowered_verified(qft_cp(6), materialize_dag(out_reordered), reordered)


def test_lower_keeps_the_reordered_lowering_where_it_spends_least():
    """A random cp/h circuit on the same traps (found by a search) where neither the DAG's order
    (5 ebits) nor short-lived servers (4) do as well as finishing bursts first (3): ``lower``
    keeps that one, and it is simulated."""
    qc = QuantumCircuit(6)
    for gate in GATES:
        qc.h(gate[1]) if gate[0] == "h" else qc.cp(*gate[1:])
    placement = (0, 0, 0, 1, 1, 1)
    assert _lowered(qc, placement, False)[1].ebits == 5
    out, plan = _lowered(qc, placement, None)
    assert plan.ebits == 3
    assert_lowered_verified(qc, out, plan)


def test_the_order_avoids_gates_whose_copy_would_evict_one():
    """A Clifford QFT pattern (``cz`` for ``cp``) of 10 qubits over four ion traps of 4 in a
    line, one communication qubit each: among the ready remote gates that need a copy, the
    order takes first one whose QPU has a communication qubit free.  9 ebits and no eviction;
    ranking by the copies' count alone spends 12 with 3 evictions.  Checked with stim."""
    from benchmarks.jobs import _check

    qc = QuantumCircuit(10)
    for i in range(10):
        qc.h(i)
        for j in range(i + 1, 10):
            qc.cz(j, i)
    net = qmosaic.Network.from_modules([4] * 4, [(0, 1), (1, 2), (2, 3)], comm_qubits=1)
    result = qmosaic.compile(qc, net, options=qmosaic.CompileOptions(effort="fast", translate=False))
    assert (result.report["ebits"]["total"], result.report["comm_evictions"]) == (9, 0)
    assert _check(result, qc, sim_max_qubits=0, stim=True)["check"] == "stim"


def test_compile_spends_the_models_ebits_with_one_communication_qubit():
    """The same through ``compile`` at both efforts: 3 ebits, simulated."""
    for effort in ("fast", "full"):
        result = qmosaic.compile(qft_cp(6), TWO_TRAPS, options=qmosaic.CompileOptions(effort=effort, time_limit=2))
        assert (result.report["ebits"]["total"], result.report["comm_evictions"]) == (3, 0)
        assert_verified(result)

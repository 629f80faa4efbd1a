"""The ebit cost model: servers and costs the placer and the lowering share (passes/hypergraph.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.random import random_circuit
from qiskit.converters import circuit_to_dag

import qmosaic
from conftest import FAST, check_compiled, qft_cp
from qmosaic.passes.hypergraph import build_hypergraph, plan_servers, servers_cost
from qmosaic.passes.interactions import analyse_interactions
from qmosaic.passes.normalize import NormalizeForDistribution
from qmosaic.targets import Network
from qmosaic.targets.errors import PassError


def _complete(qpus: int, *, qubits: int = 2, comm: int = 2) -> Network:
    return Network.from_modules([qubits] * qpus, [(a, b) for a in range(qpus) for b in range(a + 1, qpus)],
                                name=f"a2a{qpus}", comm_qubits=comm)


def _hypergraph(circuit: QuantumCircuit):
    return build_hypergraph(analyse_interactions(NormalizeForDistribution().run(circuit_to_dag(circuit))))


def test_the_copy_serving_most_gates_is_bought_first():
    """Qubit 0 meets 1, 2 and 3 (on another QPU) in CZs: one copy of qubit 0 there serves all
    three (1 ebit), where copies of the others would cost 3."""
    circuit = QuantumCircuit(4)
    for q in (1, 2, 3):
        circuit.cz(0, q)
    hg = _hypergraph(circuit)
    net = _complete(2, qubits=3)
    ebits, server = plan_servers(hg, np.array([0, 1, 1, 1]), net)
    assert ebits == 1 and server.tolist() == [1, 1, 1]
    assert servers_cost(hg, np.array([0, 1, 1, 1]), server, net) == 1


def test_servers_on_networks_of_64_qpus_or_more_match_a_smaller_network():
    """Copies are bit masks of QPUs: 64-bit integers up to 63 QPUs, Python integers beyond.  A
    placement on QPUs 0-9 of 70 gets the servers and ebits it gets on a network of 10, and the
    same placement moved to QPUs 60-69 gets them moved too (two communication qubits each, so
    gates may also run on a third QPU holding copies of both)."""
    rng = np.random.default_rng(5)
    small, large = _complete(10), _complete(70)
    for seed in range(6):
        hg = _hypergraph(random_circuit(10, 8, max_operands=2, seed=seed))
        placement = rng.permutation(np.repeat(np.arange(10), 2))[:10]
        for short_lived in (False, True):
            ebits, server = plan_servers(hg, placement, small, short_lived=short_lived)
            large_ebits, large_server = plan_servers(hg, placement, large, short_lived=short_lived)
            assert large_ebits == ebits and large_server.tolist() == server.tolist()
            far_ebits, far_server = plan_servers(hg, placement + 60, large, short_lived=short_lived)
            assert far_ebits == ebits and far_server.tolist() == (server + 60).tolist()
            assert servers_cost(hg, placement + 60, far_server, large) == ebits


def test_servers_on_a_line_of_70_qpus_match_a_line_of_12():
    """Off complete networks too (copies priced by the links they add, then dropped where the
    gates' copies meet elsewhere): twelve qubits on QPUs 0-11 of a line of 70 get the servers
    and ebits they get on a line of 12, and moved to QPUs 58-69 the servers move with them."""
    draw = np.random.default_rng(1)
    circuit = QuantumCircuit(12)
    for _ in range(40):
        a, b = draw.choice(12, 2, replace=False).tolist()
        circuit.cp(float(draw.random()), a, b)
        if draw.random() < 0.3:
            circuit.h(int(draw.integers(12)))
    hg = _hypergraph(circuit)
    small, large = (Network.from_modules([1] * k, [(j, j + 1) for j in range(k - 1)], name=f"line{k}", comm_qubits=4)
                    for k in (12, 70))
    placement = draw.permutation(12)
    ebits, server = plan_servers(hg, placement, small)
    assert ebits > 0
    for shift in (0, 58):
        moved_ebits, moved = plan_servers(hg, placement + shift, large)
        assert moved_ebits == ebits and moved.tolist() == (server + shift).tolist()


def test_a_network_of_70_qpus_compiles_correctly():
    """Five qubits of a QFT on 70 QPUs of one qubit each: every gate is remote; the output is
    simulated against the input."""
    circuit = QuantumCircuit(5)
    circuit.h(range(5))
    for a in range(5):
        for b in range(a + 1, 5):
            circuit.cp(0.3 * (a + 1) + 0.1 * b, a, b)
    net = _complete(70, qubits=1, comm=2)
    result = qmosaic.compile(circuit, net, options=dataclasses.replace(FAST, effort="fast"))
    assert result.report["ebits"]["total"] > 0
    check_compiled(result)


def test_off_complete_networks_a_placement_and_its_mirror_image_cost_the_same():
    """QFT-16 on ``line-4x4`` in blocks 1-4, 5-8, 9-12, 13-15 + 0 along the line, and the same
    blocks the other way round.  Mirrored, every copy has a mirrored copy of the same cost, so
    both cost 18 ebits.  The cover that counted copies, not the links they add, found 24 for one
    of the two: qubits 13-15 sent copies to the far end of the line, where their partners' copies
    already meet them on a QPU between."""
    hg, net = _hypergraph(qft_cp(16)), qmosaic.load_network("line-4x4")
    blocks = np.array([((q - 1) % 16) // 4 for q in range(16)])
    for placement in (blocks, 3 - blocks):
        ebits, server = plan_servers(hg, placement, net)
        assert ebits == 18 == servers_cost(hg, placement, server, net)


@pytest.mark.parametrize("preset", ["line-4x4", "ring-4x4", "line-3x3"])
def test_every_remote_gate_gets_a_server_its_copies_reach(preset):
    """Random controlled phases and Hadamards (most gates diagonal on both qubits, so the cover
    and the dropping of copies decide their servers) over random placements off complete
    networks: every remote gate runs on a QPU where each of its qubits is at home or is
    represented by a copy of a hyperedge that is diagonal on it, and the ebits are those of the
    servers chosen."""
    net, rng = qmosaic.load_network(preset), np.random.default_rng(3)
    slots = np.repeat(np.arange(len(net.qpus)), [q.qubits for q in net.qpus])
    n = len(slots)
    for seed in range(20):
        circuit, draw = QuantumCircuit(n), np.random.default_rng(seed)
        for _ in range(3 * n):
            a, b = draw.choice(n, 2, replace=False).tolist()
            circuit.cp(float(draw.random()), a, b)
            if draw.random() < 0.3:
                circuit.h(int(draw.integers(n)))
        hg = _hypergraph(circuit)
        placement = rng.permutation(slots)
        ebits, server = plan_servers(hg, placement, net)
        homes = placement[hg.qubits]
        remote = homes[:, 0] != homes[:, 1]
        assert (server[remote] >= 0).all()
        away = homes != server[:, None]
        assert (hg.edge[away & remote[:, None]] >= 0).all()
        assert ebits == servers_cost(hg, placement, server, net)


def test_large_circuits_keep_the_cover_by_gates(monkeypatch):
    """Above ``STEINER_COVER_MAX_GATES`` two-qubit gates the cover by gates served answers (its
    loops are NumPy's, the Steiner cover's Python's): with the limit below QFT-16's 120 gates,
    one of the two mirror images costs 24 again."""
    from qmosaic.passes import hypergraph

    hg, net = _hypergraph(qft_cp(16)), qmosaic.load_network("line-4x4")
    blocks = np.array([((q - 1) % 16) // 4 for q in range(16)])
    monkeypatch.setattr(hypergraph, "STEINER_COVER_MAX_GATES", 119)
    assert sorted(plan_servers(hg, p, net)[0] for p in (blocks, 3 - blocks)) == [18, 24]


def test_gates_run_where_copies_meet_on_a_line_and_the_output_is_right():
    """QFT-6 on a line of three QPUs of 2 (four communication qubits each): some gates run on
    the middle QPU, where copies of both their qubits meet; the compiled circuit is simulated
    against the input."""
    net = Network.from_modules([2, 2, 2], [(0, 1), (1, 2)], name="line3x2", comm_qubits=4)
    result = qmosaic.compile(qft_cp(6), net, options=dataclasses.replace(FAST, effort="fast"))
    placement = np.array([net.owners[p] for p in result.report["layout"]["initial"]])
    hg = _hypergraph(qft_cp(6))
    server, homes = plan_servers(hg, placement, net)[1], placement[hg.qubits]
    assert ((server != homes[:, 0]) & (server != homes[:, 1])).any()
    check_compiled(result, shots=4)


def test_a_gate_diagonal_on_neither_qubit_is_refused_before_pricing():
    """No copy can serve a gate diagonal on neither qubit (an un-normalised ``swap``): the
    hypergraph refuses it and says what to run first, instead of pricing it."""
    circuit = QuantumCircuit(2)
    circuit.swap(0, 1)
    inter = analyse_interactions(circuit_to_dag(circuit))  # not normalised
    with pytest.raises(PassError, match="diagonal on neither qubit.*NormalizeForDistribution"):
        build_hypergraph(inter)
    assert build_hypergraph(analyse_interactions(NormalizeForDistribution().run(circuit_to_dag(circuit)))).num_edges

"""The ebit cost model: servers and costs the placer and the lowering share (passes/hypergraph.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.random import random_circuit
from qiskit.converters import circuit_to_dag

import qmosaic
from conftest import FAST, check_compiled
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


def test_a_gate_diagonal_on_neither_qubit_is_refused_before_pricing():
    """No copy can serve a gate diagonal on neither qubit (an un-normalised ``swap``): the
    hypergraph refuses it and says what to run first, instead of pricing it."""
    circuit = QuantumCircuit(2)
    circuit.swap(0, 1)
    inter = analyse_interactions(circuit_to_dag(circuit))  # not normalised
    with pytest.raises(PassError, match="diagonal on neither qubit.*NormalizeForDistribution"):
        build_hypergraph(inter)
    assert build_hypergraph(analyse_interactions(NormalizeForDistribution().run(circuit_to_dag(circuit)))).num_edges

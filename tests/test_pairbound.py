"""The pair-capacity bound (passes/pairbound.py) and what the placer does with it."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.random import random_circuit
from qiskit.converters import circuit_to_dag

import qmosaic
from conftest import FAST, assert_verified, qft_cp
from qmosaic.passes import placement
from qmosaic.passes.hypergraph import Hypergraph, build_hypergraph
from qmosaic.passes.interactions import analyse_interactions
from qmosaic.passes.normalize import NormalizeForDistribution
from qmosaic.passes.pairbound import pair_relaxation
from qmosaic.passes.placement import PlacementStatus, place


def _analysed(circuit: QuantumCircuit):
    dag = NormalizeForDistribution().run(circuit_to_dag(circuit))
    inter = analyse_interactions(dag)
    return dag, inter, build_hypergraph(inter)


def _dense(relax) -> np.ndarray:
    out = np.zeros((len(relax.row_lower), relax.num_cols))
    for col in range(relax.num_cols):
        out[relax.index[relax.start[col]:relax.start[col + 1]], col] = 1
    return out


def test_the_relaxation_has_a_cover_row_per_remote_capable_gate_and_a_capacity_row_per_crowded_qubit():
    """CX(0,1) runs at qubit 1's home (hyperedge 0 of qubit 0 copies there unless they share a
    QPU); CZ(0,2) needs a copy of hyperedge 1 or 2 unless 0 and 2 share one; the gate on 1 and 2
    is diagonal on neither side (no row).  QPUs of 2: each qubit keeps at most 1 partner."""
    hg = Hypergraph(3, np.array([[0, 1], [0, 2], [1, 2]]), np.array([[0, -1], [1, 2], [-1, -1]]),
                    np.array([0, 0, 2]))
    relax = pair_relaxation(hg, [2, 2])
    # columns: y(0,1) y(0,2) y(1,2) | c0 c1 c2
    assert (relax.num_pairs, relax.num_edges, relax.num_cover) == (3, 3, 2)
    assert _dense(relax).tolist() == [[0, 1, 0, 0, 1, 1],  # c1 + c2 + y(0,2) >= 1
                                      [1, 0, 0, 1, 0, 0],  # c0 + y(0,1) >= 1
                                      [1, 1, 0, 0, 0, 0],  # qubit 0 keeps one partner
                                      [1, 0, 1, 0, 0, 0],  # qubit 1
                                      [0, 1, 1, 0, 0, 0]]  # qubit 2
    assert relax.row_lower.tolist()[:2] == [1, 1] and relax.row_upper.tolist()[2:] == [1, 1, 1]
    assert relax.col_upper.tolist() == [1, 1, 1, 1, 1, 1]  # at most K - 1 copies
    roomy = pair_relaxation(hg, [3, 3])  # room for both partners: no capacity row
    assert len(roomy.row_lower) == 2


@pytest.mark.parametrize("net, circuit", [
    ("pair-2x4", qft_cp(6)), ("line-3x3", qft_cp(7)), ("line-3x3", qft_cp(9)), ("star-5x4", qft_cp(8)),
    ("line-3x3", random_circuit(8, 8, max_operands=2, seed=3)), ("pair-2x4", random_circuit(8, 10, max_operands=2, seed=2)),
    ("star-5x4", random_circuit(8, 10, max_operands=2, seed=6)), ("het", random_circuit(8, 10, max_operands=2, seed=7))])
def test_the_bound_is_below_every_proven_optimum_and_meets_it_on_qft(net, circuit):
    """The exact model (without the bound) proves each optimum; the bound never exceeds it, and
    on these QFTs it is the optimum (the spread bound is 1 or 2 there).  On the random circuits
    it is 3, 7, 4 and 5, above the spread bound (1 or 2); ``het``: QPUs of 2, 3 and 4 in a line,
    one communication qubit each (no third-QPU servers)."""
    network = (qmosaic.Network.from_modules([2, 3, 4], [(0, 1), (1, 2)], name="het234", comm_qubits=1)
               if net == "het" else qmosaic.load_network(net))
    dag, inter, hg = _analysed(circuit)
    bound = placement._pair_bound(hg, [q.qubits for q in network.qpus], time_limit=5, seed=0)
    part = place(dag, network, interactions=inter, time_limit=30, pair_bound=False, teledata=False)
    assert part.status is PlacementStatus.OPTIMAL
    assert bound <= part.objective + 1e-9
    if circuit.name.startswith("qft"):
        assert bound == part.objective


def test_a_heuristic_that_meets_the_pair_bound_skips_the_model(monkeypatch):
    """QFT-8 over five QPUs of 4: the spread bound is 1, the pair bound 4, and the heuristic's 4
    is proven without the exact model (which took about 6 s to prove it)."""
    def unused(*args, **kwargs):
        raise AssertionError("the exact model ran")

    monkeypatch.setattr(placement, "_solve", unused)
    result = qmosaic.compile(qft_cp(8), "star-5x4", options=FAST)
    solver = result.report["solver"]
    assert (solver["status"], solver["solver"], solver["bound"], solver["objective"]) == \
        ("optimal", "heuristic", 4.0, 4.0)
    assert_verified(result)


@pytest.mark.parametrize("complete", [False, True])
def test_the_model_stops_at_a_placement_that_meets_the_pair_bound(monkeypatch, complete):
    """QFT-9 on three QPUs of 3 (a line, or all-to-all where the model's objective carries a
    constant): the heuristic, held at its first placement here (on the line its searches reach
    6 themselves), scores more than 6, the model 6 = the pair bound.  Here HiGHS's run never
    returns on its own (it sleeps after solving): the run must stop at the incumbent that meets
    the bound, proven, not be killed at the time limit with that incumbent unproven."""
    real, until = placement._run_highs, placement._run_highs_until
    outcomes = []

    def stays(hg, start, capacity, network, weights, **kwargs):
        return (start, *placement.score(hg, start, network, weights))

    def first_only(hg, network, weights, capacity, **kwargs):
        return [stays(hg, placement._first(hg, capacity, network, weights, None), capacity, network, weights)]

    def solves_then_hangs(h):
        out = real(h)
        time.sleep(60)
        return out

    def spy(*args):
        outcomes.append(until(*args))
        return outcomes[-1]

    monkeypatch.setattr(placement, "_pair_bound", lambda *args, **kwargs: 6.0)
    monkeypatch.setattr(placement, "_run_highs", solves_then_hangs)
    monkeypatch.setattr(placement, "_run_highs_until", spy)
    monkeypatch.setattr(placement, "local_search", stays)
    monkeypatch.setattr(placement, "_fast_search", first_only)
    network = (qmosaic.Network.from_modules([3, 3, 3], [(0, 1), (0, 2), (1, 2)], name="a2a3x3", comm_qubits=4)
               if complete else qmosaic.load_network("line-3x3"))
    dag, inter, _ = _analysed(qft_cp(9))
    part = place(dag, network, interactions=inter, time_limit=5, teledata=False)
    assert [out.optimal for out in outcomes] == [True]
    assert (part.status, part.solver, part.objective, part.bound) == (PlacementStatus.OPTIMAL, "HiGHS", 6.0, 6.0)
    assert part.heuristic_objective > 6


def test_an_incumbent_at_the_target_is_returned_as_optimal(monkeypatch):
    """The solver's child reports incumbents 5 then 3, then would run on and end with 2: with
    target 3 the run stops at 3, proven; without a target it ends at 2 as the child says."""
    from qmosaic.passes.placement import _run_highs_until

    class FakeHighs:
        def __init__(self):
            self.cbMipImprovingSolution = self
            self.report = None

        def subscribe(self, callback):
            self.report = callback

        def run(self):
            for value in (5.0, 3.0):
                data = type("Out", (), {"objective_function_value": value, "mip_dual_bound": 0.0,
                                        "mip_solution": [value]})
                self.report(type("Event", (), {"data_out": data}))
            time.sleep(1)

    def final(h):
        h.run()
        return placement._HighsOutcome(True, True, 2.0, 2.0, [2.0])

    monkeypatch.setattr(placement, "_run_highs", final)
    stopped = _run_highs_until(FakeHighs(), time.monotonic() + 30, 3.0)
    ran = _run_highs_until(FakeHighs(), time.monotonic() + 30)
    assert (stopped.optimal, stopped.objective, stopped.bound) == (True, 3.0, 3.0)
    assert (ran.optimal, ran.objective) == (True, 2.0)


def test_no_bound_without_gates_that_can_run_remotely():
    qc = QuantumCircuit(4)
    qc.h(range(4))
    _, _, hg = _analysed(qc)
    assert placement._pair_bound(hg, [2, 2], time_limit=1, seed=0) == 0.0


def test_no_bound_above_the_column_cap(monkeypatch):
    """QFT-8 over QPUs of 4 has a bound of 4 (28 pairs and 14 hyperedges); with fewer columns
    allowed it is not solved (a relaxation too large for its share of the time gives nothing)."""
    _, _, hg = _analysed(qft_cp(8))
    assert placement._pair_bound(hg, [4] * 5, time_limit=5, seed=0) == 4.0
    monkeypatch.setattr(placement, "PAIR_MAX_COLS", 41)
    assert placement._pair_bound(hg, [4] * 5, time_limit=5, seed=0) == 0.0


@pytest.mark.parametrize("objective", ["fidelity", "latency"])
def test_the_model_gets_no_stopping_target_under_other_objectives(monkeypatch, objective):
    """Those objectives are not whole numbers of ebits and have no bound above 0: a placement
    costing almost nothing (latency in seconds) must not count as proven at "0"."""
    targets = []
    real = placement._run_highs_until

    def spy(h, deadline, target=-math.inf):
        targets.append(target)
        return real(h, deadline, target)

    monkeypatch.setattr(placement, "_run_highs_until", spy)
    part = _place_qft(9, "line-3x3", objective=objective)
    assert targets == [-math.inf] and part.status in (PlacementStatus.OPTIMAL, PlacementStatus.FEASIBLE)


def _place_qft(n: int, net: str, **kwargs):
    dag, inter, _ = _analysed(qft_cp(n))
    return place(dag, qmosaic.load_network(net), interactions=inter, time_limit=3, teledata=False, **kwargs)

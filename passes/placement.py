"""ILPPlacement: assign logical qubits to QPUs, minimising the chosen objective (default: ebits).

The exact model (PuLP; HiGHS through highspy by default, CBC on request):

* ``x[q,k]`` binary: qubit q on QPU k;  ``sum_k x[q,k] = 1``;  ``sum_q x[q,k] <= capacity_k``.
* ``v[h,k]`` in [0,1]: QPU k holds hyperedge h's qubit or a copy of it: ``v >= x[q_h,k]``;
  a gate diagonal on h's qubit only runs at its partner p's home: ``v[h,k] >= x[p,k]``; a
  gate diagonal on both picks a server QPU s (binary ``a[g,s]``, ``sum_s a = 1``; gates with
  the same two hyperedges share one choice): ``v[h0,s] >= a[g,s]``, ``v[h1,s] >= a[g,s]`` —
  either home, or a third QPU holding copies of both.
* copies of h reach the QPUs with ``v = 1`` along a Steiner tree ``t[h,e]`` in the undirected
  cut formulation (one cut per link on tree networks, every cut on small cyclic ones), or
  directly from the source on complete networks (``w[h,j,k] >= x[q_h,j] + v[h,k] - 1``), or
  along shortest paths on large networks.
* ``sum_h t[h,e] <= max_ebits_e`` (entanglement budgets).
* minimise ``sum_e weight_e * ebits_e + sum cost[q,k] x[q,k]`` (see ``objective.py``): with
  the ``ebits`` objective this is exactly what the lowering spends when communication qubits
  are not scarce.

A greedy + local-search heuristic gives the warm start and the fallback when the model is
too large or the solver finds nothing in time; with the ebits objective and no link budgets
``effort="fast"``'s gain search runs too, and its placement is the warm start where the model
scores it lower, and the answer where the lowering spends less on it (:func:`_fewer_moved`).
When the heuristic meets the spread bound (:mod:`~qmosaic.passes.spread`) or, with HiGHS,
the pair-capacity bound (:mod:`~qmosaic.passes.pairbound`, ``PAIR_SHARE`` of the time limit)
it is optimal and the model is not built; HiGHS stops at a placement that meets them.  With
the ebits objective HiGHS stops at an absolute gap below 1 (the objective is a whole number).
The local searches (descent, kicks, TeleData refinement) stop once they stall for
``STALL_SHARE`` of the time limit; the model does not (its late improvements and proofs come
without warning, see ``STALL_SHARE``).
"""

from __future__ import annotations

import enum
import functools
import math
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import combinations

import numpy as np
import pulp
import rustworkx as rx
from qiskit.dagcircuit import DAGCircuit
from qiskit.transpiler.basepasses import AnalysisPass

from qmosaic.targets.errors import BudgetError, CapacityError, CommunicationError, QmosaicError, SolverError
from qmosaic.targets.models import Network

from .gains import gain_search
from .hypergraph import (Hypergraph, build_hypergraph, copy_excess, link_usage, plan_servers, remote_qubits, route_cost,
                         scarce_comm, servers_cost)
from .interactions import Interactions, analyse_interactions
from .objective import OBJECTIVES, Weights, objective_weights, overflow, score
from .pairbound import highs_model, pair_relaxation
from .server_lp import cheaper_servers
from .spectral import spectral_order
from .spread import component_sizes, spread_bound
from .teledata import Timelines, teledata_gain, timelines

__all__ = ["ILPPlacement", "Partition", "PlacementStatus", "place", "check_budgets", "fit_budgets", "SOLVERS",
           "OBJECTIVES", "EFFORTS", "MAX_SEED", "check_seed"]

SOLVERS = ("highs", "cbc")
MAX_SEED = 2**31 - 1  # HiGHS's random_seed range: it kept its previous seed for a larger one, silently
MAX_MODEL_TERMS = 200_000  # above this the exact model is not built; the heuristic answers
MAX_CUT_QPUS = 8  # cyclic networks up to this size get the exact Steiner cut model
INITIAL_WORK = 50_000  # gate evaluations (~0.5 s) for choosing the first placement among network orders
EFFORTS = ("fast", "full")
# effort "fast": qubit-hyperedge visits of the gain search per two-qubit gate (between
# FAST_MIN_WORK and FAST_MAX_WORK: 100k gates on 16 QPUs took 29 s uncapped), or gate
# evaluations of the local search per gate for other objectives
FAST_WORK_PER_GATE = 100
FAST_MIN_WORK = 20_000
FAST_MAX_WORK = 1_000_000
# other objectives: placement evaluations x gates (40k-gate latency run: 17.9 s at 1M, 3.8 s at 200k)
FAST_MAX_GATE_EVALS = 50_000
# visits (~0.6 s) of the gain search before the local search on instances too large to model
# (15 s limit: mqt-multiplier64-grid2x3 1318 -> 1247 ebits, mqt-random64-grid2x3 492 -> 456)
GAIN_WORK = 2_000_000
KICK_SWAPS = 2  # random swaps per kick of the iterated local search
KICK_SHARE = 0.4  # of the time limit, for kicks after the exact model on networks that are not complete ...
KICK_MAX_QUBITS = 32  # ... for circuits this small (64 qubits: the model's time is worth more, see _kick)
# A local search stops after STALL_SHARE of the time limit (at least STALL_MIN s) without a gain.
# The same rule on HiGHS (no new incumbent and a dual bound that, rising as it did, would not
# reach the incumbent) saved half the model's time over 93 solves of the full benchmark but
# lost 8 of 56 proofs and 3 late improvements (`dnn_n51-a2a3/a2a4` by 4 ebits): proofs come
# when the tree is exhausted and the bound jumps, not by a steady climb.
STALL_SHARE = 1 / 3
STALL_MIN = 1.0
# HiGHS past its time limit (stuck in a root phase that neither checks the clock nor reports
# incumbents) is killed this share of the limit later (it was a whole limit: up to 2x the time).
GRACE_SHARE = 0.1
INTEGRAL_GAP = 0.999  # HiGHS's absolute gap when the objective counts ebits: below 1 is proof
REFINE_STALL = 0.2  # share of that for the TeleData refinement (a tie-break among equal placements)
# effort "fast": the TeleData refinement's placement evaluations x gates (each scores every gate
# and plans the windows), not run where that leaves fewer than FAST_REFINE_MIN_EVALS
FAST_REFINE_GATE_EVALS = 10_000
FAST_REFINE_MIN_EVALS = 20
FAST_REFINE_PATIENCE = 50  # ... and it stops after this many evaluations in a row without a gain
SERVER_TIME_LIMIT = 10.0  # seconds, a safety net: the servers' linear program is bounded by size (passes/server_lp.py)
RISE_SAVING = 1 / 3  # the TeleData refinement runs again, free to raise the model's count, where moves save this share
# effort "fast": the first fill cut at other places is a start on circuits of at most this many
# two-qubit gates (scale benchmark, 30k gates on a 4x4 grid: placement 2.7 -> 16.6 s, the other
# starts' lowerings included, and 58561 -> 59175 ebits with it)
CUT_FILL_MAX_GATES = 5_000
# the pair-capacity bound (passes/pairbound.py): its share of the time limit, and no larger relaxation
# (autocomm-qft_300 over 30 QPUs of 10, 9,937 columns: HiGHS's root LP alone takes 25 s; mqt-qft360
# over 20 QPUs, 7,368 columns: bound 124 in 1.5 s, where the spread bound is 14)
PAIR_SHARE = 0.1
PAIR_MAX_COLS = 8_000


class PlacementStatus(enum.Enum):
    """How good the returned placement is known to be."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible-at-time-limit"
    HEURISTIC = "heuristic"


@dataclass(frozen=True)
class Partition:
    """The placer's answer: ``placement[q]`` = QPU of qubit q, ``server[g]`` = QPU where 2q gate g runs."""

    placement: tuple[int, ...]
    server: tuple[int, ...]
    ebits: int
    status: PlacementStatus
    objective: float
    bound: float | None
    gap: float | None
    seconds: float
    solver: str
    heuristic_objective: float
    objective_name: str = "ebits"
    narrowed: tuple[tuple[str, int], ...] = ()  # (QPU, data qubits the placer could use) where fewer than it has

    def to_dict(self) -> dict:
        def tidy(value: float | None) -> float | None:
            return None if value is None else round(value, 6) + 0.0

        out = {"objective_name": self.objective_name, "status": self.status.value, "solver": self.solver,
               "objective": tidy(self.objective), "bound": tidy(self.bound), "gap": tidy(self.gap),
               "seconds": round(self.seconds, 4), "heuristic_objective": tidy(self.heuristic_objective)}
        if self.narrowed:
            out["narrowed"] = dict(self.narrowed)
        return out


def route_weight(network: Network, weights: Weights) -> np.ndarray:
    """Objective cost of one copy sent along the best route from QPU j to QPU k."""
    k = len(network.qpus)
    out = np.zeros((k, k))
    for a in range(k):
        for b in range(k):
            out[a, b] = route_cost(network, a, b, weights.link)
    return out


# --- heuristic ----------------------------------------------------------------------------------
def _bfs_order(network: Network) -> list[int]:
    order, seen = [0], {0}
    for node in order:
        for nxt in sorted(network.graph.neighbors(node)):
            if nxt not in seen:
                seen.add(nxt)
                order.append(nxt)
    return order


def _dfs_order(network: Network, root: int) -> list[int]:
    order, stack, seen = [], [root], set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        stack.extend(sorted((v for v in network.graph.neighbors(node) if v not in seen), reverse=True))
    return order


def _fill(n: int, capacity: list[int], order: list[int]) -> np.ndarray:
    """Qubits in index order fill the QPUs in ``order``."""
    free, placement, k = list(capacity), np.zeros(n, dtype=np.int64), 0
    for q in range(n):
        while free[order[k]] == 0:
            k += 1
        placement[q] = order[k]
        free[order[k]] -= 1
    return placement


def _interaction_order(n: int, pairs: np.ndarray) -> np.ndarray:
    """Qubits breadth-first over the interaction graph (neighbours in index order), each
    component from its lowest qubit: qubits that interact come out close together."""
    neighbours: list[set[int]] = [set() for _ in range(n)]
    for a, b in pairs.tolist():
        neighbours[a].add(b)
        neighbours[b].add(a)
    order, seen = [], [False] * n
    for root in range(n):
        if seen[root]:
            continue
        seen[root], queue = True, [root]
        for v in queue:
            order.append(v)
            for u in sorted(neighbours[v]):
                if not seen[u]:
                    seen[u] = True
                    queue.append(u)
    return np.array(order, dtype=np.int64)


def _initial(n: int, capacity: list[int], network: Network, evaluate, pairs: np.ndarray) -> np.ndarray:
    """The cheapest fill of the QPUs, qubits in index order (or, on complete networks, also
    breadth-first over their interactions), QPUs in breadth-first order from QPU 0 or
    depth-first order from each QPU.
    Depth-first, consecutive QPUs tend to be linked, so a chain of interacting qubits crosses
    few links (``mqt-ghz64-grid2x3``: 6 ebits breadth-first, 3 depth-first); over the
    interactions, ``adder_n64-a2a4`` starts at 15 ebits instead of 108.  On complete networks
    every QPU order is alike; on large circuits only as many fills are tried as
    ``INITIAL_WORK`` gate evaluations allow.  Over the interactions on complete networks only:
    at a 3 s limit it gave ``cpfrac32-line4x9`` 127 ebits instead of 118 (and
    ``chem10-smallworld5`` 141 instead of 143); not measured at 15 s."""
    return _cheapest([fill for _, fill in _fills(n, capacity, network, pairs, near=network.is_complete)], evaluate)


def _starts(n: int, capacity: list[int], network: Network, evaluate, pairs: np.ndarray, *,
            floor: float = -math.inf) -> list[np.ndarray]:
    """Where ``effort="fast"`` starts a gain search each: :func:`_initial`'s fill on complete
    networks; elsewhere the cheapest fill in index order and the cheapest over the interactions,
    which :func:`_initial` does not try there.  Neither start wins everywhere (from the cheaper
    alone a permuted 16-qubit ring on ``ring-4x4`` ends at 6 ebits, from the other at 4).  Over
    the benchmark's 46 cases on other networks, against the index-order start alone:
    ``mqt-graphstate64-grid2x3`` 18 -> 6, ``mqt-qaoa64-grid2x3`` 192 -> 128,
    ``mqt-multiplier64-grid2x3`` 1393 -> 1359, ``mqt-random64-grid2x3`` 472 -> 494 (each start
    gets half the work).  Two starts on complete networks, where both kinds of fill are
    candidates already, cost ``dnn_n33-a2a4`` 12 -> 19 for the halved work.

    Then, on either kind of network and unless a start meets ``floor`` (a lower bound), the
    cheapest fill in :func:`spectral_order`, if it is cheaper than every start before it.  Over
    the benchmark: ``qugan_n71-a2a4`` 24 -> 9 ebits, ``autocomm-mctr_100-a2a10`` 243 -> 204,
    ``mqt-qft100-grid2x3`` 71 -> 57; 16 cases better, ``mqt-random25-grid2x2`` 129 -> 130.
    Offered as a start regardless, it cost twice the search time on ``qftnoswap`` for no ebit;
    offered among :func:`_initial`'s fills instead, the cheaper start often ended worse
    (``adder_n28-a2a3`` 2 -> 7).

    Last, off complete networks with two communication qubits or more per QPU
    (:func:`~qmosaic.passes.hypergraph.scarce_comm`) and on circuits of at most
    ``CUT_FILL_MAX_GATES`` gates, the first start cut at other places (every qubit moved 1 to
    ``max(capacity) - 1`` slots on, cyclically), if it is cheaper than every start before it: a QFT on a line of four
    QPUs of 4 is best cut as qubits 1-4, 5-8, 9-12, 13-15 and 0, which moves and swaps from
    any other cut do not reach (``qft16-line4x4`` 22 -> 18 ebits, ``mqt-qft25-grid2x2`` and
    ``mqt-ae25-grid2x2`` 16 -> 9).  Among the index-order fills instead, the cheaper start
    ended worse on ``mqt-qft64-grid2x3`` (83 -> 104)."""
    evaluate = _remembered(evaluate)
    if network.is_complete:
        starts = [_initial(n, capacity, network, evaluate, pairs)]
    else:
        fills = _fills(n, capacity, network, pairs, near=True)
        families = [[fill for kind, fill in fills if kind == near] for near in (False, True)]
        starts = [_cheapest(family, evaluate) for family in families if family]
    least = min(evaluate(s)[0] for s in starts)
    along = spectral_order(n, pairs) if len(pairs) and least > floor + 1e-9 else None
    if along is not None:
        fill = _cheapest([_along(fill, along) for _, fill in _fills(n, capacity, network, pairs, near=False)],
                         evaluate)
        if evaluate(fill)[0] < least:
            starts.append(fill)
    if not (network.is_complete or scarce_comm(network)) and least > floor + 1e-9 and 1 < max(capacity) \
            and len(pairs) <= CUT_FILL_MAX_GATES:
        shifts = range(1, min(max(capacity), _fill_budget(pairs) + 1))
        fill = _cheapest([np.roll(starts[0], shift) for shift in shifts], evaluate)
        if evaluate(fill)[0] < min(evaluate(s)[0] for s in starts):
            starts.append(fill)
    return starts


def _remembered(evaluate):
    """``evaluate`` (a placement's score) computed once per placement."""
    seen: dict[bytes, tuple] = {}

    def once(placement: np.ndarray):
        key = placement.tobytes()
        if key not in seen:
            seen[key] = evaluate(placement)
        return seen[key]
    return once


def _along(fill: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``fill`` (a placement of the qubits in index order) given instead to the qubits of ``order``:
    its i-th qubit takes the i-th slot."""
    moved = np.empty(len(fill), dtype=np.int64)
    moved[order] = fill
    return moved


def _fills(n: int, capacity: list[int], network: Network, pairs: np.ndarray, *,
           near: bool) -> list[tuple[bool, np.ndarray]]:
    """:func:`_initial`'s candidate fills, as many as ``INITIAL_WORK`` allows, each marked True if
    over the interactions; with ``near``, each QPU order's fill in index order is followed by
    its fill over the interactions."""
    orders = [_bfs_order(network)]
    if not network.is_complete:
        orders += [_dfs_order(network, root) for root in range(len(capacity))]
    budget = _fill_budget(pairs)
    along = _interaction_order(n, pairs) if near and budget > 1 else None
    fills = []
    for order in dict.fromkeys(map(tuple, orders)):
        fill = _fill(n, capacity, list(order))
        fills.append((False, fill))
        if along is not None:
            fills.append((True, _along(fill, along)))
    return fills[:budget]


def _fill_budget(pairs: np.ndarray) -> int:
    """How many first placements may be scored: ``INITIAL_WORK`` gate evaluations (at least one)."""
    return max(1, INITIAL_WORK // max(1, len(pairs)))


def _cheapest(fills: list[np.ndarray], evaluate) -> np.ndarray:
    """The fill ``evaluate`` scores lowest (not scored if it is the only one)."""
    if len(fills) == 1:
        return fills[0]
    costs = [evaluate(p)[0] for p in fills]
    return fills[int(np.argmin(costs))]


def local_search(hg: Hypergraph, placement: np.ndarray, capacity: list[int], network: Network, weights: Weights,
                 *, deadline: float, cost=None, movable: list[int] | None = None,
                 stall: float = math.inf, target: float = -math.inf,
                 max_evals: int | None = None, patience: int | None = None) -> tuple[np.ndarray, float, np.ndarray]:
    """First-improvement moves and swaps until no gain, the deadline, ``stall`` seconds
    without a gain, ``max_evals`` evaluations, ``patience`` evaluations in a row without a
    gain, or a cost at ``target`` (a lower bound);
    returns the placement, its cost and its servers.  ``cost(placement) ->
    (cost, servers)`` defaults to ``score``; ``movable`` limits the qubits moved or swapped
    (default: all that matter to the objective).

    Skipped when one evaluation costs more than 1/50 of the time left: moves are tried one
    qubit and QPU at a time, so fewer evaluations than that cannot improve a large instance,
    and the deadline is only checked between evaluations."""
    cost = cost or (lambda p: score(hg, p, network, weights))
    clock = time.monotonic()
    best, best_server = cost(placement)
    if (time.monotonic() - clock) * 50 > deadline - time.monotonic():
        return placement, best, best_server
    load = np.bincount(placement, minlength=len(capacity))
    active = range(hg.num_qubits) if not weights.plain_ebits else sorted(set(hg.qubits.ravel().tolist()))
    active = active if movable is None else movable
    improved, last = True, time.monotonic()
    evals = math.inf if max_evals is None else max_evals - 1  # the first evaluation is spent
    idle, patience = 0, math.inf if patience is None else patience
    while improved and best > target + 1e-9 and time.monotonic() < deadline and evals > 0:
        improved = False
        for q in active:
            home = int(placement[q])
            for k in range(len(capacity)):
                now = time.monotonic()
                if k == home or now > deadline or now - last > stall or evals <= 0:
                    continue
                partners = [None] if load[k] < capacity[k] else [r for r in active if placement[r] == k]
                for r in partners:
                    evals, idle = evals - 1, idle + 1
                    if evals < 0 or idle > patience:
                        evals = -1
                        break
                    placement[q] = k
                    if r is not None:
                        placement[r] = home
                    value, server = cost(placement)
                    if value < best - 1e-12:
                        best, best_server, improved, last, idle = value, server, True, time.monotonic(), 0
                        if best <= target + 1e-9:  # no placement does better
                            return placement, best, best_server
                        if r is None:
                            load[home] -= 1
                            load[k] += 1
                        home = k
                        break
                    placement[q] = home
                    if r is not None:
                        placement[r] = k
    return placement, best, best_server


def kick_search(hg: Hypergraph, placement: np.ndarray, capacity: list[int], network: Network, weights: Weights,
                *, deadline: float, seed: int, max_kicks: int | None = None,
                stall: float = math.inf) -> tuple[np.ndarray, float, np.ndarray]:
    """Iterated local search from ``placement`` until the deadline or ``stall`` seconds without a
    better placement: swap two random pairs of qubits on different QPUs (a kick), descend with
    :func:`local_search`, go on from the result if it is no worse; returns the best placement
    seen, its cost and servers.  ``seed`` fixes the kicks; ``max_kicks`` bounds them (a deadline
    alone makes the answer depend on the machine's speed)."""
    rng = np.random.default_rng(seed)
    active = np.array(sorted(set(hg.qubits.ravel().tolist())), dtype=np.int64)
    current, cost, server = local_search(hg, placement.copy(), capacity, network, weights, deadline=deadline)
    best, last = (current.copy(), cost, server), time.monotonic()
    kicks = 0
    while (len(active) >= 2 and time.monotonic() < min(deadline, last + stall)
           and (max_kicks is None or kicks < max_kicks)):
        kicks += 1
        trial = current.copy()
        for _ in range(KICK_SWAPS):
            a = int(rng.choice(active))
            others = active[trial[active] != trial[a]]
            if len(others):
                b = int(rng.choice(others))
                trial[a], trial[b] = trial[b], trial[a]
        trial, trial_cost, trial_server = local_search(hg, trial, capacity, network, weights, deadline=deadline)
        if trial_cost <= cost:
            current, cost = trial, trial_cost
        if trial_cost < best[1] - 1e-12:
            best, last = (trial.copy(), trial_cost, trial_server), time.monotonic()
    return best


# --- symmetry ------------------------------------------------------------------------------------
def twin_classes(network: Network, weights: Weights) -> list[list[int]]:
    """Classes (of two or more) of interchangeable QPUs: equal in every figure and qubit weight, and
    linked to every other QPU alike; swapping two of them maps any placement to one of equal cost.

    Networks with entanglement budgets get none (their routes may break ties unevenly)."""
    if network.has_budgets:
        return []
    kq = len(network.qpus)

    def signature(k: int) -> tuple:
        fields = network.qpus[k].to_dict()
        fields.pop("name")
        return (tuple(sorted(fields.items())), weights.qubit[:, k].tobytes())

    def linked(j: int, m: int):
        e = network.link_index(j, m)
        return None if e is None else float(weights.link[e])

    def twins(j: int, k: int) -> bool:
        return signature(j) == signature(k) and all(linked(j, m) == linked(k, m) for m in range(kq) if m not in (j, k))

    classes: list[list[int]] = []
    for k in range(kq):
        for cls in classes:
            if all(twins(j, k) for j in cls):
                cls.append(k)
                break
        else:
            classes.append([k])
    return [c for c in classes if len(c) > 1]


def canonical(placement: np.ndarray, classes: list[list[int]]) -> np.ndarray:
    """Relabel twin QPUs so that, within a class, they appear in order of their lowest qubit."""
    out = placement.copy()
    for cls in classes:
        first = {k: int(np.argmax(placement == k)) if (placement == k).any() else len(placement) for k in cls}
        for new, old in zip(cls, sorted(cls, key=lambda k: (first[k], k))):
            out[placement == old] = new
    return out


def _break_symmetry(prob: pulp.LpProblem, x, classes: list[list[int]]) -> None:
    """Twin QPU c[i+1] holds qubit q only if c[i] holds a lower qubit: ``x[q,c[i+1]] <= seen[q-1,c[i]]``,
    with ``seen[q,k] = seen[q-1,k] + x[q,k]`` (how many of qubits 0..q sit on k)."""
    n = len(x)
    for cls in classes:
        for k, nxt in zip(cls, cls[1:]):
            seen = None
            for q in range(n):
                if seen is None:
                    prob += x[q][nxt] == 0, f"twin_k{nxt}_q{q}"
                else:
                    prob += x[q][nxt] <= seen, f"twin_k{nxt}_q{q}"
                if q < n - 1:
                    cur = pulp.LpVariable(f"seen_k{k}_q{q}", 0, n)
                    prob += cur == (seen if seen is not None else 0) + x[q][k], f"seen_k{k}_q{q}"
                    seen = cur


# --- exact model ---------------------------------------------------------------------------------
@dataclass
class _Model:
    problem: pulp.LpProblem
    x: list[list[pulp.LpVariable]]
    a: dict[tuple[int, int], list[pulp.LpVariable]]
    twins: list[list[int]]


def _cuts(network: Network) -> tuple[list[frozenset[int]], bool] | None:
    """Cuts for the Steiner cut model and whether tree variables must be integer (cycles)."""
    k, g = len(network.qpus), network.graph
    if len(network.links) == k - 1:  # a tree: one cut per link, exact with continuous t
        cuts = []
        for a, b in g.edge_list():
            h = g.copy()
            h.remove_edge(a, b)
            cuts.append(frozenset(int(v) for v in rx.node_connected_component(h, a)))
        return cuts, False
    if k > MAX_CUT_QPUS:
        return None
    rest = list(range(1, k))
    return [frozenset((0,) + c) for r in range(len(rest)) for c in combinations(rest, r)], True


def _hyperedge_constraints(hg: Hypergraph) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    forced: set[tuple[int, int]] = set()  # (hyperedge, partner qubit)
    flex: set[tuple[int, int]] = set()  # (hyperedge of side 0, hyperedge of side 1)
    for g, (e0, e1) in enumerate(hg.edge.tolist()):
        if e0 >= 0 and e1 >= 0:
            flex.add((e0, e1))
        elif e0 >= 0 or e1 >= 0:
            s = 0 if e0 >= 0 else 1
            forced.add((int(hg.edge[g, s]), int(hg.qubits[g, 1 - s])))
    return forced, flex


@dataclass(frozen=True)
class _Shape:
    """What the exact model is built from, and how many constraint terms it will have."""

    forced: set[tuple[int, int]]
    flex: set[tuple[int, int]]
    used: list[int]  # hyperedges that may need copies
    cuts: tuple[list[frozenset[int]], bool] | None
    terms: int


def _shape(hg: Hypergraph, network: Network) -> _Shape:
    kq = len(network.qpus)
    forced, flex = _hyperedge_constraints(hg)
    used = sorted({h for h, _ in forced} | {h for pair in flex for h in pair})
    cuts = None if network.is_complete else _cuts(network)
    per_edge = kq + (len(cuts[0]) * 2 * kq if cuts else kq * kq)
    return _Shape(forced, flex, used, cuts, (len(forced) + 2 * len(flex)) * kq + len(used) * per_edge)


def build_model(hg: Hypergraph, capacity: list[int], network: Network, weights: Weights, *,
                symmetry_breaking: bool = True, shape: _Shape | None = None) -> _Model | None:
    """The ILP above, or ``None`` if it would exceed ``MAX_MODEL_TERMS``."""
    n, kq = hg.num_qubits, len(capacity)
    shape = shape if shape is not None else _shape(hg, network)
    if shape.terms > MAX_MODEL_TERMS:
        return None
    forced, flex, used, cuts = shape.forced, shape.flex, shape.used, shape.cuts
    prob = pulp.LpProblem("qmosaic_placement", pulp.LpMinimize)
    x = [[pulp.LpVariable(f"assign_q{q}_k{k}", cat="Binary") for k in range(kq)] for q in range(n)]
    v = {(h, k): pulp.LpVariable(f"holds_h{h}_k{k}", 0, 1) for h in used for k in range(kq)}
    a = {pair: [pulp.LpVariable(f"server_h{pair[0]}_h{pair[1]}_k{k}", cat="Binary") for k in range(kq)]
         for pair in sorted(flex)}
    for q in range(n):
        prob += pulp.lpSum(x[q]) == 1, f"one_qpu_q{q}"
    for k in range(kq):
        prob += pulp.lpSum(x[q][k] for q in range(n)) <= capacity[k], f"capacity_k{k}"
    src = hg.edge_qubit
    for h in used:
        for k in range(kq):
            prob += v[h, k] >= x[src[h]][k], f"source_h{h}_k{k}"
    for h, p in sorted(forced):
        for k in range(kq):
            prob += v[h, k] >= x[p][k], f"need_h{h}_q{p}_k{k}"
    for (h0, h1), row in sorted(a.items()):
        prob += pulp.lpSum(row) == 1, f"one_server_h{h0}_h{h1}"
        for k in range(kq):
            if network.qpus[k].comm_qubits < 2:  # no room for two copies: only a home may serve
                prob += row[k] <= x[src[h0]][k] + x[src[h1]][k], f"homeonly_h{h0}_h{h1}_k{k}"
        for k in range(kq):
            prob += v[h0, k] >= row[k], f"serve0_h{h0}_h{h1}_k{k}"
            prob += v[h1, k] >= row[k], f"serve1_h{h0}_h{h1}_k{k}"
    if cuts is None:
        copies = _star_cost(prob, v, used, x, src, network, weights)
    else:
        copies = _steiner_cost(prob, v, used, cuts, network, weights)
    placed = pulp.lpSum(float(weights.qubit[q, k]) * x[q][k] for q in range(n) for k in range(kq)
                        if weights.qubit[q, k])
    prob += copies + placed
    twins = twin_classes(network, weights) if symmetry_breaking else []
    _break_symmetry(prob, x, twins)
    return _Model(prob, x, a, twins)


def _star_cost(prob, v, used, x, src, network: Network, weights: Weights):
    """Copies sent from the source QPU straight along the best route (exact on complete networks)."""
    kq = len(network.qpus)
    budgets = network.has_budgets
    if weights.plain_ebits and network.is_complete and not budgets:
        return pulp.lpSum(v.values()) - len(used)
    cost = route_weight(network, weights)
    w = {(h, j, k): pulp.LpVariable(f"send_h{h}_k{j}_k{k}", 0, 1)
         for h in used for j in range(kq) for k in range(kq) if j != k}
    for (h, j, k), var in w.items():
        prob += var >= x[src[h]][j] + v[h, k] - 1, f"send_h{h}_k{j}_k{k}"
    for e, link in enumerate(network.links):
        if link.max_ebits is not None:
            j, k = (network.index[name] for name in link.between)
            terms = [w[h, a, b] for h in used for a in range(kq) for b in range(kq) if a != b
                     and e in _route_links(network, a, b)]
            prob += pulp.lpSum(terms) <= link.max_ebits, f"budget_l{e}"
    return pulp.lpSum(float(cost[j, k]) * var for (_, j, k), var in w.items())


def _route_links(network: Network, a: int, b: int) -> set[int]:
    path = network.route(a, b)
    return {network.link_index(x, y) for x, y in zip(path, path[1:])}


def _steiner_cost(prob, v, used, cuts_and_integral, network: Network, weights: Weights):
    """Undirected cut formulation of a Steiner tree per hyperedge: exact ebits of the fan-out."""
    cuts, integral = cuts_and_integral
    links = [tuple(network.index[e] for e in link.between) for link in network.links]
    kq = len(network.qpus)
    cat = "Binary" if integral else "Continuous"
    t = {(h, e): pulp.LpVariable(f"tree_h{h}_l{e}", 0, 1, cat=cat) for h in used for e in range(len(links))}
    for h in used:
        for c, cut in enumerate(cuts):
            inside = pulp.LpVariable(f"in_h{h}_c{c}", 0, 1)
            outside = pulp.LpVariable(f"out_h{h}_c{c}", 0, 1)
            for k in range(kq):
                prob += (inside if k in cut else outside) >= v[h, k], f"cutside_h{h}_c{c}_k{k}"
            crossing = [t[h, e] for e, (a, b) in enumerate(links) if (a in cut) != (b in cut)]
            prob += pulp.lpSum(crossing) >= inside + outside - 1, f"cut_h{h}_c{c}"
    for e, link in enumerate(network.links):
        if link.max_ebits is not None:
            prob += pulp.lpSum(t[h, e] for h in used) <= link.max_ebits, f"budget_l{e}"
    return pulp.lpSum(float(weights.link[e]) * var for (_, e), var in t.items())


@dataclass(frozen=True)
class _HighsOutcome:
    optimal: bool
    feasible: bool
    objective: float
    bound: float
    values: list[float]


def _run_highs(h) -> _HighsOutcome:
    import highspy

    h.run()
    info = h.getInfo()
    return _HighsOutcome(h.getModelStatus() == highspy.HighsModelStatus.kOptimal, info.primal_solution_status == 2,
                         float(info.objective_function_value), float(info.mip_dual_bound),
                         list(h.getSolution().col_value))


def _child(h, conn) -> None:
    def improved(event) -> None:  # every new incumbent reaches the parent before any kill
        out = event.data_out
        conn.send(("incumbent", _HighsOutcome(False, True, float(out.objective_function_value),
                                              float(out.mip_dual_bound), list(out.mip_solution))))

    try:
        h.cbMipImprovingSolution.subscribe(improved)
        conn.send(("final", _run_highs(h)))
    except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    conn.close()


def _run_highs_until(h, hard_deadline: float, target: float = -math.inf) -> _HighsOutcome | None:
    """``_run_highs`` in a forked child, killed at ``hard_deadline``: HiGHS checks its time limit
    only between phases and spent 111 s of a 15 s limit in root cut separation on
    ``qftnoswap80-a2a4`` (no callback is reached there either).  When killed, the last
    incumbent the child reported (``None`` if none).  An incumbent at ``target`` (a proven lower
    bound) or below is optimal: the child is killed and it is returned as such.  In-process
    where ``os.fork`` does not exist.  A bare ``os.fork``, not ``multiprocessing.Process``: that
    refuses to start inside daemonic processes, such as a ``multiprocessing.Pool``'s workers."""
    if not hasattr(os, "fork"):
        return _run_highs(h)
    receive, send = multiprocessing.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller
        try:
            receive.close()
            _child(h, send)
        finally:
            os._exit(0)
    send.close()
    last = None
    try:
        while receive.poll(max(0.0, hard_deadline - time.monotonic())):
            kind, outcome = receive.recv()
            if kind == "error":
                raise SolverError(f"HiGHS failed: {outcome}")
            if kind == "final":
                return outcome
            if outcome.objective <= target + 1e-6:
                return replace(outcome, optimal=True, bound=outcome.objective)
            last = outcome
        return last
    except EOFError:  # the child died without a final answer
        return last
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        receive.close()


class _WarmHiGHS(pulp.HiGHS):
    """PuLP's HiGHS interface with a warm start handed to HiGHS before it runs, the time limit
    counted from a deadline (PuLP builds the HiGHS model first, which takes seconds on large
    models), and the run stopped at ``deadline + grace`` whatever HiGHS is doing (``_solve``
    gives it ``GRACE_SHARE`` of its limit, at least 1 s)."""

    def __init__(self, warm: dict[str, float], *, deadline: float, grace: float, target: float = -math.inf,
                 **kwargs):
        super().__init__(**kwargs)
        self.warm, self.deadline, self.grace, self.target = warm, deadline, grace, target
        self.outcome: _HighsOutcome | None = None

    def callSolver(self, lp):
        cols = [(v.index, self.warm[v.name]) for v in lp.variables() if v.name in self.warm]
        if cols:
            idx = np.array([c[0] for c in cols], dtype=np.int32)
            val = np.array([c[1] for c in cols], dtype=np.float64)
            lp.solverModel.setSolution(len(cols), idx, val)
        lp.solverModel.setOptionValue("time_limit", max(0.05, self.deadline - time.monotonic()))
        self.outcome = _run_highs_until(lp.solverModel, self.deadline + self.grace, self.target)

    def findSolutionValues(self, lp):
        """(status, solution status) from the child's outcome; only variable values are read back."""
        out = self.outcome
        if out is None or not out.feasible:
            return pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound
        for var in lp.variables():
            var.varValue = out.values[var.index]
        if out.optimal:
            return pulp.LpStatusOptimal, pulp.LpSolutionOptimal
        return pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible


def _solve(model: _Model, warm: dict[str, float], *, solver: str, time_limit: float, seed: int, integral: bool,
           target: float = -math.inf):
    """Run the solver; ``(status, objective, bound, solver name)`` or ``None`` without a solution.
    ``integral``: every placement's objective is a whole number, so a gap below 1 proves
    optimality (HiGHS then stops sooner: ``qft_n29-a2a2`` 10.4 -> 8.1 s, ``wstate_n36-a2a3`` 6.0 -> 2.2 s).
    ``target``: a proven lower bound; with ``integral`` HiGHS stops at a placement that meets it
    (other objectives come within its 1e-6 tolerance without meeting it: a latency in seconds)."""
    if solver == "highs":
        offset = float(model.problem.objective.constant)  # PuLP does not hand the constant to HiGHS
        engine = _WarmHiGHS(warm, deadline=time.monotonic() + time_limit, grace=max(1.0, GRACE_SHARE * time_limit),
                            target=(target if integral else -math.inf) - offset, msg=False, threads=1,
                            timeLimit=time_limit, random_seed=seed, mip_rel_gap=0.0,
                            mip_abs_gap=INTEGRAL_GAP if integral else 0.0)
        model.problem.solve(engine)
        out = engine.outcome
        if out is None or not out.feasible:  # no feasible point, or stopped at the hard deadline
            return None
        obj = out.objective + offset
        bound = obj if out.optimal else max(0.0, out.bound + offset)  # every cost term is >= 0
        return (PlacementStatus.OPTIMAL if out.optimal else PlacementStatus.FEASIBLE), obj, bound, "HiGHS"
    for var in model.problem.variables():
        if var.name in warm:
            var.setInitialValue(warm[var.name])
    engine = pulp.PULP_CBC_CMD(msg=False, threads=1, timeLimit=time_limit, warmStart=True,
                               gapAbs=INTEGRAL_GAP if integral else None,
                               options=[f"randomSeed {seed}", f"randomCbcSeed {seed + 1}"])
    if not engine.available():
        raise SolverError("solver 'cbc' is not available (PuLP's bundled CBC binary is missing); "
                          "use solver='highs' or install coinor-cbc")
    model.problem.solve(engine)
    if model.problem.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return None
    optimal = model.problem.sol_status == pulp.LpSolutionOptimal
    obj = float(pulp.value(model.problem.objective))
    return (PlacementStatus.OPTIMAL if optimal else PlacementStatus.FEASIBLE), obj, (obj if optimal else None), "CBC"


def check_seed(seed) -> None:
    """Refuse a seed HiGHS cannot take (``QmosaicError``)."""
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        raise QmosaicError(f"seed must be an integer from 0 to {MAX_SEED} (HiGHS's range), got {seed!r}")


def _check_solver(solver: str) -> None:
    if solver not in SOLVERS:
        raise SolverError(f"unknown solver {solver!r}; choose one of {', '.join(SOLVERS)}")
    if solver == "highs":
        try:
            import highspy  # noqa: F401
        except ImportError:
            raise SolverError("solver 'highs' needs the highspy package, which is not installed; "
                              "pip install highspy, or use solver='cbc'") from None
        _mute_highs_banner()


@functools.cache
def _mute_highs_banner() -> None:
    """Build the process's first ``Highs`` with C-level stdout sent to /dev/null: highspy 1.16
    prints a copyright banner there on the first construction, before any option can turn
    logging off, and it would land in the compiled circuit the CLI writes to stdout."""
    import highspy

    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no stdout to protect
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def place(dag: DAGCircuit, network: Network, *, solver: str = "highs", time_limit: float = 10.0, seed: int = 0,
          use_ilp: bool = True, objective: str = "ebits", interactions: Interactions | None = None,
          symmetry_breaking: bool = True, warm_start: bool = True, teledata: bool = True,
          start_away: bool = True, initial: Sequence[int] | None = None, effort: str = "full",
          pair_bound: bool = True) -> Partition:
    """Place every logical qubit of ``dag`` on a QPU of ``network``.

    ``effort="fast"`` keeps the heuristic and bounds it by work, not time (:func:`_fast`).

    ``initial`` (a placement within capacity) is where the local search starts, instead of
    filling the QPUs in order; the exact model then starts from the search's answer.

    ``symmetry_breaking=False`` drops the twin-QPU ordering constraints, ``warm_start=False``
    withholds the heuristic placement from the solver and ``pair_bound=False`` skips the
    pair-capacity bound (:func:`_pair_bound`); they exist to measure what each buys
    (``python -m benchmarks ilp``).  ``teledata`` (objective ``ebits``, instances the exact
    model takes; at fast effort, circuits of at most 500 gates) then prefers, among placements
    scored alike, one where moving qubits saves ebits (:func:`_refine_for_teledata`;
    ``start_away=False`` when the lowering will not start qubits away, as in a pass manager)."""
    if effort not in EFFORTS:
        raise QmosaicError(f"unknown effort {effort!r}; choose one of {', '.join(EFFORTS)}")
    _check_solver(solver)
    check_seed(seed)
    start = time.monotonic()
    inter = interactions if interactions is not None else analyse_interactions(dag)
    weights = objective_weights(objective, network, inter)
    capacity = [q.qubits for q in network.qpus]
    n = inter.num_qubits
    if n > sum(capacity):
        raise CapacityError(f"the circuit has {n} qubits but network {network.name!r} has only "
                            f"{sum(capacity)} data qubits ({', '.join(f'{q.name}: {q.qubits}' for q in network.qpus)}); "
                            "use a larger network or fewer qubits")
    hg = build_hypergraph(inter)
    spent = functools.partial(_lowered_ebits, dag, network, interactions=inter, start_away=start_away)
    polish = functools.partial(_polished, hg, network=network, spent=spent, seed=seed) \
        if use_ilp and solver == "highs" and weights.plain_ebits and not network.has_budgets else None
    if effort == "fast":
        return _fast(hg, network, weights, capacity, start, initial=initial,
                     lowered=functools.partial(_fewer_evicted, dag, inter, hg, network=network, start_away=start_away),
                     refine=functools.partial(_fast_refine, dag, inter, hg, capacity=capacity, network=network,
                                              weights=weights, start_away=start_away) if teledata else None,
                     polish=polish)
    shape = _shape(hg, network) if use_ilp else None
    exact = shape is not None and shape.terms <= MAX_MODEL_TERMS  # else the heuristic has all the time
    first = _first(hg, capacity, network, weights, initial)
    if not exact and weights.plain_ebits and not network.has_budgets:  # the local search barely moves there
        first = gain_search(hg, first, capacity, network, work=GAIN_WORK, deadline=start + time_limit / 2)[0]
    stall = max(STALL_MIN, STALL_SHARE * time_limit)
    floor = spread_bound(component_sizes(n, hg.qubits), capacity) if weights.plain_ebits else 0
    least = floor  # a bound on placements without moves; ``floor`` holds with moves too
    if use_ilp and pair_bound and solver == "highs" and weights.plain_ebits:
        least = max(floor, _pair_bound(hg, capacity, time_limit=PAIR_SHARE * time_limit, seed=seed))
    placement, heur, server = local_search(hg, first, capacity, network, weights, stall=stall, target=least,
                                           deadline=start + max(0.2, time_limit / 4 if exact else time_limit))
    searched = None  # effort="fast"'s answer: the model's objective may rank it worse, the lowering better
    if exact and weights.plain_ebits and not network.has_budgets and heur > floor + 1e-9:
        # also at the pair bound: the lowering may evict fewer copies on it (_fewer_evicted)
        searched = min(_fast_search(hg, network, weights, capacity, initial=initial, floor=least), key=lambda f: f[1])
        if searched[1] < heur - 1e-9:
            placement, heur, server = searched
    best = Partition(tuple(placement.tolist()), tuple(server.tolist()), servers_cost(hg, placement, server, network),
                     PlacementStatus.HEURISTIC, heur, None, None, 0.0, "heuristic", heur, objective)
    if heur <= least + 1e-9:  # the heuristic meets a bound no placement beats
        best = _floored(best, least)
    elif exact:
        model = build_model(hg, capacity, network, weights, symmetry_breaking=symmetry_breaking, shape=shape)
        if model is not None:
            kicks = KICK_SHARE * time_limit if not network.is_complete and n <= KICK_MAX_QUBITS else 0.0
            best = _exact(model, hg, placement, network, weights, best, solver=solver, seed=seed, target=least,
                          time_limit=max(0.1, time_limit - kicks - (time.monotonic() - start)), warm_start=warm_start)
            if kicks and best.status is PlacementStatus.FEASIBLE:
                best = _kick(hg, best, capacity, network, weights, deadline=start + time_limit, seed=seed, stall=stall)
    if polish is not None and best.status is not PlacementStatus.OPTIMAL and best.objective > least + 1e-9:
        best = _polished_either(hg, best, searched, network, polish, spent)
    if teledata and exact and weights.plain_ebits and best.objective > floor:
        # not on large instances (not worth a pass), nor at the spread bound: moving qubits
        # cannot beat it either (the QPUs a connected set visits are joined by its ebits)
        best = _with_moves(dag, inter, hg, best, searched, capacity, network, weights, start_away=start_away,
                           deadline=max(start + time_limit, time.monotonic() + min(1.0, time_limit / 10)),
                           stall=stall * REFINE_STALL, time_limit=time_limit)
    if searched is not None:
        best = _fewer_evicted(dag, inter, hg, best, searched, network=network, start_away=start_away)
    if network.has_budgets:
        check_budgets(link_usage(hg, np.array(best.placement), np.array(best.server), network), network,
                      what="the best placement found")
    return replace(_floored(best, least), seconds=time.monotonic() - start)


def _first(hg: Hypergraph, capacity: list[int], network: Network, weights: Weights,
           initial: Sequence[int] | None) -> np.ndarray:
    """Where the searches start: ``initial`` if given, else :func:`_initial`'s cheapest fill."""
    if initial is not None:
        return np.array(initial, dtype=np.int64)
    return _initial(hg.num_qubits, capacity, network, lambda p: score(hg, p, network, weights), hg.qubits)


def _fast(hg: Hypergraph, network: Network, weights: Weights, capacity: list[int], start: float, *,
          initial: Sequence[int] | None, lowered, refine=None, polish=None) -> Partition:
    """The first placement improved by work-bounded searches (the same answer on any machine):
    with the ebits objective and no link budgets, :func:`~qmosaic.passes.gains.gain_search`
    from each of :func:`_starts` (``FAST_WORK_PER_GATE`` visits per gate in all, within
    ``FAST_MIN_WORK`` and ``FAST_MAX_WORK``);
    otherwise the local search, ``FAST_WORK_PER_GATE`` placement evaluations (fewer on circuits
    of more than ``FAST_MAX_GATE_EVALS / FAST_WORK_PER_GATE`` gates: each scores every gate).
    Then, above the spread bound, ``polish(best)`` (:func:`_polished`: cheaper servers for the
    placement) and ``refine(best)`` (:func:`_fast_refine`: a TeleData refinement bounded by
    work; it keeps to placements the searches score no higher than the polished one).  No
    exact model, no kicks; the status is ``heuristic`` unless the spread bound proves the
    answer, and that bound is the one reported (:func:`_floored`).
    ``lowered(best, other)`` prefers another start's answer where the lowering evicts copies
    on the cheapest (:func:`_fewer_evicted`), asked only where :func:`copy_excess` expects it to
    and expects fewer on the other (same answers on the scarce-communication presets and ion
    modules; on ``python -m benchmarks scale``'s 10k gates, 6.7 -> 2.2 s of placement)."""
    n, gates = hg.num_qubits, len(hg.qubits)
    floor = spread_bound(component_sizes(n, hg.qubits), capacity) if weights.plain_ebits else 0
    others = []
    if weights.plain_ebits and not network.has_budgets:
        others = _fast_search(hg, network, weights, capacity, initial=initial, floor=floor)
        placement, cost, server = min(others, key=lambda f: f[1])
    else:
        first = _first(hg, capacity, network, weights, initial)
        evals = max(1, min(FAST_WORK_PER_GATE, FAST_MAX_GATE_EVALS // max(1, gates)))  # each scores every gate
        placement, cost, server = local_search(hg, first, capacity, network, weights, deadline=math.inf,
                                               max_evals=evals, target=floor)
    if network.has_budgets:
        check_budgets(link_usage(hg, placement, server, network), network,
                      what="the placement effort='fast' found (effort='full' searches longer for one within budget)")
    found = Partition(tuple(placement.tolist()), tuple(server.tolist()), servers_cost(hg, placement, server, network),
                      PlacementStatus.HEURISTIC, cost, None, None, time.monotonic() - start, "heuristic", cost,
                      weights.objective)
    if polish is not None and cost > floor + 1e-9:
        found = polish(found)
    if refine is not None and others and found.objective > floor + 1e-9:
        found = refine(found)
    placement, server = np.array(found.placement), np.array(found.server)
    excess = copy_excess(hg, placement, server, network) if len(others) > 1 else 0
    for other in others if excess else ():  # else no lowering to pay for
        if copy_excess(hg, other[0], other[2], network) < excess:  # else it cannot evict fewer
            found = lowered(found, other)
    return replace(_floored(found, floor), seconds=time.monotonic() - start)


def _fast_refine(dag: DAGCircuit, inter: Interactions, hg: Hypergraph, best: Partition, *, capacity: list[int],
                 network: Network, weights: Weights, start_away: bool) -> Partition:
    """``effort="fast"``'s TeleData refinement (:func:`_refine_for_teledata`), bounded by work:
    ``FAST_REFINE_GATE_EVALS`` gate evaluations in all, none where that is under
    ``FAST_REFINE_MIN_EVALS`` placements (over 500 gates: no gain on the benchmark), and
    none after ``FAST_REFINE_PATIENCE`` in a row without a gain.  Its
    answer is kept only if the lowering spends fewer ebits on it: the refinement counts windows
    the lowering may not take, and ignores copies set aside for want of communication qubits
    (four ion modules of 8 with one each: ``ae_25`` on the line 80 -> 102 kept blindly).  Then
    :func:`_risen`, where moves save much."""
    evals = _refine_evals(hg)
    if evals < FAST_REFINE_MIN_EVALS:
        return best
    tl = timelines(dag, inter)
    refine = functools.partial(_refine_for_teledata, tl, hg, capacity=capacity, network=network, weights=weights,
                               deadline=math.inf, stall=math.inf, start_away=start_away, max_evals=evals,
                               patience=FAST_REFINE_PATIENCE)
    spent = functools.partial(_lowered_ebits, dag, network, interactions=inter, start_away=start_away)
    best = _fewer_spent(best, refine(best), spent)
    return _risen(hg, best, refine, spent,
                  functools.partial(_net_cost, tl, hg, network=network, weights=weights, start_away=start_away))


def _polished(hg: Hypergraph, best: Partition, *, network: Network, spent, seed: int) -> Partition:
    """``best`` with cheaper servers for its placement than the searches' greedy ones
    (:func:`~qmosaic.passes.server_lp.cheaper_servers`: complete networks of three QPUs or more;
    :func:`place` asks only with the ebits objective and no link budgets), if the lowering
    spends fewer ebits with them (``spent``; it plans TeleData moves around the copies).  On the fast effort's placement of QFT-40
    without swaps on four all-to-all QPUs: 54 -> 36 ebits; gates between two QPUs run on a
    third that holds copies of both qubits, which the greedy choice uses only by chance."""
    placement = np.array(best.placement, dtype=np.int64)
    server = cheaper_servers(hg, placement, np.array(best.server, dtype=np.int64), network,
                             time_limit=SERVER_TIME_LIMIT, seed=seed)
    if server is None:
        return best
    ebits = servers_cost(hg, placement, server, network)
    other = replace(best, server=tuple(server.tolist()), ebits=ebits, objective=float(ebits),
                    gap=_gap(float(ebits), best.bound))
    return _fewer_spent(best, other, spent)


def _polished_either(hg: Hypergraph, best: Partition, searched: tuple | None, network: Network, polish,
                     spent) -> Partition:
    """``best`` or the gain search's placement ``searched``, each with its servers polished
    (:func:`_polished`; the model's servers are the cheapest for its placement where it proves
    it, so this runs where it does not), whichever the lowering spends fewer ebits on
    (``spent``).  The model may score the gain search's placement higher with greedy servers
    and lower with polished ones: at a 15 s limit, ``qftnoswap40-a2a4`` 38 ebits from the
    model, 36 from the fast effort's placement.  The lowering, not the polished count, decides:
    TeleData moves can pay for the placement that counts more.  The other is a heuristic
    answer, the model's bound kept."""
    best = polish(best)
    if searched is None or searched[0].tolist() == list(best.placement):
        return best
    other = polish(replace(_moved(best, hg, searched[0], searched[2], searched[1], network),
                           status=PlacementStatus.HEURISTIC))
    return _fewer_spent(best, other, spent)


def _refine_evals(hg: Hypergraph) -> int:
    """Placements the work-bounded TeleData refinement evaluates: ``FAST_REFINE_GATE_EVALS`` gate
    evaluations in all (each scores every gate and plans the windows)."""
    return FAST_REFINE_GATE_EVALS // max(1, len(hg.qubits))


def _fewer_spent(best: Partition, other: Partition, spent) -> Partition:
    """``other`` if the lowering spends fewer ebits on it (``spent``) than on ``best``."""
    if (other.placement, other.server) == (best.placement, best.server):
        return best
    return other if spent(other) < spent(best) else best  # infinite where it cannot be lowered


def _risen(hg: Hypergraph, best: Partition, refine, spent, net) -> Partition:
    """``best``, or where its TeleData moves save ``RISE_SAVING`` of the model's count or more
    (``net(placement)``: :func:`_net_cost`), :func:`_refine_for_teledata` (``refine``) from it free
    to raise that count, if the lowering spends fewer ebits on its answer (``spent``); its status
    is then ``heuristic``, the model's bound kept.  Bounded by work as at ``effort="fast"``
    (:func:`_fast_refine`) at either effort: the same answer on a busy machine.

    The model's count ranks such placements badly: ``chem10-smallworld5``'s moves save 40 %, and
    its search held to the model's count ends at 105 ebits, free of it at 66 (Pauli gadgets on 6
    and 7 qubits over the same network: 12 of 150 circuits better, 15 -> 6 at most, none worse).  Run
    wherever moves save anything, it changed one other benchmark case at ``effort="fast"``,
    ``dnn_n33-a2a4``, 9 -> 10 ebits: through the qubit reuse that the model's count decides."""
    evals = _refine_evals(hg)
    if evals < FAST_REFINE_MIN_EVALS or net(best.placement) > (1 - RISE_SAVING) * best.objective:
        return best
    other = _fewer_spent(best, refine(best, rise=math.inf, deadline=math.inf, stall=math.inf, max_evals=evals,
                                      patience=FAST_REFINE_PATIENCE), spent)
    return best if other is best else replace(other, status=PlacementStatus.HEURISTIC)


def _fast_search(hg: Hypergraph, network: Network, weights: Weights, capacity: list[int], *,
                 initial: Sequence[int] | None, floor: float) -> list[tuple[np.ndarray, float, np.ndarray]]:
    """``effort="fast"``'s gain search (ebits objective, no link budgets): from each of
    :func:`_starts` (or ``initial``), ``FAST_WORK_PER_GATE`` visits per gate in all, within
    ``FAST_MIN_WORK`` and ``FAST_MAX_WORK``; every start's answer."""
    work = min(FAST_MAX_WORK, max(FAST_MIN_WORK, FAST_WORK_PER_GATE * len(hg.qubits)))
    starts = [np.array(initial, dtype=np.int64)] if initial is not None else _starts(
        hg.num_qubits, capacity, network, lambda p: score(hg, p, network, weights), hg.qubits, floor=floor)
    return _searched_from(hg, starts, capacity, network, work=work, floor=floor)


def _searched_from(hg: Hypergraph, starts: list[np.ndarray], capacity: list[int], network: Network, *,
                   work: int, floor: float) -> list[tuple[np.ndarray, float, np.ndarray]]:
    """A gain search from each start, each with an equal share of ``work``; the starts after one
    that meets ``floor`` are skipped.  (``min`` by cost takes the first of equals.)"""
    found: list[tuple[np.ndarray, float, np.ndarray]] = []
    for first in starts:
        if not found or min(f[1] for f in found) > floor + 1e-9:
            found.append(gain_search(hg, first, capacity, network, target=floor, work=work // len(starts)))
    return found


def _kick(hg: Hypergraph, best: Partition, capacity: list[int], network: Network, weights: Weights, *,
          deadline: float, seed: int, stall: float) -> Partition:
    """``best`` improved by :func:`kick_search`, if it finds better.  On networks that are not
    complete the Steiner cut relaxation is weak and the model rarely closes; on small circuits
    the last 40 % of the time is better spent so (15 s limit: ``qft16-line4x4`` 19 -> 18 ebits,
    ``qft8-smallworld5`` 7 -> 6).  Not above ``KICK_MAX_QUBITS``: descents are slow there and
    the model's time is worth more (``mqt-ghz64-grid2x3`` 5 -> 6, ``mqt-graphstate64-grid2x3``
    4 -> 8 with kicks)."""
    placement, cost, server = kick_search(hg, np.array(best.placement), capacity, network, weights,
                                          deadline=deadline, seed=seed, stall=stall)
    return best if cost >= best.objective - 1e-9 else _moved(best, hg, placement, server, cost, network)


def _moved(best: Partition, hg: Hypergraph, placement: np.ndarray, server: np.ndarray, objective: float,
           network: Network) -> Partition:
    """``best`` with another placement found after the model (same status and bound)."""
    return replace(best, placement=tuple(placement.tolist()), server=tuple(server.tolist()),
                   ebits=servers_cost(hg, placement, server, network), objective=objective,
                   gap=_gap(objective, best.bound))


def _refine_for_teledata(tl: Timelines, hg: Hypergraph, best: Partition, capacity: list[int], network: Network,
                         weights: Weights, *, deadline: float, stall: float, start_away: bool = True,
                         max_evals: int | None = None, patience: int | None = None,
                         rise: float = 0.0) -> Partition:
    """Among placements the model scores no worse than ``best`` (plus ``rise``), one whose TeleData
    moves save most.

    The model prices every remote interaction as a cat-entanglement copy; the lowering then
    moves a qubit instead where that is cheaper (:mod:`~qmosaic.passes.teledata`), so placements
    the model ties can differ in real ebits (``adder_n28`` on two QPUs: 4 and 2).  Local search
    from ``best`` on (model objective - TeleData gain), moving the qubits of remote gates and
    refusing any placement whose model objective exceeds ``best``'s: its status and bound stay
    true, and an optimistic gain (a window the lowering cannot take: no room, or a reordering
    that closes a cycle) costs no more than the model's answer.  Letting the model objective
    rise instead found `dnn_n33-a2a4` 11 for 12, but 10 for 7 on a random circuit over
    ``ring-4x4`` (the windows it counted on were not taken): it rises (``rise``) only where
    moves save much, and its answer is kept only if the lowering spends less (:func:`_risen`).
    """
    ceiling = best.objective + rise + 1e-9

    def net_cost(p: np.ndarray) -> tuple[float, np.ndarray]:
        static, server = score(hg, p, network, weights)
        if static > ceiling:
            return math.inf, server
        return static - teledata_gain(tl, hg, p, server, network, weights.link, start_away=start_away), server

    start = np.array(best.placement, dtype=np.int64)
    placement, _, server = local_search(hg, start.copy(), capacity, network, weights, deadline=deadline,
                                        cost=net_cost, movable=remote_qubits(hg, start), stall=stall, max_evals=max_evals, patience=patience)
    if np.array_equal(placement, start):
        return best
    return _moved(best, hg, placement, server, score(hg, placement, network, weights)[0], network)


def _net_cost(tl: Timelines, hg: Hypergraph, placement: tuple[int, ...], network: Network, weights: Weights, *,
              start_away: bool) -> float:
    """The model's objective of ``placement`` less what its TeleData moves save: what the lowering spends."""
    p = np.array(placement, dtype=np.int64)
    static, server = score(hg, p, network, weights)
    return static - teledata_gain(tl, hg, p, server, network, weights.link, start_away=start_away)


def _with_moves(dag: DAGCircuit, inter: Interactions, hg: Hypergraph, best: Partition, searched: tuple | None,
                capacity: list[int], network: Network, weights: Weights, *, start_away: bool, deadline: float,
                stall: float, time_limit: float) -> Partition:
    """``best`` refined for TeleData (:func:`_refine_for_teledata`), or the gain search's placement
    ``searched`` where moves make it cheaper (:func:`_fewer_moved`)."""
    tl = timelines(dag, inter)
    refine = functools.partial(_refine_for_teledata, tl, hg, capacity=capacity, network=network, weights=weights,
                               stall=stall, start_away=start_away)
    best = refine(best, deadline=deadline)
    spent = functools.partial(_lowered_ebits, dag, network, interactions=inter, start_away=start_away)
    if searched is not None and searched[0].tolist() != list(best.placement):
        best = _fewer_moved(tl, hg, best, searched, network, weights, refine, spent, time_limit, start_away)
    return _risen(hg, best, refine, spent,
                  functools.partial(_net_cost, tl, hg, network=network, weights=weights, start_away=start_away))


def _lowered_ebits(dag: DAGCircuit, network: Network, partition: Partition, *, interactions: Interactions,
                   start_away: bool) -> float:
    """:func:`~qmosaic.passes.lowering.spent_ebits` (that module imports this one: imported here)."""
    from .lowering import spent_ebits

    return spent_ebits(dag, network, partition, interactions, start_away=start_away)


def _lowered(dag: DAGCircuit, network: Network, partition: Partition, *, interactions: Interactions,
             start_away: bool):
    """The lowering's :class:`~qmosaic.passes.lowering.CommPlan` for ``partition`` (that module
    imports this one: imported here)."""
    from .lowering import lower

    return lower(dag, network, partition, interactions, materialize=False, start_away=start_away, remember=True,
                 around=False)[1]


def _fewer_evicted(dag: DAGCircuit, inter: Interactions, hg: Hypergraph, best: Partition, searched: tuple, *,
                   network: Network, start_away: bool) -> Partition:
    """``best``, or the gain search's placement ``searched`` if the lowering sets copies aside on
    ``best`` (evicts or parks them: too few communication qubits) and spends fewer ebits on
    ``searched``, or cannot lower ``best`` at all (a relay through a QPU with one communication
    qubit) and can lower ``searched``.  The model prices a copy once however long it stays open: on
    ``ring-4x4`` (2 communication qubits per QPU) it finds a QFT-16 placement of 18 ebits that
    the lowering spends 68 on, where the gain search's 24 costs 24.  Its status is then
    ``heuristic``, the model's bound kept."""
    spent = functools.partial(_lowered, dag, network, interactions=inter, start_away=start_away)
    if searched[0].tolist() == list(best.placement):
        return best
    try:
        plan = spent(best)
    except CommunicationError:
        plan = None
    if plan is not None and not plan.crowded:
        return best
    placement, cost, server = searched
    other = replace(_moved(best, hg, placement, server, cost, network), status=PlacementStatus.HEURISTIC)
    try:
        ebits = spent(other).ebits
    except CommunicationError:  # no better: the compile raises the error of ``best`` if it has one
        return best
    return other if plan is None or ebits < plan.ebits else best


def _fewer_moved(tl: Timelines, hg: Hypergraph, best: Partition, searched: tuple, network: Network,
                 weights: Weights, refine, spent, time_limit: float, start_away: bool) -> Partition:
    """``best``, or the gain search's placement ``searched`` (refined for TeleData) if the lowering
    spends fewer ebits on it (``spent(partition)``) though the model scores it higher: moves make
    up for it (``chem10-smallworld5``: 174 - 59 against 161 - 20).  The lowering is asked only
    where :func:`_net_cost` expects a gain (an estimate: it counts windows the lowering may not
    take; choosing by it alone gave ``cpfrac32-a2a4x9`` 91 ebits where the model's answer gives
    90, at a 3 s limit).  Its status is then ``heuristic``, the model's bound kept."""
    net = functools.partial(_net_cost, tl, hg, network=network, weights=weights, start_away=start_away)
    if net(tuple(searched[0].tolist())) >= net(best.placement) - 1e-9:
        return best
    placement, cost, server = searched
    other = replace(_moved(best, hg, placement, server, cost, network), status=PlacementStatus.HEURISTIC)
    other = refine(other, deadline=time.monotonic() + min(1.0, time_limit / 10))
    return other if spent(other) < spent(best) else best


def check_budgets(usage, network: Network, *, what: str) -> None:
    """``BudgetError`` naming the first link whose ``max_ebits`` ``usage`` exceeds."""
    for used, link in zip(usage, network.links):
        if link.max_ebits is not None and used > link.max_ebits:
            need = f"link {link.name}: {what} needs {int(used)} ebits but max_ebits is {link.max_ebits}"
            raise BudgetError(f"{need}; raise max_ebits to at least {int(used)}, add a link or QPU capacity, or "
                              "shorten the circuit", need=need)


def fit_budgets(network: Network, attempt):
    """``attempt(net) -> (result, plan)`` on ``network``, and where its links have budgets that this
    fails, on the network as if they had none: the first ``result`` whose lowering ``plan`` (a
    :class:`~qmosaic.passes.lowering.CommPlan`; None: not judged, kept) fits the budgets.

    The placer keeps within budgets by its model's count (a copy per remote run of gates; over
    it, ``attempt`` raises ``BudgetError``), while the lowering's TeleData moves and qubit reuse
    may spend fewer (found by fuzzing: a budget equal to what the unbudgeted compile spent was
    refused) and its evictions more: the lowering decides.  If neither fits: the first error,
    advising what the unbudgeted lowering spends on the links over budget (the placer's own "at
    least" moves with the placement: a user raised one link after another over four compiles)."""
    refused, spent = None, None
    for placed_on in (network, network.without_budgets()) if network.has_budgets else (network,):
        try:
            result, plan = attempt(placed_on)
        except BudgetError as exc:  # the placer's count is over
            refused = refused or exc
            continue
        try:
            if plan is not None:
                check_budgets(plan.ebits_per_link, network, what=f"the lowering ({plan.evictions} bursts cut short "
                              "for want of communication qubits; more comm_qubits would avoid them)")
        except BudgetError as exc:
            refused, spent = refused or exc, plan.ebits_per_link
            continue
        return result
    raise _uncapped_advice(refused, spent, network) from None


def _uncapped_advice(refused: BudgetError, spent, network: Network) -> BudgetError:
    """``refused``, advising instead what the unbudgeted lowering spends (``spent``, per link; None
    if unknown) on the links over budget."""
    over = [f"{link.name} {int(used)}" for used, link in zip(spent if spent is not None else (), network.links)
            if link.max_ebits is not None and used > link.max_ebits]
    if not over:
        return refused
    return BudgetError(f"{refused.need}; without budgets the compile spends {', '.join(over)} on the links over "
                       "them: raise their max_ebits to at least that, add a link or QPU capacity, or shorten the "
                       "circuit", need=refused.need)


def _exact(model: _Model, hg: Hypergraph, warm_placement: np.ndarray, network: Network, weights: Weights,
           fallback: Partition, *, solver: str, seed: int, time_limit: float, warm_start: bool = True,
           target: float = -math.inf) -> Partition:
    # a partial start (the assignment only): HiGHS completes it with a sub-MIP that also improves
    # it, which finds better placements than a complete start (measured: 12 vs 17 ebits on
    # qftnoswap16-a2a4, 20 vs 30 on qftnoswap24-a2a4 at 10 s)
    warm_placement = canonical(warm_placement, model.twins)
    warm = {model.x[q][k].name: float(warm_placement[q] == k) for q in range(hg.num_qubits)
            for k in range(len(model.x[0]))} if warm_start else {}
    result = _solve(model, warm, solver=solver, time_limit=time_limit, seed=seed, integral=weights.plain_ebits,
                    target=target)
    if result is None:
        return fallback
    status, obj, bound, name = result
    placement = np.array([max(range(len(row)), key=lambda k: row[k].varValue or 0.0) for row in model.x],
                         dtype=np.int64)
    capacity = [q.qubits for q in network.qpus]
    if (np.bincount(placement, minlength=len(capacity)) > capacity).any():
        return fallback  # not a solution of the model (never seen; guards a solver's malformed answer)
    server = _servers_from_model(model, hg, placement, network)
    usage = link_usage(hg, placement, server, network)
    cost = float(usage @ weights.link) + float(weights.qubit[np.arange(len(placement)), placement].sum())
    fb_usage = link_usage(hg, np.array(fallback.placement), np.array(fallback.server), network)
    if (overflow(usage, network), cost) > (overflow(fb_usage, network), fallback.objective + 1e-9):
        placement, server, cost = np.array(fallback.placement), np.array(fallback.server), fallback.objective
    if bound is not None and bound > cost * (1 + 1e-6) + 1e-12:
        # a "bound" above a placement in hand: the solver's tolerances hid it (CBC on latencies in
        # seconds, 1e-5 "optimal" against 2e-6 found, by fuzzing); nothing is proven
        status, bound, name = PlacementStatus.HEURISTIC, None, "heuristic"
    return Partition(tuple(placement.tolist()), tuple(server.tolist()), servers_cost(hg, placement, server, network),
                     status, cost, bound, _gap(cost, bound), 0.0, name, fallback.heuristic_objective,
                     fallback.objective_name)


def _pair_bound(hg: Hypergraph, capacity: list[int], *, time_limit: float, seed: int) -> float:
    """The pair-capacity bound (:mod:`~qmosaic.passes.pairbound`): HiGHS's proven bound on the
    relaxation after at most ``time_limit`` (its optimum if it gets there), rounded up; 0 where
    no gate is remote-capable or the relaxation has more than ``PAIR_MAX_COLS`` columns."""
    relax = pair_relaxation(hg, capacity)
    if relax.num_cover == 0 or relax.num_cols > PAIR_MAX_COLS:
        return 0.0
    h = highs_model(relax, time_limit=time_limit, seed=seed)
    if h is None:
        return 0.0
    out = _run_highs_until(h, time.monotonic() + time_limit + max(0.5, GRACE_SHARE * time_limit))
    if out is None or not math.isfinite(out.bound):
        return 0.0
    return float(max(0, math.ceil(out.bound - 1e-6)))


def _floored(best: Partition, floor: float) -> Partition:
    """``best`` with the lower bound ``floor`` (the spread or pair-capacity bound; 0 for objectives
    other than ``ebits``, none of which goes below 0) as its bound where nothing proved more: it
    holds for every placement (without moves, for the pair-capacity bound), so
    a solver's weaker bound (often 0 off complete networks) or none at all understates what is
    known; a placement that meets it is optimal."""
    if best.objective <= floor + 1e-9:
        return replace(best, status=PlacementStatus.OPTIMAL, bound=float(floor), gap=0.0)
    if floor <= 0 or (best.bound is not None and best.bound >= floor):
        return best
    return replace(best, bound=float(floor), gap=_gap(best.objective, floor))


def _gap(cost: float, bound: float | None) -> float | None:
    """Relative gap of ``cost`` to the proven ``bound`` (0 when the cost is 0)."""
    return None if bound is None else (0.0 if cost <= 1e-12 else max(0.0, (cost - bound) / cost))


def _servers_from_model(model: _Model, hg: Hypergraph, placement: np.ndarray, network: Network) -> np.ndarray:
    """The model's servers, unless the greedy choice is cheaper for this placement."""
    server = plan_servers(hg, placement, network)[1]
    chosen = server.copy()
    homes = placement[hg.qubits]
    for g in np.nonzero(homes[:, 0] != homes[:, 1])[0].tolist():
        e0, e1 = int(hg.edge[g, 0]), int(hg.edge[g, 1])
        if e0 >= 0 and e1 >= 0:
            row = model.a[(e0, e1)]
            chosen[g] = max(range(len(row)), key=lambda k: row[k].varValue or 0.0)
    if servers_cost(hg, placement, chosen, network) < servers_cost(hg, placement, server, network):
        return chosen
    return server


class ILPPlacement(AnalysisPass):
    """Assign each logical qubit to a QPU with the ILP placer.

    Property set fields read: ``qmosaic_interactions`` (computed if absent).
    Property set values written: ``qmosaic_interactions``, ``qmosaic_partition`` (:class:`Partition`).
    """

    def __init__(self, network: Network, *, solver: str = "highs", time_limit: float = 10.0, seed: int = 0,
                 use_ilp: bool = True, objective: str = "ebits", effort: str = "full"):
        super().__init__()
        _check_solver(solver)
        check_seed(seed)
        self.network, self.solver, self.time_limit, self.seed = network, solver, time_limit, seed
        self.use_ilp, self.objective, self.effort = use_ilp, objective, effort

    def run(self, dag: DAGCircuit) -> None:
        inter = self.property_set["qmosaic_interactions"] or analyse_interactions(dag)
        self.property_set["qmosaic_interactions"] = inter
        self.property_set["qmosaic_partition"] = self._within_budgets(dag, inter) if self.network.has_budgets \
            else self._place(dag, self.network, inter)

    def _place(self, dag: DAGCircuit, network: Network, inter: Interactions) -> Partition:
        return place(dag, network, solver=self.solver, time_limit=self.time_limit, seed=self.seed,
                     use_ilp=self.use_ilp, objective=self.objective, interactions=inter, effort=self.effort,
                     start_away=False)  # the plugin's lowering starts no qubit away (its layout stage fixed the start)

    def _within_budgets(self, dag: DAGCircuit, inter: Interactions) -> Partition:
        """The placement, fitted to the links' budgets by its lowering as ``qmosaic.compile`` does
        (:func:`fit_budgets`).  A placement the lowering cannot judge (a QPU must relay:
        ``RelayRoom`` places again) stands."""
        from .lowering import lower  # that module imports this one

        def attempt(network: Network):
            partition = self._place(dag, network, inter)
            try:
                return partition, lower(dag, self.network, partition, inter, materialize=False, start_away=False,
                                        around=False)[1]
            except CommunicationError:
                return partition, None

        return fit_budgets(self.network, attempt)

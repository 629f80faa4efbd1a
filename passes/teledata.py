"""TeleData planning: where moving a qubit beats cat-entangling it.

A *window* is a maximal run of one qubit's operations in which every two-qubit gate has its
partner on one other QPU B (one-qubit operations, measurements included, may sit between).
Gates in one Z-diagonal run of the qubit commute on it, so a window may start or end inside
such a run: the run's gates for other QPUs are hoisted before it or sunk after it
(:mod:`~qmosaic.passes.window_order` rebuilds the DAG so; QASMBench's W-state chain then
costs one move per cut instead of two TeleGate bursts).
Teleporting the qubit to B for the window (into a communication qubit there, so capacity
is untouched) costs one EPR pair per link of the route, twice if it must come back before a
later gate at home, once if the window runs to the qubit's last operation or from its first
(the qubit then starts in a communication qubit of B and comes home once; never both, which
would keep it out of its data qubit for good).  It saves the
TeleGate copies (hyperedge, QPU) whose gates all lie inside the window: what dropping them
takes off their hyperedges' Steiner trees.  A window is taken
when it saves more than it costs under the objective's link weights and no partner is
itself away at the same time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from qiskit.dagcircuit import DAGCircuit

from qmosaic.targets.models import Network

from .gateinfo import is_diagonal_1q, node_fact
from .hypergraph import Hypergraph, copied_sides, links_cost, remote_qubits, route_cost
from .interactions import Interactions

FLIP = -2  # timeline mark of a one-qubit operation not diagonal on its qubit

__all__ = ["Window", "timelines", "teledata_gain", "choose_windows", "window_options", "pick_windows"]


@dataclass(frozen=True)
class Window:
    """Qubit ``qubit`` lives on QPU ``dest`` from DAG node ``first`` to ``last`` (inclusive).

    ``hoist`` / ``sink``: gates of q's first / last commuting run that must run before /
    after the window on q's wire (:func:`~qmosaic.passes.window_order.order_for_windows` puts
    them there).
    """

    qubit: int
    dest: int
    first: int  # node id
    last: int  # node id
    gates: tuple[int, ...]  # two-qubit gate indices inside the window
    returns: bool  # teleported back home after ``last``
    saving: float
    cost: float
    span: tuple[int, int] = (0, 0)  # topological indices it may touch (hoisted and sunk gates included)
    hoist: tuple[int, ...] = ()
    sink: tuple[int, ...] = ()
    starts_away: bool = False  # on ``dest`` from the start (its first operation is ``first``)

    @property
    def reorders(self) -> bool:
        return bool(self.hoist or self.sink)


Timelines = tuple[list[list[tuple[int, int, int]]], dict[int, int]]


def timelines(dag: DAGCircuit, inter: Interactions) -> Timelines:
    """Per qubit: (node id, topological index, gate index, or -1 for another operation diagonal
    on the qubit and ``FLIP`` for one that is not); and node id -> topological index.  Computed
    once per analysis (``inter``, the analysis of ``dag``) and kept with it: do not change them."""
    return inter.derived("timelines", lambda: _timelines(dag, inter.gate_of()))


def _timelines(dag: DAGCircuit, gate_of: dict[int, int]) -> Timelines:
    index = {q: i for i, q in enumerate(dag.qubits)}
    lines: list[list[tuple[int, int, int]]] = [[] for _ in index]
    order: dict[int, int] = {}
    for t, node in enumerate(dag.topological_op_nodes()):
        order[node._node_id] = t
        g = gate_of.get(node._node_id, -1)
        if g < 0 and not node_fact(is_diagonal_1q, node):
            g = FLIP
        for q in node.qargs:
            lines[index[q]].append((node._node_id, t, g))
    return lines, order


def _blocks(q: int, line, pairs: list[list[int]], edges: list[list[int]],
            home: list[int]) -> list[list[tuple[int, int, int]]]:
    """q's two-qubit gates grouped into runs that commute on q: [(line position, gate, partner's QPU)]
    (``pairs``, ``edges``: the hypergraph's qubits and hyperedges as lists; ``home``: the placement).

    Consecutive gates in one hyperedge commute on q when only diagonal operations lie between
    them (a hyperedge also spans anti-diagonal ones, which end a run here), so their order on
    q's wire is free; a gate not diagonal on q is a run of its own.
    """
    out: list[list[tuple[int, int, int]]] = []
    previous = -1
    for pos, (_, _, g) in enumerate(line):
        if g < 0:
            if g == FLIP:
                previous = -1
            continue
        a, b = pairs[g]
        edge, partner = (edges[g][0], b) if a == q else (edges[g][1], a)
        entry = (pos, g, home[partner])
        if edge >= 0 and edge == previous:
            out[-1].append(entry)
        else:
            out.append([entry])
        previous = edge
    return out


class _Candidate(NamedTuple):  # a tuple: built and hashed by the thousand per placement scored
    dest: int
    inside: tuple[int, ...]  # line positions of the gates q runs at dest
    hoist: tuple[int, ...]  # positions moved before the window (first run)
    sink: tuple[int, ...]  # positions moved after the window (last run)
    at_end: bool


def _candidates(home: int, runs: list[list[tuple[int, int, int]]]) -> list[_Candidate]:
    """Maximal windows of qubit q, using the freedom to reorder gates within a commuting run.

    A window to QPU d starts in a run holding a gate with a partner on d (the run's other
    gates are hoisted before it), spans runs whose partners are all on d, and may end in a
    run holding d-gates and others (those are sunk after it).  Starting right after a run
    all on d would only give a shorter copy of the window starting there, so it is skipped.
    (``runs``: :func:`_blocks` of q; ``home``: q's QPU.)
    """
    out = []
    for j, run in enumerate(runs):
        for dest in sorted({k for _, _, k in run if k != home}):
            if j > 0 and all(k == dest for _, _, k in runs[j - 1]):
                continue
            inside, _, hoist, rest = _split(run, dest)  # rest stays after, unless we extend
            sink: list[int] = []
            end = j
            while end + 1 < len(runs) and any(k == dest for _, _, k in runs[end + 1]):
                hoist, rest = hoist + rest, []
                end += 1
                here, before, between, after = _split(runs[end], dest)
                inside += here
                if before or between or after:
                    sink, rest = before + between, after
                    break
            out.append(_Candidate(dest, tuple(inside), tuple(hoist), tuple(sink),
                                  end == len(runs) - 1 and not rest and not sink))
    return list(dict.fromkeys(out + _in_order(home, [e for run in runs for e in run])))


def _split(run: list[tuple[int, int, int]], dest: int) -> tuple[list[int], list[int], list[int], list[int]]:
    """A run's line positions in one pass: (partner on ``dest``; others before the first of
    those, between the first and the last, after the last)."""
    inside: list[int] = []
    before: list[int] = []
    between: list[int] = []
    pending: list[int] = []
    for p, _, k in run:
        if k == dest:
            inside.append(p)
            if pending:
                between += pending
                pending = []
        elif inside:
            pending.append(p)
        else:
            before.append(p)
    return inside, before, between, pending


def _in_order(home: int, gates: list[tuple[int, int, int]]) -> list[_Candidate]:
    """Windows without reordering: maximal runs of consecutive gates whose partners share one QPU
    (the fallback where a reordering would close a cycle in the DAG)."""
    out, inside, dest = [], [], None
    for pos, _, k in gates:
        if k == dest:
            inside.append(pos)
            continue
        if inside:
            out.append(_Candidate(dest, tuple(inside), (), (), False))
        inside, dest = ([pos], k) if k != home else ([], None)
    if inside:
        out.append(_Candidate(dest, tuple(inside), (), (), True))
    return out


def teledata_gain(tl: Timelines, hg: Hypergraph, placement: np.ndarray, server: np.ndarray, network: Network,
                  link_weight: np.ndarray, *, start_away: bool = True) -> float:
    """What the windows :func:`choose_windows` would take save, net of their moves (objective units)."""
    return sum(w.saving - w.cost for w in choose_windows(tl, hg, placement, server, network, link_weight,
                                                         start_away=start_away))


def choose_windows(tl: Timelines, hg: Hypergraph, placement: np.ndarray, server: np.ndarray, network: Network,
                   link_weight: np.ndarray, *, start_away: bool = True) -> list[Window]:
    """Choose TeleData windows (see module docstring) on timelines computed once; deterministic.

    ``start_away`` allows windows whose qubit starts on the other QPU (its initial layout is a
    comm qubit there).
    """
    return pick_windows(window_options(tl, hg, placement, server, network, link_weight, start_away=start_away), hg)


def window_options(tl: Timelines, hg: Hypergraph, placement: np.ndarray, server: np.ndarray, network: Network,
                   link_weight: np.ndarray, *, start_away: bool = True) -> list[Window]:
    """Every window that saves more than it costs on its own, best first (the order
    :func:`pick_windows` takes them in; computed once when the choice is made again)."""
    lines, _ = tl
    served: dict[tuple[int, int], set[int]] = {}  # (hyperedge, QPU) copy -> gates it serves
    copies_of: dict[int, list[tuple[int, int]]] = {}  # gate -> copies it uses
    gates, sides = copied_sides(hg, placement, server)
    for g, h, k in zip(gates.tolist(), hg.edge[gates, sides].tolist(), server[gates].tolist()):
        key = (h, k)
        served.setdefault(key, set()).add(g)
        copies_of.setdefault(g, []).append(key)

    dests: dict[int, set[int]] = {}  # hyperedge -> QPUs holding a copy
    for h, k in served:
        dests.setdefault(h, set()).add(k)
    costs: dict[tuple[int, int], float] = {}
    trees: dict[frozenset, float] = {}  # terminals -> weight of their Steiner tree

    def route(a: int, b: int) -> float:
        if (a, b) not in costs:
            costs[a, b] = route_cost(network, a, b, link_weight)
        return costs[a, b]

    def tree(h: int, qpus: set[int]) -> float:
        terminals = frozenset(qpus | {home[owner[h]]})
        if terminals not in trees:
            trees[terminals] = links_cost(network, network.steiner(terminals), link_weight)
        return trees[terminals]

    pairs, edges, home, owner = hg.qubits.tolist(), hg.edge.tolist(), placement.tolist(), hg.edge_qubit.tolist()
    options = []
    for q in remote_qubits(hg, placement):  # a qubit with no remote gate has no window
        line = lines[q]
        first_gate = next((p for p, (_, _, g) in enumerate(line) if g >= 0), None)
        for c in _candidates(home[q], _blocks(q, line, pairs, edges, home)):
            inside = {line[p][2] for p in c.inside}
            saved = {key for g in inside for key in copies_of.get(g, ()) if served[key] <= inside}
            saving = _tree_saving(saved, dests, tree) if saved else 0.0
            move = route(home[q], c.dest)
            # from the start: the qubit begins on dest and comes home once (never for a whole life)
            early = start_away and c.inside[0] == first_gate and not c.hoist and not c.at_end
            for away_first in (False, True) if early else (False,):
                cost = move * (1 if c.at_end or away_first else 2)
                if saving > cost + 1e-9:
                    options.append(_window(q, line, c, inside, saving, cost, away_first))
    options.sort(key=lambda w: (-(w.saving - w.cost), w.reorders, w.span[0], w.qubit, w.span[1]))
    return options


def pick_windows(options: list[Window], hg: Hypergraph, *, exclude: frozenset = frozenset()) -> list[Window]:
    """Take ``options`` greedily in their order, skipping ``exclude`` (windows whose reordering
    turned out impossible) and any window whose qubit or a partner is away, or whose qubit is
    visited, during it."""
    chosen: list[Window] = []
    away: dict[int, list[tuple[int, int]]] = {}  # qubit -> spans it spends on another QPU
    pinned: dict[int, list[tuple[int, int]]] = {}  # qubit -> spans it must stay home (a partner is visiting)
    for w in options:
        if w in exclude:
            continue
        partners = {int(x) for g in w.gates + w.hoist + w.sink for x in hg.qubits[g]} - {w.qubit}
        if any(_overlaps(w.span, iv) for p in partners | {w.qubit} for iv in away.get(p, [])) or \
                any(_overlaps(w.span, iv) for iv in pinned.get(w.qubit, [])):
            continue  # a partner is away, or someone visits this qubit, during the window
        chosen.append(w)
        away.setdefault(w.qubit, []).append(w.span)
        for p in partners:
            pinned.setdefault(p, []).append(w.span)
    return sorted(chosen, key=lambda w: (w.span[0], w.qubit))


def _tree_saving(saved: set[tuple[int, int]], dests: dict[int, set[int]], tree) -> float:
    """What dropping the copies ``saved`` (hyperedge, QPU) takes off their hyperedges' Steiner trees
    (``tree(h, qpus)``: the weight of h's tree to ``qpus``; a copy on a branch others share saves
    less than its route: ``qft16-line4x4`` took windows that cost an ebit more than they saved)."""
    by_edge: dict[int, set[int]] = {}
    for h, k in saved:
        by_edge.setdefault(h, set()).add(k)
    return sum(tree(h, dests[h]) - tree(h, dests[h] - gone) for h, gone in by_edge.items())


def _window(q: int, line, c: _Candidate, inside: set[int], saving: float, cost: float, away_first: bool) -> Window:
    touched = [line[p][1] for p in c.inside + c.hoist + c.sink]
    return Window(q, c.dest, line[0 if away_first else c.inside[0]][0], line[-1 if c.at_end else c.inside[-1]][0],
                  tuple(sorted(inside)), not c.at_end, saving, cost,
                  (line[0][1] if away_first else min(touched), line[-1][1] if c.at_end else max(touched)),
                  tuple(line[p][2] for p in c.hoist), tuple(line[p][2] for p in c.sink), away_first)


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]

"""TeleData planning: where moving a qubit beats cat-entangling it.

A *window* is a maximal run of one qubit's operations in which every two-qubit gate has its
partner on one other QPU B (one-qubit operations, measurements included, may sit between).
Teleporting the qubit to B for the window (into a communication qubit there, so capacity
is untouched) costs one EPR pair per link of the route, twice if it must come back before a
later gate at home, once if the window runs to the qubit's last operation.  It saves the
TeleGate copies (hyperedge, QPU) whose gates all lie inside the window.  A window is taken
when it saves more than it costs under the objective's link weights and no partner is
itself away at the same time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from qiskit.dagcircuit import DAGCircuit

from qmosaic.targets.models import Network

from .hypergraph import Hypergraph

__all__ = ["Window", "plan_teledata", "timelines", "teledata_gain", "choose_windows"]


@dataclass(frozen=True)
class Window:
    """Qubit ``qubit`` lives on QPU ``dest`` from DAG node ``first`` to ``last`` (inclusive)."""

    qubit: int
    dest: int
    first: int  # node id
    last: int  # node id
    gates: tuple[int, ...]  # two-qubit gate indices inside the window
    returns: bool  # teleported back home after ``last``
    saving: float
    cost: float


Timelines = tuple[list[list[tuple[int, int, int]]], dict[int, int]]


def timelines(dag: DAGCircuit, gate_of: dict[int, int]) -> Timelines:
    """Per qubit: (node id, topological index, gate index or -1); and node id -> topological index."""
    index = {q: i for i, q in enumerate(dag.qubits)}
    lines: list[list[tuple[int, int, int]]] = [[] for _ in index]
    order: dict[int, int] = {}
    for t, node in enumerate(dag.topological_op_nodes()):
        order[node._node_id] = t
        for q in node.qargs:
            lines[index[q]].append((node._node_id, t, gate_of.get(node._node_id, -1)))
    return lines, order


def _candidates(q: int, line, hg: Hypergraph, placement: np.ndarray) -> list[tuple[int, int, int, list[int], bool]]:
    """Maximal windows of qubit q: (dest, first pos, last pos, gates, reaches the end)."""
    out, home = [], int(placement[q])
    start, dest, gates, last = None, None, [], -1  # last: position of the window's last gate

    def flush(end_pos: int, at_end: bool) -> None:
        if start is not None and gates:
            out.append((dest, start, end_pos if at_end else last, list(gates), at_end))

    for pos, (_, _, g) in enumerate(line):
        if g < 0:
            continue
        a, b = hg.qubits[g]
        partner = int(b if a == q else a)
        where = int(placement[partner])
        if where == home or where != dest:
            flush(pos, False)
            start, dest, gates = (None, None, []) if where == home else (pos, where, [g])
        else:
            gates.append(g)
        last = pos
    flush(len(line) - 1, True)
    return out


def plan_teledata(dag: DAGCircuit, hg: Hypergraph, gate_of: dict[int, int], placement: np.ndarray,
                  server: np.ndarray, network: Network, link_weight: np.ndarray) -> list[Window]:
    """Choose TeleData windows (see module docstring); deterministic."""
    return choose_windows(timelines(dag, gate_of), hg, placement, server, network, link_weight)


def teledata_gain(tl: Timelines, hg: Hypergraph, placement: np.ndarray, server: np.ndarray, network: Network,
                  link_weight: np.ndarray) -> float:
    """What the windows :func:`plan_teledata` would choose save, net of their moves (objective units)."""
    return sum(w.saving - w.cost for w in choose_windows(tl, hg, placement, server, network, link_weight))


def choose_windows(tl: Timelines, hg: Hypergraph, placement: np.ndarray, server: np.ndarray, network: Network,
                   link_weight: np.ndarray) -> list[Window]:
    """:func:`plan_teledata` on timelines computed once (the placer's refinement calls it per candidate)."""
    lines, order = tl
    served: dict[tuple[int, int], set[int]] = {}  # (hyperedge, QPU) copy -> gates it serves
    copies_of: dict[int, list[tuple[int, int]]] = {}  # gate -> copies it uses
    homes = placement[hg.qubits]
    for g, i in zip(*np.nonzero((homes != server[:, None]) & (server[:, None] >= 0))):
        key = (int(hg.edge[g, i]), int(server[g]))
        served.setdefault(key, set()).add(int(g))
        copies_of.setdefault(int(g), []).append(key)

    def route_cost(a: int, b: int) -> float:
        path = network.route(a, b)
        return float(sum(link_weight[network.link_index(x, y)] for x, y in zip(path, path[1:])))

    options = []
    for q, line in enumerate(lines):
        for dest, first, last, gates, at_end in _candidates(q, line, hg, placement):
            inside = set(gates)
            saved = {key for g in inside for key in copies_of.get(g, ()) if served[key] <= inside}
            saving = sum(route_cost(int(placement[hg.edge_qubit[h]]), d) for h, d in saved)
            cost = route_cost(int(placement[q]), dest) * (1 if at_end else 2)
            if saving > cost + 1e-9:
                options.append(Window(q, dest, line[first][0], line[last][0], tuple(sorted(inside)), not at_end,
                                      saving, cost))
    options.sort(key=lambda w: (-(w.saving - w.cost), order[w.first], w.qubit))
    chosen: list[Window] = []
    away: dict[int, list[tuple[int, int]]] = {}  # qubit -> spans it spends on another QPU
    pinned: dict[int, list[tuple[int, int]]] = {}  # qubit -> spans it must stay home (a partner is visiting)
    for w in options:
        span = (order[w.first], order[w.last])
        partners = {int(x) for g in w.gates for x in hg.qubits[g]} - {w.qubit}
        if any(_overlaps(span, iv) for p in partners | {w.qubit} for iv in away.get(p, [])) or \
                any(_overlaps(span, iv) for iv in pinned.get(w.qubit, [])):
            continue  # a partner is away, or someone visits this qubit, during the window
        chosen.append(w)
        away.setdefault(w.qubit, []).append(span)
        for p in partners:
            pinned.setdefault(p, []).append(span)
    return sorted(chosen, key=lambda w: order[w.first])


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]

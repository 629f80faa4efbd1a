"""Reorder commuting gates so that chosen TeleData windows are contiguous on their qubit's wire.

A window may take a qubit's gates out of a Z-diagonal run it shares with gates for other
QPUs (:mod:`~qmosaic.passes.teledata`): the others are *hoisted* before the window or *sunk*
after it.  Gates of one run commute (each is diagonal on the qubit), so the circuit is
unchanged; the DAG is rebuilt with the new wire orders (:func:`~qmosaic.passes.rewire.rewire`),
gates and windows are renumbered, and the result is checked by replaying where each qubit
is: every gate of a qubit that is away must be one of its window's gates, with the partner
on the window's QPU.  A window whose reordering closes a cycle or fails that replay is
returned as *bad*, so the caller chooses again without it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from qiskit.dagcircuit import DAGCircuit

from qmosaic.targets.models import Network

from .hypergraph import Hypergraph, build_hypergraph
from .interactions import Interactions, analyse_interactions
from .rewire import WireOrder
from .teledata import Timelines, Window, pick_windows, timelines, window_options

__all__ = ["Ordered", "plan_windows", "order_for_windows"]

MAX_ROUNDS = 3  # choose-and-reorder rounds before every reordering window is given up
MAX_PROBES = 16  # reordering windows tried one by one to find the one that closes a cycle


@dataclass(frozen=True)
class Ordered:
    """The rebuilt DAG with its analysis, the servers and windows renumbered to it."""

    dag: DAGCircuit
    inter: Interactions
    hg: Hypergraph
    server: np.ndarray
    windows: list[Window]


def plan_windows(dag: DAGCircuit, inter: Interactions, hg: Hypergraph, placement: np.ndarray, server: np.ndarray,
                 network: Network, link_weight: np.ndarray, *, start_away: bool = True) -> Ordered:
    """Choose TeleData windows (:func:`~qmosaic.passes.teledata.choose_windows`) and reorder the
    DAG for them; a window whose reordering fails is excluded and the choice made again.  After
    ``MAX_ROUNDS`` failed rounds, or a cycle among more than ``MAX_PROBES`` reordering windows,
    every reordering window is (each round rebuilds the DAG, ~1 s at 100k gates).  Excluding
    them all at once picks what excluding each picked one in turn would: a window the greedy
    pick skips changes nothing."""
    tl = timelines(dag, inter)
    options = window_options(tl, hg, placement, server, network, link_weight, start_away=start_away)
    exclude: set[Window] = set()
    rounds, wires = 0, None
    while True:  # every round excludes at least one of finitely many windows
        windows = pick_windows(options, hg, exclude=frozenset(exclude))
        moving = [w for w in windows if w.reorders]
        if not moving:
            return Ordered(dag, inter, hg, server, windows)
        got = None
        if rounds < MAX_ROUNDS:
            wires = wires or WireOrder(dag)  # read once, and only if a window reorders
            got = order_for_windows(wires, inter, tl, server, placement, windows)
        if isinstance(got, Ordered):
            return got
        exclude |= {w for w in options if w.reorders} if got is None else got  # None: reorder nothing
        rounds += 1


def _wire_orders(tl: Timelines, windows: list[Window]) -> dict[int, list[int]]:
    """Qubit -> node ids on its wire with every window's hoisted / sunk gates moved out of it."""
    lines, _ = tl
    orders: dict[int, list[int]] = {}
    for w in windows:
        if not w.reorders:
            continue
        line = orders.get(w.qubit) or [node for node, _, _ in lines[w.qubit]]
        gate_node = {g: node for node, _, g in lines[w.qubit] if g >= 0}
        hoist, sink = [gate_node[g] for g in w.hoist], [gate_node[g] for g in w.sink]
        line = [n for n in line if n not in hoist and n not in sink]
        at = line.index(w.first)
        line[at:at] = hoist
        at = line.index(w.last) + 1
        line[at:at] = sink
        orders[w.qubit] = line
    return orders


def order_for_windows(wires: WireOrder, inter: Interactions, tl: Timelines, server: np.ndarray, placement: np.ndarray,
                      windows: list[Window]) -> Ordered | set[Window] | None:
    """The DAG reordered for ``windows``, or the set of reordering windows to drop (``None``: a
    cycle among more than ``MAX_PROBES`` of them, too many to find the culprits one by one)."""
    moving = [w for w in windows if w.reorders]
    built = wires.rewire(_wire_orders(tl, windows))
    if built is None:  # a cycle: find the windows that close one on their own (a few; else drop them all)
        if len(moving) > MAX_PROBES:
            return None
        return {w for w in moving if wires.graph(_wire_orders(tl, [w])) is None} or set(moving)
    new_dag, ids = built
    new_inter = analyse_interactions(new_dag)
    new_gate = new_inter.gate_of()
    renumber = np.array([new_gate[ids[nid]] for nid in inter.node_ids], dtype=np.int64)  # old gate -> new
    new_server = np.empty_like(server)
    new_server[renumber] = server
    renamed = {replace(w, first=ids[w.first], last=ids[w.last], gates=tuple(sorted(renumber[list(w.gates)].tolist())),
                       hoist=(), sink=()): w for w in windows}
    bad = _replay(new_dag, new_inter, placement, list(renamed))
    if bad:
        dropped = {renamed[w] for w in bad}
        return {w for w in dropped if w.reorders} or dropped
    return Ordered(new_dag, new_inter, build_hypergraph(new_inter), new_server, list(renamed))


def _replay(dag: DAGCircuit, inter: Interactions, placement: np.ndarray, windows: list[Window]) -> set[Window]:
    """Windows that break when the qubits move in ``dag``'s topological order."""
    starts, ends = {w.first: w for w in windows}, {w.last: w for w in windows}
    members = {w: set(w.gates) for w in windows}
    gate_of, qubits = inter.gate_of(), inter.qubits
    away: dict[int, Window] = {}
    bad: set[Window] = set()
    for node in dag.topological_op_nodes():
        nid = node._node_id
        if nid in starts:
            away[starts[nid].qubit] = starts[nid]
        g = gate_of.get(nid)
        if g is not None:
            pair = [int(x) for x in qubits[g]]
            for i, q in enumerate(pair):
                w, other = away.get(q), pair[1 - i]
                if w is None:
                    continue
                if g not in members[w] or other in away or int(placement[other]) != w.dest:
                    bad.add(w)
                    if other in away:
                        bad.add(away[other])
        if nid in ends and ends[nid].returns:
            away.pop(ends[nid].qubit, None)
    return bad

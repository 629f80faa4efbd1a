"""TeleportLowering: turn remote gates into cat-entanglement bursts over the network's links.

Output wires: the n logical qubits, then every communication qubit of the network (QPU
order), in a new DAG.  Each remote gate g runs on its server QPU k (the partition's
choice); a gate qubit ``a`` living elsewhere is *cat-entangled* to k — once per
(hyperedge, QPU): every later gate of the same diagonal run reuses the copy:

    epr(c_j, c_k); cx(a, c_j); measure c_j -> m; if (m) x c_k; reset c_j     # copy on c_k

Copies fan out along a minimum Steiner tree: a new copy is made from the nearest holder
(the qubit itself or an earlier copy); stretches of the tree through QPUs that need no
copy use entanglement swapping (Bell measurement at the middle QPU, Pauli corrections at
the far end).  A burst ends at the hyperedge's last gate, at the next operation that is
not diagonal on ``a``, or when its communication qubit is needed (LRU eviction):

    h c_k; measure c_k -> m; if (m) z a; reset c_k                            # disentangle

A QPU with one communication qubit cannot hold both EPR halves of a relay, nor its copy and
the half that sends it onward: it *parks* one on a data qubit no logical qubit uses
(``cx(c, p); cx(p, c)``, p in |0>), and measures the Bell pair from there (on a coupled QPU
the router brings the parking qubit beside the communication qubit with SWAPs).

TeleData windows (``teledata.py``) teleport a qubit into a communication qubit of the QPU
its partners sit on, run the window's gates there locally, and teleport it back into its
(reset) data qubit with a final local SWAP, unless the window is the qubit's last:

    epr(c_j, c_k); cx(a, c_j); h a; measure c_j -> m1; measure a -> m2;
    if (m1) x c_k; if (m2) z c_k; reset c_j; reset a                          # a now lives in c_k
"""

from __future__ import annotations

import functools
import math
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import numpy as np
import rustworkx as rx
from qiskit.circuit import ClassicalRegister, Clbit, Gate, QuantumRegister, Qubit
from qiskit.circuit.library import CXGate, HGate, Measure, Reset, SwapGate, XGate, ZGate
from qiskit.dagcircuit import DAGCircuit
from qiskit.transpiler.basepasses import TransformationPass

from qmosaic.targets.errors import CommunicationError, PassError, RelayError
from qmosaic.targets.gates import EPRGate
from qmosaic.targets.models import Network

from .comm_order import scheduled
from .feedforward import CorrectionFactory, materialize_dag
from .gateinfo import is_antidiagonal_1q, is_diagonal_1q, node_fact
from .hypergraph import Hypergraph, build_hypergraph, copied_sides, plan_servers
from .interactions import analyse_interactions
from .objective import overflow
from .nodes import append_node
from .placement import Partition
from .teledata import Window
from .window_order import plan_windows

__all__ = ["TeleportLowering", "CommPlan", "lower", "spent_ebits"]

_EPR, _CX, _H, _MEASURE, _RESET, _SWAP = EPRGate(), CXGate(), HGate(), Measure(), Reset(), SwapGate()
_X, _Z = XGate(), ZGate()
# Lower again (bursts finished first; short-lived servers) only where evictions (and copies parked
# instead) are at least this share of the ebits: they can save no more than that.  Where short-lived
# servers won: QFT-16 on ``ring-4x4`` 126 evictions of 143 ebits (24 after), the chemistry ansatz there
# 26 of 128 (120 after); on ``python -m benchmarks scale``'s random circuits (8 to 10 %) they saved 0 to
# 0.04 % of the ebits for a second lowering (then 15 s at 100k gates).  The other order: QFT-25 on four
# ion traps of 8 in a line with one communication qubit each, 199 -> 48.
EVICTED_SHARE = 0.125
# lower(remember=True): answers kept per analysis, and the largest circuit they are kept for
# (the placer's comparisons by lowering run on circuits of at most 500 gates at fast effort)
REMEMBERED = 2
REMEMBER_MAX_OPS = 20_000
_NEW_SPOT = 0  # :meth:`_Lowerer._spot`'s answer where a parking qubit is still to be made (real keys are < 0)


@dataclass
class CommPlan:
    """What the lowering spent: ebits per link, bursts, remote gates, the wire layout."""

    num_logical: int
    comm_wires: dict[int, int]  # virtual wire -> global physical qubit (communication qubits)
    ebits_per_link: list[int]
    telegate_bursts: int = 0
    remote_gates: int = 0
    swaps_entanglement: int = 0
    evictions: int = 0
    parked_copies: int = 0  # copies moved to a free data qubit to free a communication qubit
    teledata_moves: int = 0
    peak_comm_in_use: list[int] = field(default_factory=list)
    final_wires: dict[int, int] = field(default_factory=dict)  # logical qubit -> wire, if it ends in a comm qubit
    initial_wires: dict[int, int] = field(default_factory=dict)  # logical qubit -> wire, if it starts in one
    park_wires: dict[int, int] = field(default_factory=dict)  # virtual wire -> QPU: a free data qubit to park on

    @property
    def ebits(self) -> int:
        return int(sum(self.ebits_per_link))

    @property
    def crowded(self) -> int:
        """Copies set aside for want of a communication qubit (evicted, or parked instead)."""
        return self.evictions + self.parked_copies


class _Lowerer:
    def __init__(self, dag: DAGCircuit, network: Network, partition: Partition, inter,
                 windows: list[Window] = (), *, hypergraph: Hypergraph | None = None, reorder: bool = False,
                 around: bool = True) -> None:
        self.net, self.part, self.reorder, self.around = network, partition, reorder, around
        self.placement = np.asarray(partition.placement, dtype=np.int64)
        self.homes: list[int] = self.placement.tolist()
        self.server_planned = np.asarray(partition.server, dtype=np.int64)
        self.server = self.server_planned.copy()
        for w in windows:
            self.server[list(w.gates)] = -1  # local while the qubit visits
        self.starts = {w.first: w for w in windows if not w.starts_away}
        self.early = [w for w in windows if w.starts_away]
        self.ends = {w.last: w for w in windows}
        self.away: dict[int, tuple[Window, int]] = {}  # logical qubit -> (window, comm index holding it)
        self.skipped: set[Window] = set()
        self.residents = [0] * len(network.qpus)
        self.hg = hypergraph if hypergraph is not None else build_hypergraph(inter)
        self.owner: list[int] = self.hg.edge_qubit.tolist()  # hyperedge -> its logical qubit
        self.gate_of = inter.gate_of()
        self.uses, self.last_use = self._copy_uses()
        self.dests: dict[int, set[int]] = {}  # hyperedge -> QPUs that need a copy of its qubit
        for h, k in self.uses:
            self.dests.setdefault(h, set()).add(k)
        n = inter.num_qubits
        self.out = dag.copy_empty_like()
        self.logical = list(dag.qubits)
        self.comm_qubit: dict[int, Qubit] = {}  # global physical comm index -> wire
        self.comm_bit: dict[int, Clbit] = {}
        self.free: list[list[int]] = []
        for k, qpu in enumerate(network.qpus):
            idx = network.comm_indices(k)
            self.free.append(list(idx))
            if not idx:
                continue
            qreg = QuantumRegister(len(idx), self._fresh(f"{qpu.name}_comm"))
            creg = ClassicalRegister(len(idx), self._fresh(f"{qpu.name}_m"))
            self.out.add_qreg(qreg)
            self.out.add_creg(creg)
            for i, g in enumerate(idx):
                self.comm_qubit[g], self.comm_bit[g] = qreg[i], creg[i]
        self.plan_wire = {g: n + i for i, g in enumerate(sorted(self.comm_qubit))}  # comm index -> wire
        self.plan = CommPlan(n, {w: g for g, w in self.plan_wire.items()}, [0] * len(network.links),
                             peak_comm_in_use=[0] * len(network.qpus))
        self.teleport_bits: dict[int, Clbit] = {}
        self.parked: dict[int, int] = {}  # parking key -> what it holds (a hyperedge; -1: a relay's EPR half)
        self.spots: dict[int, list[int]] = {}  # QPU -> its parking keys (made on first use)
        self._apply = self.out.apply_operation_back
        self._correction = CorrectionFactory()
        self.holders: dict[int, dict[int, int | None]] = {}  # hyperedge -> QPU -> comm index (None: source)
        self.lru: list[OrderedDict] = [OrderedDict() for _ in network.qpus]  # QPU -> comm -> hyperedge
        self.used: dict[tuple[int, int], int] = {}  # (hyperedge, QPU) -> its uses known to be lowered
        self.done = bytearray(inter.num_gates)  # two-qubit gates lowered (or being lowered)
        self.pinned: set[tuple[int, int]] = set()  # (hyperedge, QPU) copies the current gate uses: never evicted
        self.open_edges: dict[int, set[int]] = {}  # logical qubit -> hyperedges with live copies

    def _copy_uses(self) -> tuple[dict[tuple[int, int], list[int]], dict[int, int]]:
        """(hyperedge, QPU) -> gates that use that copy, in order (for farthest-next-use eviction);
        and hyperedge -> the last gate using a copy of it."""
        uses: dict[tuple[int, int], list[int]] = {}
        gates, sides = copied_sides(self.hg, self.placement, self.server)  # by gate, then side
        edges = self.hg.edge[gates, sides].tolist()
        gates_list = gates.tolist()
        for g, h, k in zip(gates_list, edges, self.server[gates].tolist()):
            uses.setdefault((h, k), []).append(g)
        return uses, dict(zip(edges, gates_list))

    def next_use(self, h: int, k: int) -> float:
        """The gate that uses the copy of h on QPU k next (after the current one), inf if none."""
        uses = self.uses.get((h, k), ())
        i = first = self.used.get((h, k), 0)
        while i < len(uses) and self.done[uses[i]]:  # a copy's uses are lowered in order (along its qubit)
            i += 1
        if i != first:
            self.used[h, k] = i
        return uses[i] if i < len(uses) else math.inf

    # --- emission helpers -----------------------------------------------------------------
    def emit(self, op, qubits: tuple[Qubit, ...], clbits: tuple[Clbit, ...] = ()) -> None:
        self._apply(op, qubits, clbits, check=False)

    def correct(self, gate: Gate, qubit: Qubit, bit: Clbit) -> None:
        """``if (bit) gate qubit``, as a :class:`~qmosaic.passes.feedforward.Correction` shared per (gate, bit)."""
        self._apply(self._correction(gate, bit), (qubit,), (bit,), check=False)

    def measure(self, comm: int) -> Clbit:
        bit = self.comm_bit[comm]
        self._apply(_MEASURE, (self.comm_qubit[comm],), (bit,), check=False)
        return bit

    # --- communication qubits ----------------------------------------------------------------
    def alloc(self, k: int, protect: int | None, *, relay: bool = False) -> int:
        """A free communication qubit of QPU k, setting a copy aside if none is (never ``protect``'s
        or a pinned one); ``relay``: k relays the EPR pair being made, and may need a free data
        qubit to park its first half on (:meth:`_set_aside` leaves one)."""
        if not self.free[k]:
            # evict the copy needed again farthest in the future (Belady); LRU order breaks ties
            candidates = [(c, h) for c, h in self.lru[k].items() if h != protect and (h, k) not in self.pinned]
            victim = max(candidates, key=lambda ch: self.next_use(ch[1], k), default=(None,))[0]
            if victim is None:
                q = self.net.qpus[k]
                raise RelayError(
                    f"QPU {q.name!r} has {q.comm_qubits} communication qubit(s), too few to relay this "
                    "entanglement; give it at least 2 (comm_qubits)", qpu=k)
            self._set_aside(self.lru[k][victim], k, victim, keep=int(relay))
        comm = self.free[k].pop(0)
        used = self.net.qpus[k].comm_qubits - len(self.free[k])
        self.plan.peak_comm_in_use[k] = max(self.plan.peak_comm_in_use[k], used)
        return comm

    def _set_aside(self, h: int, k: int, comm: int, *, keep: int = 0) -> None:
        """Free communication qubit ``comm`` of QPU k, which holds a copy of hyperedge h: park the
        copy on a free data qubit if it serves another gate and QPU k is all-to-all (two CX, where
        making it again would cost an ebit or more; on a coupled QPU every use would move it with
        SWAPs), leaving ``keep`` free data qubits for a relay, else close it (an eviction)."""
        if self.net.qpus[k].coupling == "all-to-all" and self.next_use(h, k) < math.inf \
                and self._free_spots(k) > keep:
            del self.lru[k][comm]
            self.holders[h][k] = self.park(k, comm, h)
            self.plan.parked_copies += 1
            return
        self.plan.evictions += 1
        self.close_copy(h, k)

    def release(self, k: int, comm: int) -> None:
        self._apply(_RESET, (self.comm_qubit[comm],), (), check=False)
        if comm < 0:  # a parking data qubit (:meth:`park`)
            del self.parked[comm]
            return
        self.free[k].append(comm)
        self.free[k].sort()

    # --- entanglement ------------------------------------------------------------------------------
    def epr_pair(self, path: list[int], protect: int) -> tuple[int, int]:
        """An EPR pair between comm qubits at path[0] and path[-1], swapping at the middles."""
        start = self.alloc(path[0], protect)
        last = len(path) - 1
        end = self.alloc(path[1], protect, relay=1 < last)
        self.emit(_EPR, (self.comm_qubit[start], self.comm_qubit[end]))
        self.plan.ebits_per_link[self.net.link_index(path[0], path[1])] += 1
        for j, (mid, nxt) in enumerate(zip(path[1:], path[2:]), start=2):  # nxt = path[j]
            left = self.park(mid, end, -1) if self._no_second(mid, protect) else end  # (-1: never ``protect``)
            right = self.alloc(mid, protect)
            end = self.alloc(nxt, protect, relay=j < last)
            self.emit(_EPR, (self.comm_qubit[right], self.comm_qubit[end]))
            self.plan.ebits_per_link[self.net.link_index(mid, nxt)] += 1
            self.emit(_CX, (self.comm_qubit[left], self.comm_qubit[right]))
            self.emit(_H, (self.comm_qubit[left],))
            m_z, m_x = self.measure(left), self.measure(right)
            self.correct(_X, self.comm_qubit[end], m_x)
            self.correct(_Z, self.comm_qubit[end], m_z)
            self.release(mid, left)
            self.release(mid, right)
            self.plan.swaps_entanglement += 1
        return start, end

    def _no_second(self, k: int, protect: int) -> bool:
        """QPU k has no communication qubit to give but by evicting ``protect`` or a pinned copy."""
        return not self.free[k] and all(h == protect or (h, k) in self.pinned for h in self.lru[k].values())

    def _spot(self, k: int, protect: int) -> int | None:
        """A parking place on QPU k (key < 0; None if it has none): one per data qubit no logical
        qubit is placed on.  An idle one, else a new one, else one whose parked copy may be
        evicted (not of ``protect``, not pinned)."""
        free = self._free_spot(k)
        if free is not None:
            return free
        held = [key for key in self.spots[k] if self.parked[key] not in (-1, protect)
                and (self.parked[key], k) not in self.pinned]
        return held[0] if held else None

    def _free_spot(self, k: int) -> int | None:
        """An idle parking place on QPU k, else a new one (``_NEW_SPOT``), else None."""
        spots = self.spots.setdefault(k, [])
        idle = [key for key in spots if key not in self.parked]
        if idle:
            return idle[0]
        return _NEW_SPOT if len(spots) < self._unplaced[k] else None  # made by :meth:`park`

    def _free_spots(self, k: int) -> int:
        """Parking places on QPU k that hold nothing (idle, or still to be made)."""
        spots = self.spots.setdefault(k, [])
        return self._unplaced[k] - sum(key in self.parked for key in spots)

    @functools.cached_property
    def _unplaced(self) -> list[int]:
        return unplaced(self.net, self.placement)

    def park(self, k: int, comm: int, what: int) -> int:
        """Move the state on communication qubit ``comm`` of QPU k (a relay's first EPR half,
        ``what`` = -1, or the copy of hyperedge ``what``) to a free data qubit there with two CX
        (it starts in |0>) and free ``comm``: how a QPU with one communication qubit relays, or
        sends its copy onward.  Returns the parking qubit's key (< 0; :meth:`release` resets it).
        ``CommunicationError`` where :meth:`_spot` finds none (the caller names the route).  The
        router routes a parking qubit like a logical one (on a coupled QPU it comes beside the
        communication qubit with SWAPs; on an all-to-all QPU nothing moves)."""
        key = self._spot(k, what)
        if key is None:
            raise RelayError(f"QPU {self.net.qpus[k].name!r} has nowhere to park an EPR half", qpu=k)
        if key == _NEW_SPOT:
            key = -1 - sum(map(len, self.spots.values()))
            name, i = self.net.qpus[k].name, len(self.spots[k])
            qreg = QuantumRegister(1, self._fresh(f"{name}_park{i}"))
            creg = ClassicalRegister(1, self._fresh(f"{name}_park{i}_m"))
            self.out.add_qreg(qreg)
            self.out.add_creg(creg)
            self.comm_qubit[key], self.comm_bit[key] = qreg[0], creg[0]
            self.spots[k].append(key)
            self.plan.park_wires[self.out.num_qubits() - 1] = k
        elif key in self.parked:  # a parked copy makes room
            self.plan.evictions += 1
            self.close_copy(self.parked[key], k)
        self.emit(_CX, (self.comm_qubit[comm], self.comm_qubit[key]))
        self.emit(_CX, (self.comm_qubit[key], self.comm_qubit[comm]))
        self.release(k, comm)
        self.parked[key] = what
        return key

    def _relay_error(self, path: list[int], holders: dict[int, int | None], failed: int | None) -> RelayError | None:
        """The error naming the route if a QPU with one communication qubit had to pass the copy on
        (a relay, or a holder sending its copy onward, holds two EPR halves at once) and could
        not park one on a free data qubit (:meth:`park`), else None.  It names ``failed`` (the
        QPU that ran out) if that is one of them."""
        stuck = [k for k in path[:-1] if self.net.qpus[k].comm_qubits < 2 and (k != path[0] or holders[k] is not None)]
        if not stuck:
            return None
        k = failed if failed in stuck else stuck[0]
        a, m, b = (self.net.qpus[j].name for j in (path[0], k, path[-1]))
        park = (", or leave one of its data qubits free (it parks an EPR half there: fewer circuit qubits, or a larger "
                "QPU)") if not self._unplaced[k] else ""
        return RelayError(
            f"QPU {m!r} has {self.net.qpus[k].comm_qubits} communication qubit(s), too few to relay "
            f"entanglement from {a!r} to {b!r} (a relay holds two EPR halves at once); give it at least 2 "
            f"(comm_qubits), or link {a!r} and {b!r} directly{park}", qpu=k)

    def wire(self, h: int, k: int) -> Qubit:
        comm = self.holders[h][k]
        return self.current(self.owner[h]) if comm is None else self.comm_qubit[comm]

    def current(self, q: int) -> Qubit:
        """The wire holding logical qubit q now (its own, or a comm qubit while it is away)."""
        return self.comm_qubit[self.away[q][1]] if q in self.away else self.logical[q]

    def ensure_copy(self, h: int, k: int) -> Qubit:
        holders = self.holders.get(h)
        if holders is None:
            holders = self.holders[h] = {self.homes[self.owner[h]]: None}
        if k in holders:
            if holders[k] in self.lru[k]:
                self.lru[k].move_to_end(holders[k])
            return self.wire(h, k)
        path = self._tree_path(h, k)
        for seg in self._segments(h, path):
            held = holders.get(seg[0])
            if held is not None and held >= 0 and not self._spare(seg[0], h) and self._spot(seg[0], h) is not None:
                del self.lru[seg[0]][held]  # its only free communication qubit holds the copy to send on
                holders[seg[0]] = self.park(seg[0], held, h)
            src_wire = self.wire(h, seg[0])
            try:
                a, b = self.epr_pair(seg, h)
            except CommunicationError as exc:
                raise self._relay_error(path, holders, getattr(exc, "qpu", None)) or exc from None
            self.emit(_CX, (src_wire, self.comm_qubit[a]))
            self.correct(_X, self.comm_qubit[b], self.measure(a))
            self.release(seg[0], a)
            holders[seg[-1]] = b
            self.lru[seg[-1]][b] = h
        self.open_edges.setdefault(self.owner[h], set()).add(h)
        self.plan.telegate_bursts += 1
        return self.wire(h, k)

    def _tree_path(self, h: int, k: int) -> list[int]:
        """Path in h's Steiner tree from the nearest holder to k (falls back to the best route)."""
        src = self.homes[self.owner[h]]
        tree = self.net.steiner(frozenset(self.dests.get(h, set()) | {src, k}))
        adj: dict[int, list[int]] = {}
        for a, b in tree:
            adj.setdefault(a, []).append(b)
            adj.setdefault(b, []).append(a)
        prev, order = {k: None}, [k]
        for node in order:
            if node in self.holders[h] and self._sends(node, h):
                path = [node]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return self._around_stuck(h, path)
            for nxt in sorted(adj.get(node, ())):
                if nxt not in prev:
                    prev[nxt] = node
                    order.append(nxt)
        return self._around_stuck(h, list(self.net.route(src, k)))

    def _sends(self, k: int, h: int) -> bool:
        """A holder of h on QPU k can send it on: a communication qubit to lend, or a data qubit to park on."""
        return self._spare(k, h) or self._spot(k, h) is not None

    def _around_stuck(self, h: int, path: list[int]) -> list[int]:
        """``path``, or where a QPU on its way cannot relay (one communication qubit, every data
        qubit placed on: nowhere to park an EPR half), the shortest route to its end from a holder
        of h that can send (:meth:`_sends`) around all such QPUs, if there is one: it may cost
        more ebits than the tree, but the tree's route cannot be made (on a ring of four
        two-qubit ion modules, three full and one empty, the route between two full ones through
        the third, where the empty one is as near)."""
        if not self.around or not any(self._stuck(m) for m in path[1:-1]):
            return path
        weights = [link.weight(self.net.objective) for link in self.net.links]
        end, best = path[-1], (math.inf, path)  # else the relay error names the QPU
        for start in sorted(self.holders[h]):
            if self._sends(start, h):
                graph = self.net.graph.copy()
                graph.remove_nodes_from([m for m in range(len(self.net.qpus)) if self._stuck(m)
                                         and m not in (start, end)])
                length = rx.dijkstra_shortest_path_lengths(graph, start, lambda e: weights[e], goal=end)
                if end in length and length[end] < best[0]:  # ranked as the network's routes are
                    found = rx.dijkstra_shortest_paths(graph, start, end, lambda e: weights[e])[end]
                    best = (length[end], [int(m) for m in found])
        return best[1]

    def _stuck(self, k: int) -> bool:
        return self.net.qpus[k].comm_qubits < 2 and not self._unplaced[k]

    def _spare(self, k: int, h: int) -> bool:
        """QPU k can lend a communication qubit for sending h onward (free, or evictable)."""
        return bool(self.free[k]) or any(x != h and (x, k) not in self.pinned for x in self.lru[k].values())

    def _segments(self, h: int, path: list[int]) -> list[list[int]]:
        """Split a path at QPUs that need a copy themselves (they become holders on the way)."""
        wanted = self.dests.get(h, set())
        segs, cur = [], [path[0]]
        for node in path[1:]:
            cur.append(node)
            if node in wanted or node == path[-1]:
                segs.append(cur)
                cur = [node]
        return segs

    def close_copy(self, h: int, k: int) -> None:
        comm = self.holders[h].pop(k)
        self.lru[k].pop(comm, None)  # a parked copy holds no communication qubit
        source = self.current(self.owner[h])
        self.emit(_H, (self.comm_qubit[comm],))
        self.correct(_Z, source, self.measure(comm))
        self.release(k, comm)

    def close_edge(self, h: int) -> None:
        for k in [k for k, c in self.holders.get(h, {}).items() if c is not None]:
            self.close_copy(h, k)
        self.holders.pop(h, None)
        self.open_edges.get(self.owner[h], set()).discard(h)

    def flip_copies(self, q: int) -> None:
        """An anti-diagonal gate on q flips its Z value: flip every live copy with it (they stay valid)."""
        for h in sorted(self.open_edges.get(q, ())):
            for k, comm in sorted(self.holders.get(h, {}).items()):
                if comm is not None:
                    self.emit(_X, (self.comm_qubit[comm],))

    def close_qubit(self, q: int) -> None:
        for h in sorted(self.open_edges.get(q, ())):
            self.close_edge(h)

    # --- TeleData ----------------------------------------------------------------------------------
    def _room(self, path: tuple[int, ...]) -> bool:
        """Enough communication qubits on the route to park a qubit at its end and still relay."""
        for k in path:
            spare = self.net.qpus[k].comm_qubits - self.residents[k]
            need = 3 if (k == path[-1] and self.net.graph.degree(k) > 1) else 2
            if spare < need:
                return False
        return True

    def _fresh(self, name: str) -> str:
        """``name``, or ``name_1``, ``name_2``... if the circuit already has a register so named
        (an input register may be called ``q0_m``)."""
        taken, i, out = set(self.out.qregs) | set(self.out.cregs), 0, name
        while out in taken:
            i += 1
            out = f"{name}_{i}"
        return out

    def teleport_bit(self, k: int) -> Clbit:
        if k not in self.teleport_bits:
            creg = ClassicalRegister(1, self._fresh(f"{self.net.qpus[k].name}_t"))
            self.out.add_creg(creg)
            self.teleport_bits[k] = creg[0]
        return self.teleport_bits[k]

    def teleport(self, source: Qubit, source_bit: Clbit, path: tuple[int, ...]) -> int:
        """Teleport the state of ``source`` (on path[0]) into a comm qubit at path[-1]; return it."""
        try:
            a, b = self.epr_pair(list(path), -1)
        except CommunicationError as exc:
            raise self._relay_error(list(path), {path[0]: None}, getattr(exc, "qpu", None)) or exc from None
        self.emit(_CX, (source, self.comm_qubit[a]))
        self.emit(_H, (source,))
        m_x = self.measure(a)
        self.emit(_MEASURE, (source,), (source_bit,))
        self.correct(_X, self.comm_qubit[b], m_x)
        self.correct(_Z, self.comm_qubit[b], source_bit)
        self.release(path[0], a)
        self.plan.teledata_moves += 1
        return b

    def leave(self, w: Window) -> None:
        home = int(self.placement[w.qubit])
        path = self.net.route(home, w.dest)
        if not self._room(path):
            self.skipped.add(w)
            return
        self.close_qubit(w.qubit)
        data = self.logical[w.qubit]
        comm = self.teleport(data, self.teleport_bit(home), path)
        self.emit(_RESET, (data,))
        self.residents[w.dest] += 1
        self.away[w.qubit] = (w, comm)

    def begin_away(self, w: Window) -> None:
        """A window from the start: the qubit begins in a comm qubit of ``w.dest`` (its initial layout)."""
        if not self._room((w.dest,)):
            self.skipped.add(w)
            return
        comm = self.alloc(w.dest, None)
        self.residents[w.dest] += 1
        self.away[w.qubit] = (w, comm)
        self.plan.initial_wires[w.qubit] = self.plan_wire[comm]

    def come_back(self, w: Window) -> None:
        if w in self.skipped or not w.returns:
            return
        home = int(self.placement[w.qubit])
        _, comm = self.away.pop(w.qubit)
        self.residents[w.dest] -= 1
        arrived = self.teleport(self.comm_qubit[comm], self.comm_bit[comm], self.net.route(w.dest, home))
        self.release(w.dest, comm)
        self.emit(_SWAP, (self.comm_qubit[arrived], self.logical[w.qubit]))
        self.release(home, arrived)

    # --- main loop -----------------------------------------------------------------------------------
    def run(self, dag: DAGCircuit) -> DAGCircuit:
        index = {b: i for i, b in enumerate(self.logical)}
        for w in self.early:
            self.begin_away(w)
        for node in self._order(dag):
            qs = [index[q] for q in node.qargs]
            if node._node_id in self.starts:
                self.leave(self.starts[node._node_id])
            if len(qs) == 2:
                self.two_qubit(node, qs)
            else:
                if not node_fact(is_diagonal_1q, node):  # the common case first: one cached lookup
                    if node_fact(is_antidiagonal_1q, node):
                        self.flip_copies(qs[0])
                    else:
                        self.close_qubit(qs[0])
                append_node(self.out, node, (self.current(qs[0]),))
            if node._node_id in self.ends:
                self.come_back(self.ends[node._node_id])
        for q in range(len(self.logical)):
            self.close_qubit(q)
        self.plan.final_wires = {q: self.plan_wire[comm] for q, (_, comm) in sorted(self.away.items())}
        return self.out

    def two_qubit(self, node, qs: list[int]) -> None:
        g = self.gate_of[node._node_id]
        self.done[g] = 1
        _, all_edges, servers = self._gate_lists
        edges = all_edges[g]
        for side in (0, 1):
            if edges[side] < 0:  # not diagonal on this qubit: its copies must go first
                self.close_qubit(qs[side])
        srv = servers[g]
        if srv < 0 and any(w.qubit in qs and g in w.gates for w in self.skipped):
            srv = int(self.server_planned[g])  # its TeleData window could not run: use TeleGate
        if srv < 0:
            append_node(self.out, node, tuple(self.current(q) for q in qs))
            return
        away = [side for side, q in enumerate(qs) if self.located(q) != srv]
        if len(away) == 2 and self.net.qpus[srv].comm_qubits - self.residents[srv] < 2:
            srv = self.located(qs[1])  # cannot hold both copies (qubits moved in hold the rest): run at qubit 1's
        elif away and min(edges) >= 0:
            srv = self._live_server(qs, edges, srv)
        wires, copies = [], []
        self.pinned = set()
        for side, q in enumerate(qs):
            if self.located(q) == srv:
                wires.append(self.current(q))
                continue
            h = edges[side]
            if h < 0:
                raise PassError(f"internal: gate {g} runs on QPU {srv} away from qubit {q}, not diagonal on it")
            wires.append(self.ensure_copy(h, srv))
            copies.append(h)
            self.pinned.add((h, srv))  # its copies elsewhere may still make room
        self.pinned = set()
        append_node(self.out, node, tuple(wires))
        if copies:
            self.plan.remote_gates += 1
        for h in copies:
            if self.last_use.get(h) == g:
                self.close_edge(h)

    def _order(self, dag: DAGCircuit):
        """The operations in the DAG's topological order; with ``reorder``, in the order
        :func:`~qmosaic.passes.comm_order.scheduled` chooses as the lowering goes (operations that
        need no copy first, then the remote gate :meth:`_copy_cost` ranks lowest).  That order
        follows each qubit's and clbit's wire; a DAG with classical variables (the normaliser
        refuses them) keeps its own order."""
        if not self.reorder or dag.num_vars:
            return dag.topological_op_nodes()
        return scheduled(list(dag.topological_op_nodes()), self._is_remote, self._copy_cost)

    def _is_remote(self, node) -> bool:
        """``node`` is a two-qubit gate planned on a QPU where one of its qubits is not."""
        g = self.gate_of.get(node._node_id)
        if g is None:
            return False
        qubits, _, server = self._gate_lists
        return server[g] >= 0 and any(self.located(q) != server[g] for q in qubits[g])

    def _copy_cost(self, node) -> tuple[bool, int]:
        """A cheap estimate of what lowering the remote gate ``node`` now costs: (its planned QPU has
        fewer free communication qubits than the copies it lacks there, copies it lacks).  It
        does not look at the sending QPUs, relays, or the changes of server :meth:`two_qubit` may
        make; it ranks the gates, the lowering decides."""
        g = self.gate_of[node._node_id]
        qubits, edges, server = self._gate_lists
        srv, missing = server[g], 0
        for q, h in zip(qubits[g], edges[g]):
            if self.located(q) != srv and srv not in self.holders.get(h, ()):
                missing += 1
        return missing > len(self.free[srv]), missing

    @functools.cached_property
    def _gate_lists(self) -> tuple[list, list, list]:
        """Each gate's qubits, hyperedges and server (fixed after setup) as plain lists."""
        return self.hg.qubits.tolist(), self.hg.edge.tolist(), self.server.tolist()

    def _live_server(self, qs: list[int], edges: list[int], srv: int) -> int:
        """``srv``, or the home of one of a gate's qubits (the gate diagonal on both: hyperedges
        ``edges``) where a copy of the other is live, when ``srv`` lacks a copy it needs: that
        copy would cost an ebit now (it was evicted, or is not made yet); the live one costs none."""
        if all(self.located(q) == srv or srv in self.holders.get(h, ()) for q, h in zip(qs, edges)):
            return srv
        for side in (0, 1):
            home, other = self.located(qs[side]), edges[1 - side]
            if home != srv and qs[side] not in self.away and home in self.holders.get(other, ()):
                return home
        return srv

    def located(self, q: int) -> int:
        """QPU where logical qubit q lives now."""
        away = self.away.get(q)
        return self.homes[q] if away is None else away[0].dest

def unplaced(network: Network, placement) -> list[int]:
    """Data qubits of each QPU that no logical qubit of ``placement`` is placed on: where a QPU
    parks (a relay's EPR half, a copy)."""
    load = np.bincount(np.asarray(placement, dtype=np.int64), minlength=len(network.qpus))
    return [q.qubits - int(load[k]) for k, q in enumerate(network.qpus)]


def lower(dag: DAGCircuit, network: Network, partition: Partition, interactions=None, *, teledata: bool = True,
          link_weight: np.ndarray | None = None, materialize: bool = True,
          start_away: bool = True, remember: bool = False, around: bool = True) -> tuple[DAGCircuit, CommPlan]:
    """Lower the logical DAG; return the DAG over logical + communication wires and the plan.

    ``teledata`` lets qubits move (TeleData) where that costs less under ``link_weight``
    (the objective's cost of one ebit per link; default 1 = ebits).  ``materialize=False``
    leaves the corrections as :class:`~qmosaic.passes.feedforward.Correction` (the caller
    materializes the finished circuit; see that module).  ``start_away=False`` keeps every
    qubit on its data qubit at the start (when the layout is fixed already, as in a pass manager).

    Where copies were set aside for want of communication qubits (``EVICTED_SHARE``), it
    lowers again in the order that finishes bursts first, then, unless that set none aside,
    with short-lived servers, and keeps the cheapest (:func:`_retries`).

    ``remember`` keeps the answer with the analysis (``interactions``) for the next call with
    the same DAG, network and arguments, which takes it (at most ``REMEMBERED`` answers, circuits of at
    most ``REMEMBER_MAX_OPS`` operations): the placer lowers placements to compare them
    (:func:`spent_ebits`), and the compiler then lowers the winner.  The caller must not change
    a remembered DAG.

    ``around=False`` raises :class:`~qmosaic.RelayError` where a copy's route passes a QPU that
    cannot relay, instead of going around it at a cost in ebits (``_Lowerer._around_stuck``):
    the placer ranks such placements as unlowerable, and the compiler places again with a
    data qubit left free there first (:mod:`~qmosaic.passes.relay`).
    """
    memo = interactions.derived("lowered", dict) if interactions is not None else {}
    key = (partition.placement, partition.server, teledata, start_away, around,
           None if link_weight is None else np.asarray(link_weight).tobytes())
    kept = memo.pop(key, None)
    if kept is not None and kept[0] is dag and kept[1] is network:  # a narrowed network numbers qubits otherwise
        out, plan = kept[2:]
    else:
        out, plan = _lower(dag, network, partition, interactions, teledata=teledata, link_weight=link_weight,
                           start_away=start_away, around=around)
    if remember and dag.num_ops() <= REMEMBER_MAX_OPS:  # top-level operations (size() refuses control flow)
        memo[key] = (dag, network, out, plan)
        while len(memo) > REMEMBERED:
            memo.pop(next(iter(memo)))
    return (materialize_dag(out) if materialize else out), plan


def _lower(dag: DAGCircuit, network: Network, partition: Partition, interactions, *, teledata: bool,
           link_weight: np.ndarray | None, start_away: bool, around: bool) -> tuple[DAGCircuit, CommPlan]:
    """:func:`lower`, corrections not materialized, without remembering."""
    inter = interactions if interactions is not None else analyse_interactions(dag)
    hg = build_hypergraph(inter)
    weight = np.ones(len(network.links)) if link_weight is None else np.asarray(link_weight)
    out, plan = _lower_with(dag, network, partition, inter, hg, weight, teledata=teledata, start_away=start_away,
                            around=around)
    if plan.crowded and plan.crowded >= EVICTED_SHARE * plan.ebits:
        for other_partition, reorder in _retries(hg, partition, network):
            try:
                other = _lower_with(dag, network, other_partition, inter, hg, weight, teledata=teledata,
                                    start_away=start_away, reorder=reorder, around=around)
            except CommunicationError:  # these copies would need a relay where no QPU can be one
                continue
            if _spent(other[1], network, weight) < _spent(plan, network, weight):
                out, plan = other
            if not plan.crowded:  # nothing set aside any more: short-lived servers cannot do better
                break
    return out, plan


def _retries(hg: Hypergraph, partition: Partition, network: Network):
    """How :func:`lower` lowers again where copies were set aside: in the order that finishes
    bursts first (:mod:`~qmosaic.passes.comm_order`), and with short-lived servers (if they differ)."""
    yield partition, True
    server = plan_servers(hg, np.asarray(partition.placement, dtype=np.int64), network, short_lived=True)[1]
    if server.tolist() != list(partition.server):
        yield replace(partition, server=tuple(server.tolist())), False


def spent_ebits(dag: DAGCircuit, network: Network, partition: Partition, interactions=None, *,
                start_away: bool = True) -> float:
    """The ebits :func:`lower` spends on ``partition``; infinite where it needs a relay that no QPU
    can make (``CommunicationError``): how the compiler ranks placements by their lowering."""
    try:
        return lower(dag, network, partition, interactions, materialize=False, start_away=start_away,
                     remember=True, around=False)[1].ebits
    except CommunicationError:
        return math.inf


def _lower_with(dag: DAGCircuit, network: Network, partition: Partition, inter, hg: Hypergraph, weight: np.ndarray,
                *, teledata: bool, start_away: bool, reorder: bool = False,
                around: bool = True) -> tuple[DAGCircuit, CommPlan]:
    """One lowering with ``partition``'s servers (see :func:`lower`)."""
    windows: list[Window] = []
    if teledata:
        placement, server = np.asarray(partition.placement), np.asarray(partition.server)
        ordered = plan_windows(dag, inter, hg, placement, server, network, weight, start_away=start_away)
        if ordered.dag is not dag:  # commuting gates moved to make room for windows: renumbered
            dag, inter, hg = ordered.dag, ordered.inter, ordered.hg
            partition = replace(partition, server=tuple(ordered.server.tolist()))
        windows = ordered.windows
    low = _Lowerer(dag, network, partition, inter, windows, hypergraph=hg, reorder=reorder, around=around)
    return low.run(dag), low.plan


def _spent(plan: CommPlan, network: Network, weight: np.ndarray) -> tuple[int, float]:
    """How a lowering ranks: EPR pairs over the links' budgets, then their objective weight."""
    usage = np.asarray(plan.ebits_per_link)
    return overflow(usage, network), float(usage @ weight)


class TeleportLowering(TransformationPass):
    """Replace remote two-qubit gates by cat-entanglement bursts (see module docstring).

    Property set fields read: ``qmosaic_partition``, ``qmosaic_interactions``.
    Property set values written: ``qmosaic_comm_plan`` (:class:`CommPlan`).
    """

    def __init__(self, network: Network, *, teledata: bool = True):
        super().__init__()
        self.network, self.teledata = network, teledata

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        partition = self.property_set["qmosaic_partition"]
        if partition is None:
            raise PassError("TeleportLowering needs 'qmosaic_partition'; run ILPPlacement first")
        out, plan = lower(dag, self.network, partition, self.property_set["qmosaic_interactions"],
                          teledata=self.teledata, start_away=False)
        self.property_set["qmosaic_comm_plan"] = plan
        return out

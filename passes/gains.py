"""Fast local search for the placer: moves priced from the moved qubit's gates only.

:func:`~qmosaic.passes.objective.score` plans every gate's server afresh for each trial
placement, a few microseconds per gate of the circuit: on a 1,000-gate circuit one trial
costs milliseconds.  Here each two-qubit gate's *copy side* is fixed instead: which qubit's
cat-entangled copy serves it when its qubits are apart (the side the last full plan chose;
else the only diagonal side; else, for a gate diagonal on both, the side whose hyperedge
serves more gates, or fewer).  A hyperedge h of qubit q then needs copies at the homes of
its gates' partners, and costs a tree joining those QPUs with q's home (a minimum Steiner
tree on networks of up to ``EXACT_TREE_QPUS`` QPUs, else a spanning tree over route
lengths).  Moving q changes only q's hyperedges and the hyperedges that serve a gate with
q, so a trial move or swap costs time in proportion to the qubit's gates, not the
circuit's.

:func:`gain_search` runs rounds: fix the sides from a full plan, descend on moves and swaps,
plan again; it returns the best placement a full plan scores (the fixed sides only guide
the search, they never decide the answer).  It serves the ``ebits`` objective on networks
without link budgets, and stops after a given amount of work (the same answer on any
machine).
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np

from qmosaic.targets.models import Network

from .hypergraph import Hypergraph, mask_bits, plan_servers

__all__ = ["gain_search"]

_EPS = 1e-9
EXACT_TREE_QPUS = 8


class _Copies:
    """Copy demands under fixed sides, and the cost of every hyperedge's Steiner tree."""

    def __init__(self, hg: Hypergraph, placement: np.ndarray, server: np.ndarray, network: Network, *,
                 larger: bool):
        self.home = placement.tolist()
        self.network = network
        self._tree = _Trees(network)
        n, kq, width = hg.num_qubits, len(network.qpus), max(1, hg.num_edges)
        edges, partners = _sides(hg, placement, server, larger=larger)
        self.own: list[set[int]] = [set() for _ in range(n)]
        owner = hg.edge_qubit.tolist()
        for h in np.unique(edges).tolist():
            self.own[owner[h]].add(h)
        self.partner: list[dict[int, int]] = [{} for _ in range(n)]  # r -> {h: h's gates with r}
        pairs, gates = np.unique(partners * width + edges, return_counts=True)
        for r, h, c in zip((pairs // width).tolist(), (pairs % width).tolist(), gates.tolist()):
            self.partner[r][h] = c
        self.count: dict[int, dict[int, int]] = {}  # h -> {QPU: gates of h whose partner is there}
        held, gates = np.unique(edges * kq + placement[partners], return_counts=True)
        for h, k, c in zip((held // kq).tolist(), (held % kq).tolist(), gates.tolist()):
            self.count.setdefault(h, {})[k] = c
        self.mask: dict[int, int] = {h: sum(1 << k for k in at) for h, at in self.count.items()}
        self.src = [1 << k for k in placement[hg.edge_qubit].tolist()]  # h -> its qubit's QPU, as a bit
        self.neighbours: list[set[int]] = [set() for _ in range(n)]  # qubits sharing a gate
        for r, q in np.unique(np.c_[pairs // width, hg.edge_qubit[pairs % width]], axis=0).tolist():
            self.neighbours[r].add(q)
            self.neighbours[q].add(r)

    def tree(self, mask: int) -> int:
        """Links of a tree joining the QPUs in ``mask`` (a bit per QPU; see :class:`_Trees`)."""
        if self.network.is_complete:
            return mask.bit_count() - 1
        return self._tree[mask]

    def total(self) -> int:
        return sum(self.tree(m | self.src[h]) for h, m in self.mask.items())

    def members(self, qpus: int) -> list[list[int]]:
        """The qubits on each QPU."""
        out: list[list[int]] = [[] for _ in range(qpus)]
        for q, k in enumerate(self.home):
            out[k].append(q)
        return out

    def work(self, q: int) -> int:
        """Hyperedges :meth:`delta` visits for qubit q (plus one)."""
        return len(self.own[q]) + len(self.partner[q]) + 1

    def work_all(self, q: int) -> int:
        """Hyperedges :meth:`deltas` visits: once on complete networks, once per QPU elsewhere."""
        return self.work(q) * (1 if self.network.is_complete else len(self.network.qpus) - 1)

    def delta(self, q: int, b: int) -> int:
        """Change of the total if qubit q moved to QPU b."""
        a = self.home[q]
        if self.network.is_complete:
            return self._delta_complete(q, a, 1 << a, 1 << b)
        return self._delta_tree(q, a, 1 << a, 1 << b)

    def deltas(self, q: int) -> list[int]:
        """:meth:`delta` of qubit q for every QPU (0 at its own), in one pass over its hyperedges."""
        a, k_all = self.home[q], len(self.network.qpus)
        if not self.network.is_complete:
            out = self._deltas_tree(q, a, range(k_all))
            out[a] = 0
            return out
        mask, count, src, bits = self.mask, self.count, self.src, mask_bits
        bit_a = 1 << a
        # own hyperedge h: (a in m) - (b in m); a copy of partner hyperedge h moving from a to b:
        # |S + b| - |before| with S = the set without a (if q was its last gate there) plus the owner
        held = [0] * k_all
        fixed = 0
        for h in self.own[q]:
            m = mask[h]
            fixed += m & bit_a != 0
            for b in bits(m):
                held[b] += 1
        for h, c in self.partner[q].items():
            m, here = mask[h], src[h]
            rest = (m & ~bit_a if count[h][a] == c else m) | here
            fixed += rest.bit_count() + 1 - (m | here).bit_count()
            for b in bits(rest):
                held[b] += 1
        out = [fixed - x for x in held]
        out[a] = 0
        return out

    def _deltas_tree(self, q: int, a: int, targets) -> list[int]:
        """:meth:`delta` of qubit q for each QPU of ``targets`` off complete networks: each hyperedge
        is priced for all of them at once, its tree lengths read inline (a method call per length
        was half of a 6-QPU search)."""
        mask, count, src, lengths = self.mask, self.count, self.src, self._tree
        bit_a, shifts = 1 << a, [1 << b for b in targets]
        out = [0] * len(shifts)
        for h in self.own[q]:  # the copies stay put; the source moves from a to b
            m = mask[h]
            base = lengths[m | bit_a]
            for i, bit_b in enumerate(shifts):
                out[i] += lengths[m | bit_b] - base
        for h, c in self.partner[q].items():  # a copy of h moves from a to b
            m, here = mask[h], src[h]
            base = lengths[m | here]
            rest = (m & ~bit_a if count[h][a] == c else m) | here
            for i, bit_b in enumerate(shifts):
                out[i] += lengths[rest | bit_b] - base
        return out

    def _delta_tree(self, q: int, a: int, bit_a: int, bit_b: int) -> int:
        """:meth:`delta` off complete networks for one QPU (swap partners are priced so: the hot path,
        inlined)."""
        mask, count, src, lengths = self.mask, self.count, self.src, self._tree
        d = 0
        for h in self.own[q]:  # the copies stay put; the source moves from a to b
            m = mask[h]
            d += lengths[m | bit_b] - lengths[m | bit_a]
        for h, c in self.partner[q].items():  # a copy of h moves from a to b
            m, here = mask[h], src[h]
            d += lengths[(m & ~bit_a if count[h][a] == c else m) | here | bit_b] - lengths[m | here]
        return d

    def _delta_complete(self, q: int, a: int, bit_a: int, bit_b: int) -> int:
        """:meth:`delta` where a tree over m QPUs has m - 1 links (the hot path, inlined)."""
        mask, count, src = self.mask, self.count, self.src
        d = 0
        for h in self.own[q]:  # the copies stay put; the source moves from a to b
            m = mask[h]
            d += (m & bit_a != 0) - (m & bit_b != 0)
        for h, c in self.partner[q].items():  # a copy of h moves from a to b: gained at b, lost at a
            here = src[h]
            d += ((mask[h] | here) & bit_b == 0) - (count[h][a] == c and here != bit_a)
        return d

    def move(self, q: int, b: int) -> None:
        a = self.home[q]
        for h, c in self.partner[q].items():
            at = self.count[h]
            at[a] -= c
            if not at[a]:
                del at[a]
                self.mask[h] &= ~(1 << a)
            at[b] = at.get(b, 0) + c
            self.mask[h] |= 1 << b
        for h in self.own[q]:
            self.src[h] = 1 << b
        self.home[q] = b


class _Trees(dict):
    """Links of a tree joining the QPUs of a mask (a bit per QPU), computed on first use: a minimum
    one on networks of at most ``EXACT_TREE_QPUS`` QPUs, else a minimum spanning tree over route
    lengths (at most twice the minimum; exact trees over 16 QPUs took half of a 30k-gate
    search).  Read by subscript, not ``dict.get`` and a test (with :meth:`_Copies._delta_tree` for
    one QPU: the gain search 24 % faster on 8 benchmark cases off complete networks)."""

    def __init__(self, network: Network):
        super().__init__()
        self.network = network

    def __missing__(self, mask: int) -> int:
        terminals = mask_bits(mask)
        length = self[mask] = (len(self.network.steiner(frozenset(terminals)))
                               if len(self.network.qpus) <= EXACT_TREE_QPUS else _spanning_length(terminals, self.hops))
        return length

    @functools.cached_property
    def hops(self) -> list[list[int]]:
        """Links on the best route between every two QPUs."""
        k = len(self.network.qpus)
        return [[len(self.network.route(a, b)) - 1 for b in range(k)] for a in range(k)]


def _spanning_length(terminals: tuple[int, ...], hops: list[list[int]]) -> int:
    """Length of a minimum spanning tree over ``terminals`` with route lengths (Prim)."""
    if len(terminals) <= 1:
        return 0
    rest = list(terminals[1:])
    near = [hops[terminals[0]][t] for t in rest]
    total = 0
    while rest:
        i = min(range(len(rest)), key=near.__getitem__)
        total += near[i]
        v = rest.pop(i)
        near.pop(i)
        near = [min(d, hops[v][t]) for d, t in zip(near, rest)]
    return total


def _sides(hg: Hypergraph, placement: np.ndarray, server: np.ndarray, *,
           larger: bool) -> tuple[np.ndarray, np.ndarray]:
    """(hyperedges, partner qubits) of the two-qubit gates: the copy that serves each when apart
    (a local gate diagonal on both: the side whose hyperedge serves more gates if ``larger``,
    else fewer)."""
    size = np.bincount(hg.edge[hg.edge >= 0], minlength=hg.num_edges)
    (e0, e1), (a, b) = hg.edge.T, placement[hg.qubits].T
    one_sided = (e0 < 0) | (e1 < 0)
    larger_first = size[np.maximum(e0, 0)] >= size[np.maximum(e1, 0)]
    # side 1 is copied: the only diagonal one, else the one not at the server, else by size
    copied = np.where(one_sided, e0 < 0, np.where(a != b, server == a, larger_first != larger))
    edges, partners = np.where(copied, e1, e0), np.where(copied, hg.qubits[:, 0], hg.qubits[:, 1])
    return edges[edges >= 0], partners[edges >= 0]


def _descend(copies: _Copies, capacity: list[int], active: list[int], budget: int, deadline: float) -> int:
    """First-improvement moves and swaps on ``copies`` until none gains, ``budget`` work is
    spent or the ``deadline`` (``time.monotonic()``) passes; returns the work left.

    A qubit moves to a QPU with room, or swaps with a qubit there (idle ones too: a swap with
    an idle qubit is a move into a full QPU), the QPUs tried in order of its gain.  A swap
    partner is priced exactly only if it shares a gate with the qubit or if its own gain,
    priced once per pass, makes the pair gain: most swaps are never priced exactly."""
    members, improved = copies.members(len(capacity)), True
    while improved and budget > 0:
        improved = False
        estimates: dict[int, list[int]] = {}
        for q in active:
            if budget <= 0 or time.monotonic() > deadline:
                return 0
            estimates.pop(q, None)
            gains = copies.deltas(q)  # exact (an estimate may be stale): it decides the move
            budget -= copies.work_all(q)
            moved, budget = _improve(copies, members, capacity, q, gains, estimates, budget)
            improved |= moved
    return budget


def _improve(copies: _Copies, members: list[list[int]], capacity: list[int], q: int, gains: list[int],
             estimates: dict[int, list[int]], budget: int) -> tuple[bool, int]:
    """Move or swap qubit q if that lowers the total (see :func:`_descend`); (done, work left)."""
    a, near = copies.home[q], copies.neighbours[q]
    for k in sorted(range(len(capacity)), key=lambda k: (gains[k], k)):
        if k == a:
            continue
        if len(members[k]) < capacity[k]:
            if gains[k] < -_EPS:
                copies.move(q, k)
                _relocate(members, q, a, k)
                return True, budget - copies.work(q)
            continue
        partners = []
        for r in members[k]:
            if r not in estimates:
                estimates[r] = copies.deltas(r)
                budget -= copies.work_all(r)
            if gains[k] + estimates[r][a] < -_EPS or r in near:
                partners.append(r)
        if not partners:
            continue
        copies.move(q, k)
        for r in partners:
            budget -= copies.work(r)
            if gains[k] + copies.delta(r, a) < -_EPS:
                copies.move(r, a)
                _relocate(members, q, a, k)
                _relocate(members, r, k, a)
                estimates.pop(r, None)
                return True, budget - copies.work(r)
        copies.move(q, a)
        budget -= 2 * copies.work(q)
        if budget <= 0:
            break
    return False, budget


def _descend_all(copies: _Copies, capacity: list[int], active: list[int], budget: int, deadline: float) -> int:
    """:func:`_descend` pricing every swap partner exactly, QPUs in index order: slower per
    move, but it reaches placements the estimate passes over (a swap-test ancilla's copies
    shared by every pair: ``knn_n41-a2a4`` 3 ebits here, 6 there)."""
    home, members, improved = copies.home, copies.members(len(capacity)), True
    while improved and budget > 0:
        improved = False
        for q in active:
            if time.monotonic() > deadline:
                return 0
            for k in range(len(capacity)):
                if k == home[q] or budget <= 0:
                    continue
                moved, budget = _try(copies, members, capacity, q, k, budget)
                improved |= moved
    return budget


def _try(copies: _Copies, members: list[list[int]], capacity: list[int], q: int, k: int,
         budget: int) -> tuple[bool, int]:
    """Move qubit q to QPU k, or swap it with the first qubit there that makes the pair gain;
    (done, work left)."""
    a = copies.home[q]
    gain = copies.delta(q, k)
    budget -= copies.work(q)
    if len(members[k]) < capacity[k]:
        if gain >= -_EPS:
            return False, budget
        copies.move(q, k)
        _relocate(members, q, a, k)
        return True, budget - copies.work(q)
    copies.move(q, k)
    for r in members[k]:
        budget -= copies.work(r)
        if gain + copies.delta(r, a) < -_EPS:
            copies.move(r, a)
            _relocate(members, q, a, k)
            _relocate(members, r, k, a)
            return True, budget - copies.work(r)
        if budget <= 0:
            break
    copies.move(q, a)
    return False, budget - 2 * copies.work(q)


def _relocate(members: list[list[int]], q: int, a: int, b: int) -> None:
    members[a].remove(q)
    members[b].append(q)


def gain_search(hg: Hypergraph, placement: np.ndarray, capacity: list[int], network: Network, *,
                work: int, rounds: int = 4, deadline: float = math.inf,
                target: float = -math.inf) -> tuple[np.ndarray, float, np.ndarray]:
    """Moves and swaps of qubits priced on fixed copy sides (see the module docstring), about
    ``work`` qubit-hyperedge visits in all (a pass prices a full QPU's qubits before it checks
    the budget: up to 1.7x on a 16-QPU ring): half with local gates diagonal on both qubits served
    by their larger hyperedge and swap partners filtered by estimate (:func:`_descend`), half
    by their smaller one and every partner priced (:func:`_descend_all`).  Neither wins
    everywhere (sides: ``dnn_n33-a2a2`` 7 and 4 ebits, ``cpfrac32-line4x9`` 134 and 154;
    descents: over the benchmark, 127 cases at or below the best published figure with the
    filtered descent alone, 128 with both, geomean 0.795 and 0.787).  Returns the best
    placement a full plan scores, its ebits and its servers (``placement`` itself if nothing
    better is found).  A ``deadline`` (``time.monotonic()``) also stops it, at the price of an
    answer that depends on the machine's speed; so does reaching ``target`` (a lower bound)."""
    ebits, server = plan_servers(hg, placement, network)
    start = best = (placement.copy(), float(ebits), server)
    for larger in (True, False):  # each rule from the same start
        if best[1] <= target + _EPS:
            break
        found = _rounds(hg, start, capacity, network, work=work // 2, rounds=rounds, larger=larger,
                        deadline=deadline)
        best = found if found[1] < best[1] - _EPS else best
    return best


def _rounds(hg: Hypergraph, start: tuple, capacity: list[int], network: Network, *, work: int, rounds: int,
            larger: bool, deadline: float) -> tuple[np.ndarray, float, np.ndarray]:
    """Up to ``rounds`` rounds of: fix the sides from a full plan, descend; the best placement found."""
    best = current = start
    active = sorted(set(hg.qubits.ravel().tolist()))
    for _ in range(rounds):
        copies = _Copies(hg, current[0], current[2], network, larger=larger)
        before = copies.total()
        work = (_descend if larger else _descend_all)(copies, capacity, active, work, deadline)
        if copies.total() >= before:
            break
        moved = np.array(copies.home, dtype=np.int64)
        ebits, server = plan_servers(hg, moved, network)
        current = (moved, float(ebits), server)
        if ebits < best[1] - _EPS:
            best = current
        if work <= 0 or time.monotonic() > deadline:
            break
    return best

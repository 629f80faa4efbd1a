"""The ebit cost model shared by the placer and the lowering.

A *hyperedge* is one (qubit, segment): a run of gates that one cat-entangled copy of the
qubit per remote QPU can serve.  Given a placement, every two-qubit gate g runs on a
*server* QPU ``server[g]``: a qubit not at home there is represented by a copy of its
hyperedge, so the gate must be diagonal on it.  A gate controlled on one qubit only runs
at its target's home; a gate diagonal on both may run at either home or on a third QPU
holding copies of both (the copies agree in the Z basis, so a diagonal gate between them
is exact).  A hyperedge whose copies must reach QPUs K costs the links of a minimum
Steiner tree joining its qubit's QPU and K (copies are cat-entangled onward along the
tree).  The lowering spends exactly this many ebits when communication qubits are not
scarce.
"""

from __future__ import annotations

import functools
import heapq
from collections import Counter
from dataclasses import dataclass

import numpy as np

from qmosaic.targets.errors import PassError
from qmosaic.targets.models import Network

from .interactions import Interactions

# circuits of at most this many two-qubit gates get the Steiner cover (_cover_flexible's tree); on the
# scale benchmark's 100k gates over a 4x4 grid its Python loops took placement 6 -> 144 s
STEINER_COVER_MAX_GATES = 5_000

__all__ = ["Hypergraph", "build_hypergraph", "copied_sides", "copy_destinations", "copy_excess", "link_usage",
           "mask_bits", "plan_servers", "remote_qubits", "scarce_comm", "servers_cost", "links_cost", "route_cost"]


@dataclass(frozen=True)
class Hypergraph:
    """Gates with their candidate hyperedges (``edge[g, s]``, -1 if gate g is not diagonal on side s)."""

    num_qubits: int
    qubits: np.ndarray  # (G, 2)
    edge: np.ndarray  # (G, 2)
    edge_qubit: np.ndarray  # (H,) source qubit of each hyperedge

    @property
    def num_edges(self) -> int:
        return len(self.edge_qubit)


def build_hypergraph(inter: Interactions) -> Hypergraph:
    """Number the (qubit, segment) pairs that serve at least one gate, in order of first use
    (gate by gate, side 0 first).  Every gate must be diagonal on one of its qubits at least
    (``NormalizeForDistribution`` makes it so): else no copy can serve it."""
    neither = np.nonzero((inter.seg < 0).all(axis=1))[0]
    if len(neither):
        raise PassError(f"two-qubit gate {int(neither[0])} (of {inter.num_gates}) is diagonal on neither qubit, "
                        "so no copy can serve it remotely; run NormalizeForDistribution before InteractionAnalysis")
    seg = inter.seg.ravel()
    used = np.nonzero(seg >= 0)[0]
    key = inter.qubits.ravel()[used] * (int(seg.max(initial=0)) + 1) + seg[used]
    distinct, first, number = np.unique(key, return_index=True, return_inverse=True)
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(distinct))  # ids by first use
    edge = np.full(seg.shape, -1, dtype=np.int64)
    edge[used] = rank[number]
    edge_qubit = np.empty(len(distinct), dtype=np.int64)
    edge_qubit[rank] = inter.qubits.ravel()[used][first]
    return Hypergraph(inter.num_qubits, inter.qubits, edge.reshape(inter.seg.shape), edge_qubit)


def plan_servers(hg: Hypergraph, placement: np.ndarray, network: Network, *,
                 short_lived: bool = False) -> tuple[int, np.ndarray]:
    """Choose a server for every gate; return ``(ebits, server)``.

    Local gates run at home.  A gate diagonal on one qubit only runs at the other's home.  A
    gate diagonal on both reuses copies already paid for where it can (at either home or a
    QPU holding copies of both); the others are covered greedily, the copy serving the most
    of them first (``_cover_flexible``; ``short_lived``: of those, the one whose gates span
    the fewest others).  Off complete networks a copy's price is what it adds to its
    hyperedge's Steiner tree, not one: the cover goes by gates per link added and then drops
    the copies the gates can do without (``_cover_flexible``'s ``tree``); not where a QPU has one communication
    qubit, nor with ``short_lived`` (the lowering's retry where copies were set aside for want
    of them): copies that serve more gates stay open longer; nor above
    ``STEINER_COVER_MAX_GATES`` gates (its loops are Python).  (The hot
    loop of the heuristic: the copies each hyperedge holds are a bit mask per hyperedge, so
    only the greedy choice runs gate by gate.)
    """
    homes = placement[hg.qubits]  # (G, 2)
    server = homes[:, 0].copy()
    e0, e1 = hg.edge[:, 0], hg.edge[:, 1]
    remote = homes[:, 0] != homes[:, 1]
    flexible = remote & (e0 >= 0) & (e1 >= 0)
    fixed = np.nonzero(remote & ~flexible)[0]
    side = (e0[fixed] < 0).astype(np.int64)  # the diagonal side travels to the other's home
    server[fixed] = homes[fixed, 1 - side]
    kq = len(network.qpus)
    paid = _masks(hg.num_edges, hg.edge[fixed, side], server[fixed], kq)  # hyperedge -> QPUs holding a copy
    g = np.nonzero(flexible)[0]
    if len(g):
        steiner = len(hg.qubits) <= STEINER_COVER_MAX_GATES and not (short_lived or network.is_complete
                                                            or scarce_comm(network))
        server[g] = _cover_flexible(e0[g], e1[g], homes[g, 0], homes[g, 1], paid, kq, _third_servers(network),
                                    short_lived=short_lived,
                                    tree=(_bit(placement[hg.edge_qubit], kq), _tree_links(network)) if steiner else None)
    return servers_cost(hg, placement, server, network), server


def _tree_links(network: Network):
    """Links of the network's Steiner tree joining the QPUs of a mask (a bit per QPU), cached per mask."""
    cache: dict[int, int] = {}

    def length(mask: int) -> int:
        if mask not in cache:
            cache[mask] = len(network.steiner(frozenset(mask_bits(mask))))
        return cache[mask]
    return length


def _cheapest_cover(keys: np.ndarray, kq: int, held: np.ndarray, length) -> np.ndarray:
    """The copies a greedy cover buys when each copy costs the links it adds to its hyperedge's
    tree (``held``: each hyperedge's QPUs so far, its home included; ``length(mask)``: a tree's
    links): gate j (of n) is covered by copy ``keys[j]`` or ``keys[n + j]``; a free copy first
    (most gates), then most gates per added link, then the lowest key.  An entry of the queue is
    checked against its copy's gates and tree when it comes out (a copy's gates only fall; its
    tree's growth queues its hyperedge's other copies again)."""
    n = len(keys) // 2
    copies, option, groups = _copy_groups(keys)
    edge, bit = (copies // kq).tolist(), [1 << k for k in (copies % kq).tolist()]
    siblings: dict[int, list[int]] = {}  # hyperedge -> its candidate copies
    for c, h in enumerate(edge):
        siblings.setdefault(h, []).append(c)
    degree = [len(gates) for gates in groups]

    def entry(c: int) -> tuple:
        m = mask[edge[c]]
        added = length(m | bit[c]) - length(m)
        return (added > 0, -degree[c] / added if added else -degree[c], c, degree[c], m)

    before = held[copies // kq]  # the first entries, built in bulk: entry(c) for every copy
    after = (before | _bit(copies % kq, kq)).tolist()
    before = before.tolist()
    mask = dict(zip(edge, before))  # hyperedge -> its QPUs so far
    links = {m: length(m) for m in set(before) | set(after)}
    heap = [(added > 0, -d / added if added else -d, c, d, m)
            for c, (d, m, added) in enumerate(zip(degree, before, [links[x] - links[m] for m, x in zip(before, after)]))]
    heapq.heapify(heap)
    covered, bought = [False] * n, []
    while heap:
        _, _, c, d, m = heapq.heappop(heap)
        if m != mask[edge[c]] or degree[c] == 0:
            continue  # its tree grew (queued again then) or nothing is left for it
        if d != degree[c]:
            heapq.heappush(heap, entry(c))
            continue
        bought.append(c)
        mask[edge[c]] |= bit[c]
        for j in groups[c]:
            if not covered[j]:
                covered[j] = True
                for other in option[j]:
                    degree[other] -= 1
        for other in siblings[edge[c]]:
            if degree[other] > 0:
                heapq.heappush(heap, entry(other))
    return copies[bought]


def _prune(e0: np.ndarray, e1: np.ndarray, a: np.ndarray, b: np.ndarray, held: np.ndarray, kept: np.ndarray,
           home: np.ndarray, thirds, kq: int, length) -> None:
    """Drop copies from ``held`` (in place) while every gate (hyperedges e0, e1, homes a, b) keeps a
    QPU holding both its qubits, the copies whose loss shortens their tree most first (then by
    hyperedge and QPU); ``kept`` holds the copies other gates need.  A copy that is some gate's
    only such QPU stays (the bulk, found in NumPy); the rest are tried one by one."""
    bit_a, bit_b = _bit(a, kq), _bit(b, kq)
    meet = (held[e0] | bit_a) & (held[e1] | bit_b) & (bit_a | bit_b | thirds)
    only = (meet != 0) & ((meet & (meet - 1)) == 0)  # one QPU holds both: the copies there stay
    at = _lowest(meet[only])
    pinned = set(np.concatenate([e0[only] * kq + at, e1[only] * kq + at]).tolist())
    free = held & ~kept
    ends = np.concatenate([e0, e1])
    loose = np.unique(ends[free[ends] != 0])
    options = []
    for h, tree, spare in zip(loose.tolist(), (held[loose] | home[loose]).tolist(), free[loose].tolist()):
        options += [(length(tree & ~(1 << k)) - length(tree), h, k) for k in mask_bits(spare)
                    if h * kq + k not in pinned]
    if not options:
        return
    tried = np.array(sorted({h for _, h, _ in options}))
    near = np.isin(e0, tried) | np.isin(e1, tried)
    gates: dict[int, list[tuple[int, int, int, int]]] = {}  # hyperedge -> its gates' (h0, h1, bit a, bit b)
    for gate in zip(e0[near].tolist(), e1[near].tolist(), bit_a[near].tolist(), bit_b[near].tolist()):
        gates.setdefault(gate[0], []).append(gate)
        gates.setdefault(gate[1], []).append(gate)
    mask = {h: int(held[h]) for h in gates}
    thirds = int(thirds)
    for _, h, k in sorted(options):
        mask[h] &= ~(1 << k)
        if not all((mask[h0] | ba) & (mask[h1] | bb) & (ba | bb | thirds) for h0, h1, ba, bb in gates[h]):
            mask[h] |= 1 << k  # a gate of h would have nowhere to run
    for h, m in mask.items():
        held[h] = m


def scarce_comm(network: Network) -> bool:
    """A QPU has one communication qubit, so it holds one copy at a time.  The placer's searches
    price copies as if there were room for all; where there is not, the rules tuned for that
    (the Steiner cover of :func:`_cover_flexible`, the placer's cut fills) cost ebits: on the four presets of one each
    (``python -m benchmarks scarce``) 3649 -> 3665 with both, 3692 with the fills alone."""
    return any(q.comm_qubits < 2 for q in network.qpus)


def _third_servers(network: Network):
    """A mask (as :func:`_bit` makes them) of the QPUs with room for copies of both qubits of a
    gate (two communication qubits)."""
    mask = sum(1 << k for k, q in enumerate(network.qpus) if q.comm_qubits >= 2)
    return np.uint64(mask) if len(network.qpus) < 64 else mask


def _bit(qpus: np.ndarray, kq: int) -> np.ndarray:
    """``1 << qpu`` for each entry: unsigned 64-bit up to 63 QPUs, Python integers beyond."""
    if kq < 64:
        return np.left_shift(np.uint64(1), qpus.astype(np.uint64))
    return np.array([1 << k for k in qpus.tolist()], dtype=object)


def _masks(num_edges: int, edges: np.ndarray, qpus: np.ndarray, kq: int) -> np.ndarray:
    """A bit mask per hyperedge of the QPUs in ``qpus`` paired with it (hyperedges below 0 skipped)."""
    masks = np.zeros(num_edges, dtype=np.uint64) if kq < 64 else np.full(num_edges, 0, dtype=object)
    keep = edges >= 0
    np.bitwise_or.at(masks, edges[keep], _bit(qpus[keep], kq))
    return masks


def _lowest(masks: np.ndarray) -> np.ndarray:
    """Index of each mask's lowest set bit, -1 for an empty mask."""
    if masks.dtype == object:
        return np.array([(m & -m).bit_length() - 1 for m in masks.tolist()], dtype=np.int64)
    low = masks & (~masks + np.uint64(1))
    out = np.full(len(masks), -1, dtype=np.int64)
    nonzero = low != 0
    out[nonzero] = np.frexp(low[nonzero].astype(np.float64))[1] - 1  # 2**k = 0.5 * 2**(k + 1), exactly
    return out


def _holding_both(e0: np.ndarray, e1: np.ndarray, a: np.ndarray, b: np.ndarray, paid: np.ndarray,
                  thirds: np.ndarray, kq: int) -> np.ndarray:
    """The lowest QPU where each gate diagonal on both qubits (hyperedges e0, e1; homes a, b)
    can run on what is already there, -1 if none: a home with a paid copy of the other
    qubit, or a third QPU (``thirds``, a mask) with copies of both and room for them.  (The
    homes differ.)"""
    bit_a, bit_b = _bit(a, kq), _bit(b, kq)
    return _lowest((paid[e0] | bit_a) & (paid[e1] | bit_b) & (bit_a | bit_b | thirds))


def _cover_flexible(e0: np.ndarray, e1: np.ndarray, a: np.ndarray, b: np.ndarray, paid: np.ndarray, kq: int,
                    thirds, *, short_lived: bool = False, tree: tuple | None = None) -> np.ndarray:
    """Servers for the remote gates diagonal on both qubits (hyperedges e0, e1, homes a, b, in
    circuit order), by a greedy vertex cover; ``paid`` (bit masks per hyperedge) grows;
    ``thirds``: :func:`_third_servers`.

    Each such gate needs one of two copies — its side-0 hyperedge at the side-1 home or the
    reverse; a copy already paid for (or a QPU holding both) covers it for free.  The copy that
    covers the most uncovered gates is bought first (ties: lowest (hyperedge, QPU), or with
    ``short_lived`` the copy whose gates lie closest together: it holds its communication
    qubit the shortest).  Each gate then runs at the lowest QPU holding both its qubits.

    With ``tree`` (each hyperedge's home as a bit, and ``length(mask)``: :func:`_tree_links`),
    off complete networks, a copy costs the links it adds to its hyperedge's Steiner tree:
    nothing on the path to a farther copy, three links at the far end of a line of four.  The
    copy serving the most gates per link it adds is bought first (:func:`_cheapest_cover`), then
    copies are dropped, the dearest first, while every gate keeps a QPU holding both its qubits
    (:func:`_prune`: two qubits apart often both have copies on a QPU between them).
    (``effort="fast"``: ``cpfrac32-line4x9`` 123 -> 115 ebits, ``mqt-qnn64-grid2x3`` 163 -> 131;
    the cover by gates with the dropping gave 122 and 131.)
    """
    todo = np.nonzero(_holding_both(e0, e1, a, b, paid, thirds, kq) < 0)[0]
    if len(todo):
        keys = np.concatenate([e0[todo] * kq + b[todo], e1[todo] * kq + a[todo]])  # copy = hyperedge * kq + QPU
        kept = paid.copy() if tree is not None else None
        bought = (_greedy_cover(keys, todo.tolist() if short_lived else None) if tree is None
                  else _cheapest_cover(keys, kq, paid | tree[0], tree[1]))
        np.bitwise_or.at(paid, bought // kq, _bit(bought % kq, kq))
        if tree is not None:
            _prune(e0, e1, a, b, paid, kept, tree[0], thirds, kq, tree[1])
    return _holding_both(e0, e1, a, b, paid, thirds, kq)


def _copy_groups(keys: np.ndarray) -> tuple[np.ndarray, list[list[int]], list[list[int]]]:
    """For gates j (of n) each covered by copy ``keys[j]`` or ``keys[n + j]``: the distinct copies
    (in key order), each gate's two copies (indices into them) and each copy's gates."""
    n = len(keys) // 2
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    first = np.empty(len(keys), dtype=bool)  # (np.r_ costs more than the rest on small circuits)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    copies, starts = ordered[first], np.flatnonzero(first).tolist() + [len(keys)]
    inverse = np.empty(len(keys), dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    users = (order % n).tolist()
    return (copies, inverse.reshape(2, n).T.tolist(),
            [users[begin:end] for begin, end in zip(starts, starts[1:])])


def _greedy_cover(keys: np.ndarray, at: list[int] | None) -> np.ndarray:
    """The copies the greedy cover buys: gate j (of n) is covered by copy ``keys[j]`` or
    ``keys[n + j]``; the copy covering most uncovered gates first (see :func:`_cover_flexible`),
    of those (``at``: each gate's index among the remote gates diagonal on both qubits) the one
    whose gates span the fewest."""
    n = len(keys) // 2
    copies, option, groups = _copy_groups(keys)
    degree = [len(gates) for gates in groups]
    span = [0] * len(groups) if at is None else [max(at[j] for j in gates) - min(at[j] for j in gates)
                                                 for gates in groups]
    heap = [(-d, span[c], c) for c, d in enumerate(degree)]
    heapq.heapify(heap)
    covered, bought = [False] * n, []
    while heap:
        d, _, c = heapq.heappop(heap)
        if -d != degree[c] or degree[c] == 0:
            continue
        bought.append(c)
        for j in groups[c]:
            if covered[j]:
                continue
            covered[j] = True
            for other in option[j]:
                degree[other] -= 1
                if other != c and degree[other] > 0:
                    heapq.heappush(heap, (-degree[other], span[other], other))
    return copies[bought]


def copied_sides(hg: Hypergraph, placement: np.ndarray, server: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(gates, sides) whose qubit is away from the gate's server: each is served by a copy of
    hyperedge ``hg.edge[gate, side]`` at ``server[gate]`` (gates with ``server < 0`` need none)."""
    return np.nonzero((placement[hg.qubits] != server[:, None]) & (server[:, None] >= 0))


def remote_qubits(hg: Hypergraph, placement: np.ndarray) -> list[int]:
    """The qubits in at least one gate whose qubits sit on different QPUs, in increasing order."""
    homes = placement[hg.qubits]
    return np.unique(hg.qubits[homes[:, 0] != homes[:, 1]]).tolist()


def copy_destinations(hg: Hypergraph, placement: np.ndarray, server: np.ndarray) -> dict[int, set[int]]:
    """Hyperedge -> QPUs that need a copy of its qubit (gates with ``server < 0`` need none)."""
    out: dict[int, set[int]] = {}
    gates, sides = copied_sides(hg, placement, server)
    for h, k in zip(hg.edge[gates, sides].tolist(), server[gates].tolist()):
        out.setdefault(h, set()).add(k)
    return out


def copy_excess(hg: Hypergraph, placement: np.ndarray, server: np.ndarray, network: Network) -> int:
    """Copies beyond the communication qubits, summed over QPUs at each one's busiest moment.

    A copy (hyperedge, QPU) holds a communication qubit there from its first gate to its last
    (in gate order); where more are open at once than the QPU has, the lowering evicts one and
    makes it again later.  An estimate (the lowering's order and TeleData moves differ), in
    NumPy: cheap enough to ask of every placement."""
    gates, sides = copied_sides(hg, placement, server)
    if not len(gates):
        return 0
    kq = len(network.qpus)
    key = hg.edge[gates, sides] * kq + server[gates]
    order = np.lexsort((gates, key))
    key, gates = key[order], gates[order]
    new = np.r_[True, key[1:] != key[:-1]]
    first, last, qpu = gates[new], gates[np.r_[new[1:], True]], key[new] % kq
    # +1 as a copy opens (time 2g), -1 after its last gate (2g + 1); each QPU's events sum to
    # 0, so one running sum over the events sorted by QPU counts each QPU's open copies
    times, qpus = np.r_[2 * first, 2 * last + 1], np.r_[qpu, qpu]
    delta = np.r_[np.ones(len(first), dtype=np.int64), -np.ones(len(first), dtype=np.int64)]
    order = np.lexsort((times, qpus))
    peak = np.zeros(kq, dtype=np.int64)
    np.maximum.at(peak, qpus[order], np.cumsum(delta[order]))
    comm = np.array([q.comm_qubits for q in network.qpus], dtype=np.int64)
    return int(np.maximum(peak - comm, 0).sum())


def servers_cost(hg: Hypergraph, placement: np.ndarray, server: np.ndarray, network: Network) -> int:
    """Ebits spent for the given servers (Steiner fan-out of every hyperedge's copies): a mask of
    QPUs per hyperedge (its copies' and its qubit's), one tree per distinct mask."""
    gates, sides = copied_sides(hg, placement, server)
    if not len(gates):
        return 0
    kq = len(network.qpus)
    masks = _masks(hg.num_edges, hg.edge[gates, sides], server[gates], kq)
    used = np.nonzero(masks)[0]
    masks = masks[used] | _bit(placement[hg.edge_qubit[used]], kq)
    return sum(c * len(network.steiner(frozenset(mask_bits(m)))) for m, c in Counter(masks.tolist()).items())


@functools.lru_cache(maxsize=1 << 16)  # bounded: a long-lived process sees many networks
def mask_bits(mask: int) -> tuple[int, ...]:
    """The set bits of ``mask``."""
    return tuple(k for k in range(mask.bit_length()) if mask >> k & 1)


def link_usage(hg: Hypergraph, placement: np.ndarray, server: np.ndarray, network: Network) -> np.ndarray:
    """EPR pairs each link supplies for the given servers (one per Steiner-tree link)."""
    usage = np.zeros(len(network.links), dtype=np.int64)
    for h, dests in copy_destinations(hg, placement, server).items():
        for a, b in network.steiner(frozenset(dests | {int(placement[hg.edge_qubit[h]])})):
            usage[network.link_index(a, b)] += 1
    return usage


def links_cost(network: Network, links, link_weight: np.ndarray) -> float:
    """Objective weight of one EPR pair on each of ``links`` (QPU pairs)."""
    return float(sum(link_weight[network.link_index(a, b)] for a, b in links))


def route_cost(network: Network, a: int, b: int, link_weight: np.ndarray) -> float:
    """Objective weight of sending one copy from QPU a to QPU b along ``network.route``."""
    path = network.route(a, b)
    return links_cost(network, zip(path, path[1:]), link_weight)

"""Cheaper servers for a fixed placement on a complete network, by rounding a linear program.

The placer's searches choose servers greedily (:func:`~qmosaic.passes.hypergraph.plan_servers`):
the copy serving the most uncovered gates first, at one of the gate's two homes.  A gate may also
run on a third QPU that holds copies of both its qubits, and the greedy choice uses one only
where the copies happen to be there.  For a fixed placement the choice is a covering problem;
its linear relaxation was integral on the benchmark's QFTs, and rounded it cost far less than the
greedy choice: QFT-40 without swaps on four all-to-all QPUs of 11, on the fast effort's
placement, 54 ebits greedily, 36 so.

A remote two-qubit gate diagonal on both qubits (homes a and b) runs on one QPU k: at a it
needs a copy of its side-1 hyperedge there, at b one of its side-0 hyperedge, elsewhere
(a QPU with two communication qubits or more) both.  A gate diagonal on one side only runs at
the other side's home, so its copy is bought whatever the choice.  On a complete network every
copy costs one EPR pair:

    min  sum y[h, k]
    s.t. sum_k x[g, k] = 1                      every flexible gate g runs somewhere
         x[g, k] <= y[e0(g), k]   (k != a(g))   its side-0 copy is there
         x[g, k] <= y[e1(g), k]   (k != b(g))   its side-1 copy is there
         y[h, k] = 1 for the copies fixed gates need;  0 <= x, y <= 1

Gates alike in hyperedges and homes share one set of ``x``.  Each gate then runs where its ``x``
is largest, and the answer is kept only if its copies cost fewer EPR pairs than the greedy
ones (a fractional solution rounds to a valid, if dearer, choice).  HiGHS's first-order solver
(PDLP) solves it, single-threaded, with a time limit as a safety net.
"""

from __future__ import annotations

import numpy as np

from qmosaic.targets.models import Network

from .hypergraph import Hypergraph, copied_sides, servers_cost

MAX_COLUMNS = 40_000  # no program above this many gate-server choices (QFT-96 on 4 QPUs: 18,240)
LP_SOLVER = "pdlp"  # first-order: 0.14 s where the dual simplex took 0.76 s (QFT-96 on 4 QPUs)

__all__ = ["cheaper_servers", "MAX_COLUMNS"]


def cheaper_servers(hg: Hypergraph, placement: np.ndarray, server: np.ndarray, network: Network, *,
                    time_limit: float, seed: int = 0) -> np.ndarray | None:
    """Servers for ``placement`` costing fewer EPR pairs than ``server``, or None (no cheaper
    ones found, a network that is not complete, or a model above ``MAX_COLUMNS``).  Not on two
    QPUs: there is no third to run a gate on, and the greedy choice was as cheap on every
    benchmark case of two QPUs."""
    if not network.is_complete or len(network.qpus) < 3:
        return None
    kq = len(network.qpus)
    homes = placement[hg.qubits]
    e0, e1 = hg.edge[:, 0], hg.edge[:, 1]
    flexible_mask = (homes[:, 0] != homes[:, 1]) & (e0 >= 0) & (e1 >= 0)  # remote, diagonal on both
    flexible = np.nonzero(flexible_mask)[0]
    if not len(flexible):
        return None
    shapes = np.stack([e0[flexible], e1[flexible], homes[flexible, 0], homes[flexible, 1]], axis=1)
    kinds, kind_of = np.unique(shapes, axis=0, return_inverse=True)
    thirds = np.array([q.comm_qubits >= 2 for q in network.qpus])
    allowed = np.zeros((len(kinds), kq), dtype=bool)  # gate kind -> QPUs it may run on
    allowed[:, thirds] = True
    allowed[np.arange(len(kinds)), kinds[:, 2]] = True
    allowed[np.arange(len(kinds)), kinds[:, 3]] = True
    if allowed.sum() > MAX_COLUMNS:
        return None
    gates, sides = copied_sides(hg, placement, server)
    fixed = ~flexible_mask[gates]  # copies bought whatever the choice: those of the fixed gates
    chosen = _solve(kinds, allowed, np.stack([hg.edge[gates, sides][fixed], server[gates][fixed]], axis=1), kq,
                    time_limit=time_limit, seed=seed)
    if chosen is None:
        return None
    out = server.copy()
    out[flexible] = chosen[kind_of.ravel()]
    if servers_cost(hg, placement, out, network) >= servers_cost(hg, placement, server, network):
        return None
    return out


def _solve(kinds: np.ndarray, allowed: np.ndarray, fixed: np.ndarray, kq: int, *, time_limit: float,
           seed: int) -> np.ndarray | None:
    """Each gate kind's QPU: where the module's linear program, solved, runs most of it (``fixed``:
    (hyperedge, QPU) copies bought whatever the choice)."""
    import highspy

    kind, qpu = np.nonzero(allowed)  # one x column per (kind, QPU)
    nx = len(kind)
    # copy columns: (hyperedge, QPU) pairs some x needs, numbered after the x columns
    need0 = qpu != kinds[kind, 2]
    need1 = qpu != kinds[kind, 3]
    keys = np.concatenate([kinds[kind[need0], 0] * kq + qpu[need0], kinds[kind[need1], 1] * kq + qpu[need1],
                           fixed[:, 0] * kq + fixed[:, 1]])
    copies, copy_of = np.unique(keys, return_inverse=True)
    ny, n0, n1 = len(copies), int(need0.sum()), int(need1.sum())
    # rows: one "= 1" per kind, then one "x - y <= 0" per needed copy
    rows = np.concatenate([kind, len(kinds) + np.arange(n0 + n1), len(kinds) + np.arange(n0 + n1)])
    cols = np.concatenate([np.arange(nx), np.nonzero(need0)[0], np.nonzero(need1)[0], nx + copy_of[:n0 + n1]])
    vals = np.concatenate([np.ones(nx + n0 + n1), -np.ones(n0 + n1)])
    lower_y = np.zeros(ny)
    lower_y[copy_of[n0 + n1:]] = 1.0  # the fixed gates' copies are bought whatever the choice
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = nx + ny, len(kinds) + n0 + n1
    lp.col_cost_ = np.concatenate([np.zeros(nx), np.ones(ny)])
    lp.col_lower_ = np.concatenate([np.zeros(nx), lower_y])
    lp.col_upper_ = np.ones(nx + ny)
    lp.row_lower_ = np.concatenate([np.ones(len(kinds)), np.full(n0 + n1, -np.inf)])
    lp.row_upper_ = np.concatenate([np.ones(len(kinds)), np.zeros(n0 + n1)])
    order = np.lexsort((rows, cols))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.searchsorted(cols[order], np.arange(nx + ny + 1)).astype(np.int32)
    lp.a_matrix_.index_ = rows[order].astype(np.int32)
    lp.a_matrix_.value_ = vals[order]
    h = highspy.Highs()
    for name, value in (("output_flag", False), ("threads", 1), ("random_seed", seed), ("solver", LP_SOLVER),
                        ("time_limit", max(0.05, time_limit))):
        h.setOptionValue(name, value)
    if h.passModel(lp) != highspy.HighsStatus.kOk:
        return None
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    share = np.full(allowed.shape, -1.0)  # kind x QPU: x where the kind may run
    share[kind, qpu] = np.round(h.getSolution().col_value[:nx], 9)  # equal shares: the lowest QPU
    return share.argmax(axis=1)

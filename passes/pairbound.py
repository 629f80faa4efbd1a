"""A lower bound on the ebits of any placement, from how few partners a qubit can keep at home.

A qubit shares its QPU with at most ``C - 1`` others (``C`` the largest capacity), so a qubit
that meets more partners than that meets some of them remotely, and every remote gate needs
a copy: a gate diagonal on one side only runs at the other side's home, so that diagonal
side's hyperedge (:mod:`~qmosaic.passes.hypergraph`) holds a copy there; a gate diagonal on
both runs at one of the two homes or on a third QPU, so at least one of its two hyperedges
holds a copy away from home.  Each copy costs at least one ebit (a link of its Steiner tree).

The relaxation keeps only that: binary ``y[a,b]`` "qubits a and b may share a QPU" for every
pair that meets in a gate, with ``sum_b y[a,b] <= C - 1`` for each qubit a, and integer
``c[h]`` in ``[0, K - 1]`` copies of hyperedge h, with

* ``c[h] + y[a,b] >= 1`` for a gate diagonal on h's side only (partner b),
* ``c[h0] + c[h1] + y[a,b] >= 1`` for a gate diagonal on both (hyperedges h0, h1),

minimising ``sum_h c[h]``.  Every placement gives a solution of the same cost or less (``y`` =
"on the same QPU", ``c`` = its copies), so the relaxation's optimum — or any proven lower
bound of it — bounds the placement model's objective under the ``ebits`` objective, with or
without link budgets.  It ignores where the copies go (hops on networks that are not
complete, third-QPU sharing) and whether the "same QPU" pairs are consistent, so it is weaker
than the model; but its integer copies make it a vertex cover, which the model's LP
relaxation never sees (with every qubit spread evenly over the QPUs, no copy is needed there):
on ``qft_n29-a2a4`` HiGHS's bound after 15 s on the model is 3, this bound 18 in the placer's
1.5 s share of a 15 s limit (21 in 2 s).  Like the model, it is limited by time: on a slower
or busier machine it may prove less (``mqt-qft25-grid2x2``: 9 in 1.5 s, 10 in 3 s).
It does not bound what TeleData moves save (a qubit that moves changes partners at home):
the placer still refines for moves above it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .hypergraph import Hypergraph

__all__ = ["PairRelaxation", "highs_model", "pair_relaxation"]


@dataclass(frozen=True)
class PairRelaxation:
    """The relaxation as arrays: columns ``y`` (one per qubit pair) then ``c`` (one per hyperedge);
    cover rows (``>= 1``) then capacity rows (``<= C - 1``), in compressed-column form."""

    num_pairs: int
    num_edges: int
    num_cover: int
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray
    index: np.ndarray

    @property
    def num_cols(self) -> int:
        return self.num_pairs + self.num_edges


def pair_relaxation(hg: Hypergraph, capacity: list[int]) -> PairRelaxation:
    """Build the relaxation of the module docstring for ``hg`` on QPUs of ``capacity``."""
    n, h_count, kq = hg.num_qubits, hg.num_edges, len(capacity)
    pairs, pid = np.unique(np.sort(hg.qubits, axis=1), axis=0, return_inverse=True)
    pid = pid.reshape(-1)
    p_count = len(pairs)
    e0, e1 = hg.edge[:, 0], hg.edge[:, 1]
    both = (e0 >= 0) & (e1 >= 0)
    one = (e0 >= 0) ^ (e1 >= 0)
    flex = np.unique(np.stack([e0[both], e1[both], pid[both]], axis=1), axis=0)
    forced = np.unique(np.stack([np.where(e0 >= 0, e0, e1)[one], pid[one]], axis=1), axis=0)
    rows = [np.repeat(np.arange(len(flex)), 3), len(flex) + np.repeat(np.arange(len(forced)), 2)]
    cols = [np.stack([p_count + flex[:, 0], p_count + flex[:, 1], flex[:, 2]], axis=1).ravel(),
            np.stack([p_count + forced[:, 0], forced[:, 1]], axis=1).ravel()]
    cover = len(flex) + len(forced)
    keep = max(capacity) - 1
    degree = np.bincount(pairs.ravel(), minlength=n)
    crowded = np.nonzero(degree > keep)[0]  # qubits meeting more partners than fit beside them
    row_of = np.full(n, -1)
    row_of[crowded] = cover + np.arange(len(crowded))
    for side in (0, 1):
        mine = row_of[pairs[:, side]] >= 0
        rows.append(row_of[pairs[mine, side]])
        cols.append(np.nonzero(mine)[0])
    row, col = np.concatenate(rows), np.concatenate(cols)
    order = np.lexsort((row, col))
    start = np.searchsorted(col[order], np.arange(p_count + h_count + 1))
    upper = np.concatenate([np.ones(p_count), np.full(h_count, kq - 1.0)])
    return PairRelaxation(p_count, h_count, cover, upper,
                          np.concatenate([np.ones(cover), np.full(len(crowded), -np.inf)]),
                          np.concatenate([np.full(cover, np.inf), np.full(len(crowded), float(keep))]),
                          start.astype(np.int32), row[order].astype(np.int32))


def highs_model(relax: PairRelaxation, *, time_limit: float, seed: int):
    """A ``highspy.Highs`` holding the relaxation as a MIP, single-threaded, silent, stopping at an
    absolute gap below 1 (the objective is a whole number); ``None`` if HiGHS refuses the model."""
    import highspy

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = relax.num_cols, len(relax.row_lower)
    lp.col_cost_ = np.concatenate([np.zeros(relax.num_pairs), np.ones(relax.num_edges)])
    lp.col_lower_ = np.zeros(relax.num_cols)
    lp.col_upper_ = relax.col_upper
    lp.row_lower_, lp.row_upper_ = relax.row_lower, relax.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = relax.start
    lp.a_matrix_.index_ = relax.index
    lp.a_matrix_.value_ = np.ones(len(relax.index))
    lp.integrality_ = [highspy.HighsVarType.kInteger] * relax.num_cols
    h = highspy.Highs()
    for name, value in (("output_flag", False), ("threads", 1), ("random_seed", seed),
                        ("time_limit", max(0.05, time_limit)), ("mip_rel_gap", 0.0), ("mip_abs_gap", 0.999)):
        h.setOptionValue(name, value)
    return h if h.passModel(lp) == highspy.HighsStatus.kOk else None

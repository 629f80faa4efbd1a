"""A spectral order of the qubits: interacting qubits close together, along the circuit's long axis.

The placer's fills put qubits on QPUs in some order (index, or breadth-first over the
interactions).  Both follow the circuit's labels, and on a ladder (two chains whose i-th
qubits interact, as in a swap test's two registers) both cut every rung: the QPUs split the
ladder lengthwise, and no move or swap of single qubits leads to the crosswise cut
(``qugan_n71`` on two QPUs: 21 ebits in the model where 5 is optimal).  The Fiedler vector of
the interaction graph's Laplacian (gate counts as weights) orders the qubits along the
graph's longest, weakest axis instead; filling the QPUs in that order cuts across it.

Each connected set of qubits is ordered on its own (its Laplacian has one zero eigenvalue),
the sets from their lowest qubit, as in the breadth-first order.  A set whose second-smallest
eigenvalue is repeated (a ring, a complete graph: any rotation within the eigenspace is a
Fiedler vector, and which one a LAPACK build returns is not defined) keeps index order, so
the answer depends on the input only.  Dense ``eigh`` costs O(n^3): not above
``MAX_QUBITS`` qubits in one set (360 qubits: about 30 ms).  It runs on one BLAS thread from
``ONE_THREAD_FROM`` qubits on: a second thread buys nothing at these sizes, and where another
process keeps the other core busy the threads wait on each other (a 100-qubit set on this
2-core machine with one core busy: 35 to 137 ms on two threads, 2.7 ms on one).
"""

from __future__ import annotations

import contextlib

import numpy as np
from threadpoolctl import threadpool_limits

from .spread import connected_sets

__all__ = ["spectral_order", "MAX_QUBITS"]

MAX_QUBITS = 400
ONE_THREAD_FROM = 32  # qubits in a set; below, OpenBLAS runs eigh on one thread anyway
_REPEATED = 1e-6  # relative gap below which the second and third eigenvalues count as one


def spectral_order(n: int, pairs: np.ndarray) -> np.ndarray | None:
    """Qubits 0..n-1 ordered by each connected set's Fiedler vector (see the module docstring);
    None if no set of three or more qubits has a well-defined one (the order would be index order,
    or near it) or a set has more than ``MAX_QUBITS`` qubits."""
    sets = connected_sets(n, pairs)
    largest = max(map(len, sets))
    if largest > MAX_QUBITS:
        return None
    label, position = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    for i, members in enumerate(sets):
        label[members], position[members] = i, np.arange(len(members))
    by_set = np.argsort(label[pairs[:, 0]], kind="stable")  # each set's gates together, one pass
    bounds = np.searchsorted(label[pairs[by_set, 0]], np.arange(len(sets) + 1))
    order, moved = [], False
    with threadpool_limits(limits=1, user_api="blas") if largest >= ONE_THREAD_FROM else contextlib.nullcontext():
        for i, members in enumerate(sets):
            local = position[pairs[by_set[bounds[i]:bounds[i + 1]]]]
            ranked = _fiedler_ranked(members, local) if len(members) > 2 else None
            moved |= ranked is not None
            order.extend(members if ranked is None else ranked)
    return np.array(order, dtype=np.int64) if moved else None


def _fiedler_ranked(members: list[int], local: np.ndarray) -> list[int] | None:
    """``members`` (one connected set; ``local``: its gates, as positions in ``members``) sorted by
    their entries of the Fiedler vector, rounded to 8 digits of its largest entry (entries equal
    up to rounding error keep index order) and signed so that the lowest qubit whose entry is not
    zero comes first; None if the second eigenvalue is repeated."""
    m = len(members)
    laplacian = np.zeros((m, m))
    np.add.at(laplacian, (local[:, 0], local[:, 1]), -1.0)
    np.add.at(laplacian, (local[:, 1], local[:, 0]), -1.0)
    laplacian[np.diag_indices(m)] = -laplacian.sum(axis=1)
    values, vectors = np.linalg.eigh(laplacian)
    if values[2] - values[1] <= _REPEATED * max(1.0, values[-1]):
        return None
    fiedler = np.round(vectors[:, 1] / np.abs(vectors[:, 1]).max(), 8)
    if fiedler[int(np.flatnonzero(fiedler)[0])] > 0:
        fiedler = -fiedler
    ranked = np.lexsort((np.arange(m), fiedler))
    return [members[i] for i in ranked.tolist()]

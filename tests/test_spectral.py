"""The spectral order of the qubits (``passes/spectral.py``) and the fast effort's start from it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import threadpoolctl
from qiskit import QuantumCircuit

import qmosaic
from conftest import FAST, check_compiled
from qmosaic.passes import spectral
from qmosaic.passes.spectral import ONE_THREAD_FROM, spectral_order

QUICK = dataclasses.replace(FAST, effort="fast")


def _ladder_pairs(m: int) -> np.ndarray:
    """Two chains 0..m-1 and m..2m-1 with rungs (i, m+i)."""
    rails = [(i, i + 1) for i in range(m - 1)] + [(m + i, m + i + 1) for i in range(m - 1)]
    return np.array(rails + [(i, m + i) for i in range(m)], dtype=np.int64)


def test_a_ladder_is_ordered_rung_by_rung_from_its_lowest_qubit():
    """Along its length, not rail by rail as index order has it: a fill in this order cuts
    across the ladder (two rail gates), index order along it (every rung)."""
    m = 6
    order = spectral_order(2 * m, _ladder_pairs(m)).tolist()
    assert [sorted(order[2 * i:2 * i + 2]) for i in range(m)] == [[i, m + i] for i in range(m)]
    assert order[0] == 0


def test_relabelled_qubits_give_the_same_order_relabelled():
    m = 5
    perm = np.random.default_rng(7).permutation(2 * m)
    pairs = perm[_ladder_pairs(m)]
    order = spectral_order(2 * m, pairs)
    rungs = [sorted(perm[[i, m + i]].tolist()) for i in range(m)]
    got = [sorted(order[2 * i:2 * i + 2].tolist()) for i in range(m)]
    assert got in (rungs, rungs[::-1])


@pytest.mark.parametrize("pairs", [
    [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0)],  # a ring: its second eigenvalue is repeated
    [(a, b) for a in range(5) for b in range(a + 1, 5)],  # a complete graph too
    [(0, 1), (2, 3)],  # no set of three qubits
])
def test_no_order_where_the_fiedler_vector_is_not_defined(pairs):
    """Any vector of a repeated eigenspace would do, and which one LAPACK returns is not defined:
    no order, so the placement depends on the input only."""
    assert spectral_order(5, np.array(pairs, dtype=np.int64)) is None


def test_connected_sets_are_ordered_each_on_its_own_from_their_lowest_qubit():
    """A path 5-6-7-8 and a path 0-2-4-1-3 (labels shuffled); qubit 9 interacts with nothing."""
    pairs = np.array([(5, 6), (6, 7), (7, 8), (0, 2), (2, 4), (4, 1), (1, 3)], dtype=np.int64)
    assert spectral_order(10, pairs).tolist() == [0, 2, 4, 1, 3, 5, 6, 7, 8, 9]


def _numpy_blas_threads() -> int | None:
    """The threads of the BLAS that NumPy's wheel bundles (qiskit-aer bundles a one-thread one)."""
    found = [lib["num_threads"] for lib in threadpoolctl.threadpool_info()
             if lib["user_api"] == "blas" and "numpy" in lib["filepath"]]
    return found[0] if found else None


def test_a_large_set_is_ordered_on_one_blas_thread_and_the_same_as_on_two(monkeypatch):
    """Two BLAS threads wait on each other where another process keeps a core busy: a large
    set's eigenvectors are computed on one, small ones as they were, and the order is the same."""
    m = ONE_THREAD_FROM // 2
    threads: list[int] = []
    ranked = spectral._fiedler_ranked

    def counting(members, local):
        threads.append(_numpy_blas_threads())
        return ranked(members, local)

    if _numpy_blas_threads() is None:
        pytest.skip("NumPy's BLAS is not one threadpoolctl can see")

    monkeypatch.setattr(spectral, "_fiedler_ranked", counting)
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        wide = spectral_order(2 * m, _ladder_pairs(m))
        assert threads == [1]
        small = spectral_order(10, _ladder_pairs(5))
        assert threads[1] == 2
    monkeypatch.setattr(spectral, "ONE_THREAD_FROM", 10 * m)
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        assert spectral_order(2 * m, _ladder_pairs(m)).tolist() == wide.tolist()
    assert small is not None and threads[2] == 2


def _ladder_with_swap_test(m: int, layers: int) -> QuantumCircuit:
    """Qubit 0 compares two registers of m qubits (a swap test), each register a chain and each
    i-th pair coupled, in ``layers`` layers: the shape of QASMBench's ``qugan``."""
    qc = QuantumCircuit(2 * m + 1)
    for _ in range(layers):
        for i in range(1, 2 * m + 1):
            qc.ry(0.3 + 0.1 * i, i)
        for i in range(1, m):
            qc.cx(i, i + 1)
            qc.cx(m + i, m + i + 1)
        for i in range(1, m + 1):
            qc.rzz(0.4, i, m + i)
    qc.h(0)
    for i in range(1, m + 1):
        qc.cswap(0, i, m + i)
    qc.h(0)
    return qc


def test_fast_effort_starts_from_the_spectral_fill_where_it_is_cheaper(monkeypatch):
    """Filled in index order the QPUs split the registers and cut coupled pairs, and single moves
    and swaps do not lead to cuts across (10 ebits); from the spectral fill the fast effort finds 8."""
    from qmosaic.passes import placement

    monkeypatch.setattr(placement, "FAST_REFINE_MIN_EVALS", 10**9)  # the starts alone (moves: 8 and 9)
    circuit = _ladder_with_swap_test(3, layers=2)
    net = qmosaic.Network.from_modules([3, 3, 3], [(0, 1), (1, 2), (0, 2)], name="triangle-3x3", comm_qubits=4)
    result = qmosaic.compile(circuit, net, options=QUICK)
    assert result.report["ebits"]["total"] == 8
    check_compiled(result)
    monkeypatch.setattr(placement, "spectral_order", lambda n, pairs: None)
    assert qmosaic.compile(circuit, net, options=QUICK).report["ebits"]["total"] == 10

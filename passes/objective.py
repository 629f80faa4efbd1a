"""Placement objectives: what one ebit on a link costs and what a qubit costs on a QPU.

``ebits``     every EPR pair costs 1 (multi-hop copies pay every link of their tree).
``fidelity``  minimise -ln(estimated success): an ebit on link e costs -ln F_e; qubit q on
              QPU k costs its gates' -ln(1 - error) there (a two-qubit gate is shared by its
              two qubits) plus decoherence while it waits, (depth - its ops) x t_2q / T2.
``latency``   an ebit costs 1 / rate of its link; qubit q on QPU k costs its gate time there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qmosaic.targets.errors import QmosaicError
from qmosaic.targets.models import Network

from .hypergraph import Hypergraph, link_usage, plan_servers
from .interactions import Interactions

__all__ = ["OBJECTIVES", "Weights", "objective_weights", "score", "BUDGET_PENALTY", "overflow"]

OBJECTIVES = ("ebits", "fidelity", "latency")
BUDGET_PENALTY = 1000.0  # per ebit over a link's max_ebits, in the heuristic's objective


@dataclass(frozen=True)
class Weights:
    """``link[e]``: cost of one ebit on link e; ``qubit[q, k]``: cost of qubit q on QPU k."""

    objective: str
    link: np.ndarray
    qubit: np.ndarray

    @property
    def plain_ebits(self) -> bool:
        return self.objective == "ebits"


def objective_weights(objective: str, network: Network, inter: Interactions) -> Weights:
    """The weights of ``objective`` for this circuit and network."""
    if objective not in OBJECTIVES:
        raise QmosaicError(f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    n, kq = inter.num_qubits, len(network.qpus)
    if objective == "ebits":
        return Weights(objective, np.ones(len(network.links)), np.zeros((n, kq)))
    ops1 = inter.ops_1q.astype(float)[:, None]
    ops2 = inter.ops_2q.astype(float)[:, None]
    col = {name: np.array([getattr(q, name) for q in network.qpus], dtype=float)[None, :]
           for name in ("error_1q", "error_2q", "time_1q", "time_2q", "t2")}
    if objective == "fidelity":
        link = np.array([-math.log(x.epr_fidelity) for x in network.links])
        gates = ops1 * -np.log1p(-col["error_1q"]) + ops2 * -np.log1p(-col["error_2q"]) / 2
        waiting = np.maximum(inter.depth - (ops1 + ops2), 0) * col["time_2q"] / col["t2"]
        return Weights(objective, link, gates + waiting)
    link = np.array([1.0 / x.rate_hz for x in network.links])
    return Weights(objective, link, ops1 * col["time_1q"] + ops2 * col["time_2q"] / 2)


def overflow(usage: np.ndarray, network: Network) -> int:
    """EPR pairs drawn beyond the links' budgets."""
    return int(sum(max(0, int(u) - link.max_ebits) for u, link in zip(usage, network.links)
                   if link.max_ebits is not None))


def score(hg: Hypergraph, placement: np.ndarray, network: Network, weights: Weights) -> tuple[float, np.ndarray]:
    """Objective of a placement (greedy servers) plus ``BUDGET_PENALTY`` per ebit over budget."""
    ebits, server = plan_servers(hg, placement, network)
    budgets = network.has_budgets
    if weights.plain_ebits and not budgets:
        return float(ebits), server
    usage = link_usage(hg, placement, server, network)
    cost = float(usage @ weights.link) + float(weights.qubit[np.arange(len(placement)), placement].sum())
    return cost + BUDGET_PENALTY * overflow(usage, network), server

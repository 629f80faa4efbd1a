"""Compile options: a frozen dataclass; vary with ``dataclasses.replace``."""

from __future__ import annotations

from dataclasses import dataclass

from qmosaic.passes.placement import EFFORTS, OBJECTIVES, SOLVERS, check_seed
from qmosaic.targets.models import plain_number

from .errors import QmosaicError, SolverError

MAX_TIME_LIMIT = 1e6  # seconds; far larger ones overflow the clock arithmetic of the solver watchdog
MAX_SHOTS = 1_000_000  # verification's; Aer failed from 2**31 shots on (a C++ vector too large), after minutes

__all__ = ["CompileOptions"]


@dataclass(frozen=True)
class CompileOptions:
    """How to compile.

    objective: what the placer minimises: ``"ebits"`` (EPR pairs), ``"fidelity"`` (-ln of the
        estimated success probability: gate errors where gates land, EPR fidelities,
        decoherence while waiting) or ``"latency"`` (EPR generation and gate time).
    solver: ILP solver, ``"highs"`` (default, via highspy) or ``"cbc"``.
    time_limit: seconds for the placer (heuristic + ILP); the solver runs single-threaded.  Where a
        QPU with one communication qubit must relay and its data qubits are full, the circuit is
        placed again (:mod:`~qmosaic.passes.relay`) at the fast effort, then once with this
        limit on the network narrowed so far.
    seed: solver seed; the same input, network, options and seed give identical output, except
        at ``effort="full"`` where the time limit stops the solver or a search: how far it got
        then depends on the machine's speed and load (``effort="fast"`` is bounded by work).
    use_ilp: ``False`` skips the exact model and keeps the heuristic placement.
    translate: ``False`` keeps generic gates instead of each QPU's native set.
    reuse: ``False`` never lets a qubit take the slot of one measured for the last time
        (:mod:`~qmosaic.passes.reuse`; by default tried when the placement spends ebits and
        fills a QPU: up to two more placements with half the time limit each).
    effort: ``"full"`` (default) searches up to ``time_limit`` and proves what it can with the
        exact model; ``"fast"`` stops after a fixed amount of search work in proportion to the
        circuit (no exact model; the placements for qubit reuse are fast too), for compile times
        like Qiskit's ``optimization_level=1`` at the price of some ebits.  ``time_limit`` does
        not apply to it.
    """

    objective: str = "ebits"
    solver: str = "highs"
    time_limit: float = 10.0
    seed: int = 0
    use_ilp: bool = True
    translate: bool = True
    reuse: bool = True
    effort: str = "full"

    def __post_init__(self) -> None:
        for name in ("time_limit", "seed"):  # a NumPy number is taken as the plain one
            object.__setattr__(self, name, plain_number(getattr(self, name)))
        if self.objective not in OBJECTIVES:
            raise QmosaicError(f"unknown objective {self.objective!r}; choose one of {', '.join(OBJECTIVES)}")
        if self.solver not in SOLVERS:
            raise SolverError(f"unknown solver {self.solver!r}; choose one of {', '.join(SOLVERS)}")
        if self.effort not in EFFORTS:
            raise QmosaicError(f"unknown effort {self.effort!r}; choose one of {', '.join(EFFORTS)}")
        if not (isinstance(self.time_limit, (int, float)) and not isinstance(self.time_limit, bool)
                and 0 < self.time_limit <= MAX_TIME_LIMIT):
            raise QmosaicError(f"time_limit must be a number of seconds > 0 and at most {MAX_TIME_LIMIT:g} "
                               f"(11.6 days), got {self.time_limit!r}")
        check_seed(self.seed)
        for name in ("use_ilp", "translate", "reuse"):
            if not isinstance(getattr(self, name), bool):
                raise QmosaicError(f"{name} must be True or False, got {getattr(self, name)!r}")

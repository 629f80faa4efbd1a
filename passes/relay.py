"""RelayRoom: place again where a one-communication-qubit QPU must relay and has no data qubit free.

A relay holds two EPR halves at once.  A QPU with one communication qubit can relay only by
parking the first half on a data qubit no logical qubit uses; where the placement filled it,
the lowering raises :class:`~qmosaic.RelayError`.
:func:`lower_relaying` then places the circuit again on the network with one data qubit fewer
there, and again for the next such QPU, while the circuit still fits.  These placements are
made at the fast effort (bounded by work); at the full effort, the network narrowed so far that
the lowering passes is then placed once more with the whole time limit, and the placement the
lowering spends fewer ebits on is kept.  So relays add about one time limit to a compile, not
one per narrowed QPU.  The placement's status
and bound are then those of the narrowed network (a lower bound there is none on the network
as given): ``Partition.narrowed`` names the QPUs and the data qubits the placer had.  Where
the circuit no longer fits, the copies of the placements tried go around the QPUs that cannot
relay, by longer routes where there are some (the cheapest of those lowerings is kept).

``qmosaic.compile`` lowers through :func:`lower_relaying`; in a pass manager (the Qiskit
plugin's layout stage) :class:`RelayRoom` runs it after ``ILPPlacement``, so the placement
the layout fixes is one the routing stage can lower.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from qiskit.dagcircuit import DAGCircuit
from qiskit.transpiler.basepasses import AnalysisPass

from qmosaic.targets.errors import BudgetError, PassError, RelayError
from qmosaic.targets.models import Network

from .lowering import CommPlan, lower, unplaced
from .placement import Partition, place

__all__ = ["RelayRoom", "lower_relaying", "may_need_room"]

Placer = Callable[[Network, str], Partition]  # (network, effort) -> placement


def may_need_room(network: Network, placement) -> bool:
    """Whether a QPU that relays only by parking (one communication qubit) has every data qubit
    placed on: the only QPUs for which placing again can help (elsewhere a relay parks)."""
    return any(q.comm_qubits < 2 and free <= 0 for q, free in zip(network.qpus, unplaced(network, placement)))


def lower_relaying(dag: DAGCircuit, network: Network, inter, partition: Partition, placer: Placer, *,
                   effort: str, start_away: bool = True) -> tuple[DAGCircuit, CommPlan, Partition]:
    """``(lowered, plan, partition)``: the lowering of ``partition`` (corrections not materialized),
    or of a placement by ``placer`` that leaves a data qubit free on each QPU that must relay
    with one communication qubit (see the module docstring): placed at the fast effort, then
    outside it once more at ``effort`` on the same narrowed network (:func:`_at_effort`); at
    ``effort`` at once where the fast placement is over a link budget (its error would say
    "effort='fast'" to a user who asked for the full effort)."""
    room, tried, placed_at = [q.qubits for q in network.qpus], [], effort
    while True:
        try:
            lowered, plan = lower(dag, network, partition, inter, materialize=False, start_away=start_away,
                                  around=False)
        except RelayError as exc:
            tried.append(partition)
            k = exc.qpu
            if k is None or room[k] < network.qpus[k].qubits or partition.placement.count(k) < room[k] \
                    or sum(room) - 1 < dag.num_qubits():
                # narrowed once already, a data qubit free already, or no room to free one
                return _around(dag, network, inter, tried, start_away=start_away, error=_hinted(exc, effort))
            room[k] -= 1
            partition, placed_at = _probed(network, room, placer, effort)
            continue
        if placed_at != effort:
            return _at_effort(dag, network, inter, (lowered, plan, partition), room, placer, effort,
                              start_away=start_away)
        return lowered, plan, partition


def _hinted(error: RelayError, effort: str) -> RelayError:
    """``error``, at the fast effort advising the full one, whose first placement differs: where
    the circuit fills the network, the full effort compiled 4 of the 80 circuits whose fast
    compile failed so in a fuzzing round, and none the other way round."""
    if effort != "fast":
        return error
    return RelayError(f"{error}; effort='full' places otherwise and may need no such relay", qpu=error.qpu)


def _probed(network: Network, room: list[int], placer: Placer, effort: str) -> tuple[Partition, str]:
    """``(placement, its effort)`` on the network narrowed to ``room``: the fast effort's, or
    ``effort``'s where the fast one is over a link budget by the model's count (the full effort
    searches longer for one within)."""
    try:
        return _placed_narrower(network, room, placer, "fast"), "fast"
    except BudgetError:
        if effort == "fast":
            raise
        return _placed_narrower(network, room, placer, effort), effort


def _placed_narrower(network: Network, room: list[int], placer: Placer, effort: str) -> Partition:
    """``placer``'s placement on ``network`` with ``room`` data qubits per QPU, ``narrowed`` named."""
    narrower = replace(network, qpus=tuple(replace(q, qubits=r) for q, r in zip(network.qpus, room)))
    return replace(placer(narrower, effort), narrowed=tuple((q.name, r) for q, r in zip(network.qpus, room)
                                                            if r < q.qubits))


def _at_effort(dag: DAGCircuit, network: Network, inter, found: tuple, room: list[int], placer: Placer,
               effort: str, *, start_away: bool) -> tuple[DAGCircuit, CommPlan, Partition]:
    """``found`` (the lowering of the fast placement on the network narrowed to ``room``), or
    that of ``effort``'s placement there if it spends fewer ebits.  The full effort's own check
    by lowering ran on the narrowed network, where nothing parks: this one decides."""
    try:
        other = _placed_narrower(network, room, placer, effort)
        lowered, plan = lower(dag, network, other, inter, materialize=False, start_away=start_away, around=False)
    except (RelayError, BudgetError):  # it needs a relay elsewhere, or found none within budget in time
        return found
    return (lowered, plan, other) if plan.ebits < found[1].ebits else found


def _around(dag: DAGCircuit, network: Network, inter, tried: list[Partition], *, start_away: bool,
            error: RelayError) -> tuple[DAGCircuit, CommPlan, Partition]:
    """The cheapest lowering of the placements ``tried`` whose copies go around QPUs that cannot
    relay (``lower(around=True)``: routes longer than the copies' trees); ``error`` if none can."""
    best = None
    for partition in tried:
        try:
            lowered, plan = lower(dag, network, partition, inter, materialize=False, start_away=start_away)
        except RelayError:
            continue
        if best is None or plan.ebits < best[1].ebits:
            best = (lowered, plan, partition)
    if best is None:
        raise error
    return best


class RelayRoom(AnalysisPass):
    """Place again where a QPU with one communication qubit must relay and the placement filled it.

    Runs only where a QPU of one communication qubit is full (:func:`may_need_room`); there it
    lowers the placement once to find out (no qubit starts away: the layout is fixed
    after this pass) and, on a :class:`~qmosaic.RelayError`, places again with the
    ``ILPPlacement`` options given here.

    Property set fields read: ``qmosaic_partition``, ``qmosaic_interactions``.
    Property set values written: ``qmosaic_partition`` (with ``narrowed`` if placed again).
    """

    def __init__(self, network: Network, **placer_options):
        super().__init__()
        self.network, self.placer_options = network, placer_options

    def run(self, dag: DAGCircuit) -> None:
        partition: Partition | None = self.property_set["qmosaic_partition"]
        inter = self.property_set["qmosaic_interactions"]
        if partition is None or inter is None:
            raise PassError("RelayRoom needs 'qmosaic_partition' and 'qmosaic_interactions'; run ILPPlacement first")
        if not may_need_room(self.network, partition.placement):
            return
        options = {"objective": partition.objective_name, **self.placer_options}
        effort = options.pop("effort", "full")

        def placer(narrower: Network, how: str) -> Partition:
            return place(dag, narrower, interactions=inter, effort=how, start_away=False, **options)

        self.property_set["qmosaic_partition"] = lower_relaying(dag, self.network, inter, partition, placer,
                                                                effort=effort, start_away=False)[2]

"""Qiskit transpiler stage plugins: qmosaic inside ``qiskit.transpile``.

>>> from qiskit import transpile
>>> net = qmosaic.Network.preset("line-3x3")                            # doctest: +SKIP
>>> out = transpile(qc, target=net.target(), init_method="qmosaic", layout_method="qmosaic",
...                 routing_method="qmosaic", seed_transpiler=7)        # doctest: +SKIP

The plugins are registered as entry points (``pyproject.toml``) under the name ``qmosaic``
for the ``init``, ``layout``, ``routing`` and ``scheduling`` stages of Qiskit's preset pass
managers.  ``init_method="qmosaic"`` is optional but recommended: Qiskit's own ``init`` stage
decomposes gates of three or more qubits as if the circuit's qubits were the network's
physical ones, and on sparse QPUs (``cepheus-chiplets``) fails with ``Unable to translate ...
{("ccx", 3)}`` before qmosaic runs (see :class:`QmosaicInitPlugin`).

``layout`` (:class:`QmosaicLayoutPlugin`)
    ``NormalizeForDistribution`` -> ``InteractionAnalysis`` -> ``ILPPlacement`` ->
    ``RelayRoom`` -> :class:`QmosaicEmbedding` -> ``FullAncillaAllocation`` /
    ``EnlargeWithAncilla`` / ``ApplyLayout``.  The placer decides each qubit's QPU (placing
    again, as ``qmosaic.compile`` does, where a QPU with one communication qubit
    must relay and needs a data qubit free to park on); the embedding puts it on the data
    qubit the local router will start it on (a QPU's busiest qubits nearest its
    communication qubits) and writes ``layout``.  The circuit leaving the stage is the
    normalised input over all of the target's qubits, not yet valid on the target: remote
    gates still cross QPUs.
``routing`` (:class:`QmosaicRoutingPlugin`)
    :class:`QmosaicRouting`: reads the laid-out circuit back onto its logical qubits,
    lowers remote gates to teleportation (``epr``, mid-circuit measurement, ``if_else``
    corrections; TeleData moves) and routes each QPU's share with its communication qubits
    pinned.  The output has one register per QPU, named after it; ``final_layout`` records
    where every qubit ends (local SWAPs, TeleData moves).  Qiskit's ``translation`` stage
    then rewrites every QPU's share into its native gates.
``scheduling`` (:class:`QmosaicSchedulingPlugin`)
    ``ScheduleEstimate``: an ASAP schedule from the network model (EPR pairs take
    ``1 / rate`` of their link, feed-forward waits for the classical latency), written to
    ``qmosaic_schedule``.  Analysis only; Qiskit's ``asap`` / ``alap`` cannot time
    ``if_else``.

Layout and routing come as a pair: each refuses to run without the other.  Placer options
(objective, solver, time limit, seed, ``use_ilp``, ``effort``) travel on the target, not in global state:
``qmosaic.targets.network_target(network, qmosaic_options=qmosaic.CompileOptions(...))``.
Without options the placer uses ``CompileOptions()`` with ``seed_transpiler`` as its seed, and
``effort="fast"`` at ``optimization_level`` 0 and 1 (Qiskit's default level 2 and level 3 search
with the full effort).
``CompileOptions.translate`` has no effect here: Qiskit's translation stage translates.

Errors: a target that is not a network target, a circuit wider than the network's data
qubits, or a layout/routing pair mixed with another method raise a ``QmosaicError`` that
is also a ``TranspilerError`` (:class:`~qmosaic.PassError`, :class:`~qmosaic.CapacityError`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from qiskit.circuit import QuantumRegister
from qiskit.dagcircuit import DAGCircuit
from qiskit.transpiler import Layout, PassManager
from qiskit.transpiler.basepasses import AnalysisPass, TransformationPass
from qiskit.transpiler.passes import ApplyLayout, EnlargeWithAncilla, FullAncillaAllocation
from qiskit.transpiler.preset_passmanagers.plugin import PassManagerStagePlugin

from qmosaic.passes.hypergraph import build_hypergraph, plan_servers
from qmosaic.passes.interactions import InteractionAnalysis, Interactions, analyse_interactions
from qmosaic.passes.lowering import lower
from qmosaic.passes.normalize import NormalizeForDistribution
from qmosaic.passes.placement import MAX_SEED, ILPPlacement, Partition, check_budgets
from qmosaic.passes.relay import RelayRoom
from qmosaic.passes.routing import initial_layout, route
from qmosaic.targets.models import Network
from qmosaic.targets.target import QmosaicTarget

from .errors import PassError
from .options import CompileOptions

__all__ = [
    "QmosaicLayoutPlugin", "QmosaicRoutingPlugin", "QmosaicSchedulingPlugin", "QmosaicEmbedding",
    "QmosaicRouting", "Embedding", "placer_options", "final_permutation",
]

PLUGIN_NAME = "qmosaic"


# --- configuration ---------------------------------------------------------------------------------
def _network_target(config, stage: str) -> QmosaicTarget:
    target = config.target
    if not isinstance(target, QmosaicTarget) or target.network is None:
        got = "no target" if target is None else f"a {type(target).__name__}"
        raise PassError(
            f"the qmosaic {stage} stage needs a qmosaic network target, got {got}; call "
            "transpile(circuit, target=network.target(), layout_method='qmosaic', routing_method='qmosaic') "
            "with a qmosaic Network (qmosaic.Network.preset(...) or Network.from_file(...)), and do not "
            "combine it with basis_gates= or coupling_map=, which make Qiskit build a plain Target")
    return target


_WHY_PAIR = {
    "layout": "its layout leaves remote gates that only its routing can lower to teleportation",
    "routing": "its routing starts from the placement its layout computes",
}


def _require_pair(config, stage: str) -> None:
    other = "routing" if stage == "layout" else "layout"
    given = getattr(config, f"{other}_method")
    if given != PLUGIN_NAME:
        raise PassError(f"{stage}_method='qmosaic' needs {other}_method='qmosaic' too (got {given!r}): "
                        f"{_WHY_PAIR[stage]}; pass layout_method='qmosaic', routing_method='qmosaic'")


def _stage_network(config, stage: str) -> Network:
    """The target's network, routing by the objective's link weights (as ``qmosaic.compile`` does)."""
    target = _network_target(config, stage)
    return target.network.for_objective(placer_options(target, config.seed_transpiler).objective)


def placer_options(target: QmosaicTarget, seed_transpiler: int | None = None,
                   optimization_level: int | None = None) -> CompileOptions:
    """The placer's options: ``target.qmosaic_options``, else defaults seeded with ``seed_transpiler``
    (modulo 2**31: HiGHS's seeds; Qiskit takes any), with ``effort="fast"`` at optimization levels 0
    and 1 (``"full"`` at 2, 3 or none given)."""
    options = target.qmosaic_options
    if options is None:
        seed = seed_transpiler % (MAX_SEED + 1) if isinstance(seed_transpiler, int) and seed_transpiler >= 0 else 0
        return CompileOptions(seed=seed, effort="fast" if optimization_level in (0, 1) else "full")
    if not isinstance(options, CompileOptions):
        raise PassError(f"target.qmosaic_options must be a qmosaic.CompileOptions or None, got "
                        f"{type(options).__name__}; build the target with "
                        "qmosaic.targets.network_target(network, qmosaic_options=qmosaic.CompileOptions(...))")
    return options


# --- layout --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Embedding:
    """Where the layout stage put each logical qubit, and what fixed that choice.

    ``initial[q]`` is the physical qubit (global index) logical qubit q starts on;
    ``weights[q]`` the two-qubit-gate counts that ordered each QPU's local layout.  The
    routing stage hands the same weights to the router, so it starts from ``initial``.
    """

    initial: tuple[int, ...]
    weights: tuple[int, ...]


def _start_positions(network: Network, placement: tuple[int, ...], weights: list[int]) -> tuple[int, ...]:
    """The physical qubits ``route`` starts the logical qubits on (``QmosaicRouting`` checks it)."""
    return tuple(initial_layout(network, placement, weights))


class QmosaicEmbedding(AnalysisPass):
    """Choose each logical qubit's starting physical qubit on the QPU the placer gave it.

    Property set fields read: ``qmosaic_partition``, ``qmosaic_interactions``.
    Property set values written: ``layout`` (virtual qubit -> physical index, data qubits
    only), ``qmosaic_embedding`` (:class:`Embedding`).
    """

    def __init__(self, network: Network):
        super().__init__()
        self.network = network

    def run(self, dag: DAGCircuit) -> None:
        partition: Partition | None = self.property_set["qmosaic_partition"]
        inter: Interactions | None = self.property_set["qmosaic_interactions"]
        if partition is None or inter is None:
            raise PassError("QmosaicEmbedding needs 'qmosaic_partition' and 'qmosaic_interactions'; "
                            "run InteractionAnalysis and ILPPlacement first")
        if len(partition.placement) != dag.num_qubits():
            raise PassError(f"the partition places {len(partition.placement)} qubits but the circuit has "
                            f"{dag.num_qubits()}; run ILPPlacement on this circuit")
        weights = [int(w) for w in inter.ops_2q]
        initial = _start_positions(self.network, partition.placement, weights)
        self.property_set["layout"] = Layout(dict(zip(dag.qubits, initial)))
        self.property_set["qmosaic_embedding"] = Embedding(initial, tuple(weights))


class QmosaicLayoutPlugin(PassManagerStagePlugin):
    """``layout_method="qmosaic"``: ILP placement over the network, then embedding.

    Needs ``routing_method="qmosaic"`` and a target from ``Network.target()`` /
    ``qmosaic.targets.network_target``; takes placer options from ``target.qmosaic_options``.
    ``initial_layout`` is refused (the placer chooses it).
    """

    def pass_manager(self, pass_manager_config, optimization_level=None) -> PassManager:
        target = _network_target(pass_manager_config, "layout")
        _require_pair(pass_manager_config, "layout")
        if pass_manager_config.initial_layout is not None:
            raise PassError("layout_method='qmosaic' chooses the layout itself; drop initial_layout=, "
                            "or use layout_method='trivial' for a fixed one on a single QPU")
        options = placer_options(target, pass_manager_config.seed_transpiler, optimization_level)
        network = _stage_network(pass_manager_config, "layout")
        placing = dict(solver=options.solver, time_limit=options.time_limit, seed=options.seed,
                       use_ilp=options.use_ilp, objective=options.objective, effort=options.effort)
        return PassManager([
            NormalizeForDistribution(),
            InteractionAnalysis(),
            ILPPlacement(network, **placing),
            RelayRoom(network, **placing),
            QmosaicEmbedding(network),
            FullAncillaAllocation(target),
            EnlargeWithAncilla(),
            ApplyLayout(),
        ])


# --- routing ---------------------------------------------------------------------------------------------
def _unembed(dag: DAGCircuit, initial: tuple[int, ...]) -> DAGCircuit:
    """The laid-out physical DAG read back onto its logical qubits (index order of ``initial``)."""
    wire_of = {p: q for q, p in enumerate(initial)}
    index = {bit: i for i, bit in enumerate(dag.qubits)}
    logical = DAGCircuit()
    logical.name, logical.metadata, logical.global_phase = dag.name, dag.metadata, dag.global_phase
    qreg = QuantumRegister(len(initial), "q")
    logical.add_qreg(qreg)
    for creg in dag.cregs.values():
        logical.add_creg(creg)
    loose = [c for c in dag.clbits if not dag.find_bit(c).registers]
    if loose:
        logical.add_clbits(loose)
    for node in dag.topological_op_nodes():
        qargs = []
        for bit in node.qargs:
            p = index[bit]
            if p not in wire_of:
                raise PassError(f"operation {node.op.name!r} acts on physical qubit {p}, which holds no "
                                "logical qubit after the qmosaic layout stage; passes between layout and "
                                "routing must not use ancilla qubits")
            qargs.append(qreg[wire_of[p]])
        logical.apply_operation_back(node.op, tuple(qargs), node.cargs, check=False)
    return logical


def _same_gates(a: Interactions, b: Interactions | None) -> bool:
    return (b is not None and a.num_qubits == b.num_qubits and np.array_equal(a.qubits, b.qubits)
            and np.array_equal(a.seg, b.seg))


def _swap_permutation(dag: DAGCircuit) -> list[int]:
    """``perm[p]``: where the state that starts on physical qubit p ends, following only the SWAPs."""
    index = {bit: i for i, bit in enumerate(dag.qubits)}
    pos = list(range(len(index)))  # start index -> current position
    at = list(range(len(index)))  # current position -> start index
    for node in dag.op_nodes():
        if node.op.name == "swap":  # swaps on disjoint pairs commute: any order gives the same result
            a, b = (index[q] for q in node.qargs)
            sa, sb = at[a], at[b]
            at[a], at[b] = sb, sa
            pos[sa], pos[sb] = b, a
    return pos


def final_permutation(dag: DAGCircuit, initial: tuple[int, ...], final: tuple[int, ...]) -> list[int]:
    """Where the state on each physical qubit at the start ends up: a permutation of all qubits.

    Logical qubits go from ``initial`` to ``final`` (the router's answer, which also knows
    about TeleData moves, which are teleportations rather than SWAPs).  Every other qubit
    starts in |0> and ends in |0> or reset, so any bijection is right for it; it follows the
    SWAPs where that does not collide with a logical qubit, and fills in in index order.
    """
    perm = [-1] * dag.num_qubits()
    for p, f in zip(initial, final):
        perm[p] = f
    taken = set(final)
    swapped = _swap_permutation(dag)
    rest = [p for p in range(len(perm)) if perm[p] < 0]
    for p in rest:
        if swapped[p] not in taken:
            perm[p] = swapped[p]
            taken.add(swapped[p])
    free = iter(sorted(set(range(len(perm))) - taken))
    for p in rest:
        if perm[p] < 0:
            perm[p] = next(free)
    return perm


class QmosaicRouting(TransformationPass):
    """Lower remote gates to teleportation and route every QPU's share (communication qubits pinned).

    Works on the output of the qmosaic layout stage: the circuit is read back onto its
    logical qubits through ``qmosaic_embedding``; if its two-qubit gates changed since the
    placement, the gate servers are re-planned for the same placement.  The output has one
    register per QPU, named after it, over all of the network's qubits.

    Property set fields read: ``qmosaic_embedding``, ``qmosaic_partition``,
    ``qmosaic_interactions``.
    Property set values written: ``final_layout`` (output qubit at the start -> position at
    the end), ``qmosaic_interactions``, ``qmosaic_partition`` (updated if re-planned),
    ``qmosaic_comm_plan`` (:class:`~qmosaic.passes.CommPlan`), ``qmosaic_routing``
    (:class:`~qmosaic.passes.RoutingResult`).
    """

    def __init__(self, network: Network):
        super().__init__()
        self.network = network

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        embedding: Embedding | None = self.property_set["qmosaic_embedding"]
        partition: Partition | None = self.property_set["qmosaic_partition"]
        if embedding is None or partition is None:
            raise PassError("QmosaicRouting needs 'qmosaic_embedding' and 'qmosaic_partition'; "
                            "use layout_method='qmosaic' (QmosaicLayoutPlugin) before it")
        net = self.network
        if dag.num_qubits() != net.num_qubits:
            raise PassError(f"QmosaicRouting expects the laid-out circuit over the network's {net.num_qubits} "
                            f"qubits, got {dag.num_qubits()}; run the qmosaic layout stage first")
        logical = NormalizeForDistribution().run(_unembed(dag, embedding.initial))
        inter = analyse_interactions(logical)
        if not _same_gates(inter, self.property_set["qmosaic_interactions"]):
            ebits, server = plan_servers(build_hypergraph(inter), np.asarray(partition.placement, dtype=np.int64), net)
            partition = replace(partition, server=tuple(server.tolist()), ebits=int(ebits))
        lowered, plan = lower(logical, net, partition, inter, start_away=False)  # the layout stage fixed the start
        check_budgets(plan.ebits_per_link, net, what="the lowering")
        out, routing = route(lowered, net, plan, partition.placement, list(embedding.weights))
        if routing.initial != embedding.initial:
            raise PassError(f"internal: the router started from {list(routing.initial)}, not the layout "
                            f"{list(embedding.initial)}; please report this")
        perm = final_permutation(out, routing.initial, routing.final)
        if (prev := self.property_set["final_layout"]) is not None:
            # An earlier permutation (e.g. ElidePermutations' swaps, folded in by ApplyLayout) comes
            # first: compose as SabreSwap does, re-keyed onto the output's per-QPU qubits.
            perm = [perm[prev[q]] for q in dag.qubits]
        self.property_set["final_layout"] = Layout(dict(zip(out.qubits, perm)))
        self.property_set["qmosaic_interactions"] = inter
        self.property_set["qmosaic_partition"] = partition
        self.property_set["qmosaic_comm_plan"] = plan
        self.property_set["qmosaic_routing"] = routing
        return out


class QmosaicRoutingPlugin(PassManagerStagePlugin):
    """``routing_method="qmosaic"``: teleportation lowering + local routing (needs the qmosaic layout)."""

    def pass_manager(self, pass_manager_config, optimization_level=None) -> PassManager:
        network = _stage_network(pass_manager_config, "routing")
        _require_pair(pass_manager_config, "routing")
        return PassManager([QmosaicRouting(network)])


# --- scheduling --------------------------------------------------------------------------------------------
class QmosaicSchedulingPlugin(PassManagerStagePlugin):
    """``scheduling_method="qmosaic"``: ASAP schedule and success estimate from the network model.

    Runs ``qmosaic.passes.schedule.ScheduleEstimate`` (writes ``qmosaic_schedule``); the
    circuit is not changed (no delays are inserted).
    """

    def pass_manager(self, pass_manager_config, optimization_level=None) -> PassManager:
        from qmosaic.passes.schedule import ScheduleEstimate  # only this stage needs the estimator

        return PassManager([ScheduleEstimate(_stage_network(pass_manager_config, "scheduling"))])


# --- init ----------------------------------------------------------------------------------------------------
class QmosaicInitPlugin(PassManagerStagePlugin):
    """``init_method="qmosaic"``: decompose 3+-qubit gates (and 2-qubit gates diagonal on neither
    qubit) on the *virtual* circuit, without reading virtual indices as physical ones.

    Runs ``NormalizeForDistribution`` (property set: reads and writes nothing).  Qiskit's
    default init stage would try to synthesise a Toffoli for the target's couplers and fail
    on sparse chips (Cepheus, heavy-hex) whose qubits 0..n-1 share no coupler.
    """

    def pass_manager(self, pass_manager_config, optimization_level=None) -> PassManager:
        _network_target(pass_manager_config, "init")
        return PassManager([NormalizeForDistribution()])

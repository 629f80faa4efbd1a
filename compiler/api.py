"""The public entry points: ``load_network`` and ``compile``."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field, replace

from qiskit import QuantumCircuit
from qiskit.converters import circuit_to_dag, dag_to_circuit

from qmosaic.passes.feedforward import materialize
from qmosaic.passes.interactions import analyse_interactions
from qmosaic.passes.normalize import NormalizeForDistribution
from qmosaic.passes.placement import Partition, fit_budgets, place
from qmosaic.passes.relay import lower_relaying
from qmosaic.passes.reuse import Reuse, lifetimes, reuse_qubits, share_slots
from qmosaic.passes.routing import route
from qmosaic.passes.schedule import schedule_circuit
from qmosaic.passes.translate import NativeTranslation
from qmosaic.targets.models import Network

from .errors import QmosaicError
from .options import CompileOptions
from .qasmio import dump_qasm3, load_circuit
from .report import build_report

__all__ = ["load_network", "compile", "CompileResult"]


def load_network(name_or_path: str | os.PathLike[str] | Network) -> Network:
    """A ``Network`` from a preset name or a .toml/.json file (a ``Network`` passes through)."""
    if isinstance(name_or_path, Network):
        return name_or_path
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise QmosaicError(f"network must be a qmosaic Network, a preset name or a .toml/.json path, got "
                           f"{type(name_or_path).__name__}; see 'qmosaic networks' for the presets")
    text = os.fspath(name_or_path)
    if text.endswith((".toml", ".json")) or os.sep in text or os.path.exists(text):
        return Network.from_file(text)
    return Network.preset(text)


@dataclass(frozen=True)
class CompileResult:
    """A distributed circuit over the network's physical qubits, its report, and its input."""

    circuit: QuantumCircuit
    report: dict
    logical: QuantumCircuit
    network: Network
    options: CompileOptions = field(default_factory=CompileOptions)

    def qasm(self) -> str:
        """The circuit as OpenQASM 3 (one register per QPU, ``epr`` defined in the file)."""
        return dump_qasm3(self.circuit)

    def report_json(self) -> str:
        """The report as indented JSON."""
        return json.dumps(self.report, indent=2, sort_keys=False) + "\n"

    def verify(self, *, shots: int = 16, seed: int = 1234) -> float:
        """Process fidelity of the output against the input by Aer simulation (1.0 when correct)."""
        from .verify import process_fidelity

        layout = self.report["layout"]
        return process_fidelity(self.logical, self.circuit, layout["initial"], layout["final"], shots=shots,
                                seed=seed, reuse=layout.get("reuse"))


def compile(circuit, network, *, options: CompileOptions | None = None) -> CompileResult:  # noqa: A001
    """Compile ``circuit`` (QuantumCircuit, OpenQASM 2/3 text or file) for ``network`` (Network, preset, file)."""
    opts = options if options is not None else CompileOptions()
    if not isinstance(opts, CompileOptions):
        raise QmosaicError(f"options must be a qmosaic.CompileOptions, got {type(opts).__name__}; "
                           "e.g. CompileOptions(time_limit=5, seed=1)")
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = seconds.get(stage, 0.0) + now - clock  # placed twice where budgets fail
        clock = now

    start = clock
    logical = load_circuit(circuit)
    net = load_network(network).for_objective(opts.objective)
    lap("parse")
    dag = NormalizeForDistribution().run(circuit_to_dag(logical))
    inter = analyse_interactions(dag)
    lap("analyse")
    reuse = _fit_by_reuse(dag, net) if opts.reuse else None
    if reuse is not None:
        dag, inter = reuse.dag, analyse_interactions(reuse.dag)
    reuse, inter, partition, lowered, plan = _within_budgets(dag, net, opts, inter, reuse, lap)
    del dag  # large circuits: the logical DAG is not needed past lowering (peak memory is in routing)
    physical, routing = route(lowered, net, plan, partition.placement, inter.ops_2q.tolist())
    del lowered
    lap("route")
    if opts.translate:
        physical = NativeTranslation(net.target()).run(physical)
    lap("translate")
    out = dag_to_circuit(physical, copy_operations=False)
    timing = schedule_circuit(out, net)  # also tallies the operations for the report
    out = materialize(out)
    lap("schedule")
    seconds["total"] = time.perf_counter() - start
    report = build_report(circuit=out, depth=physical.depth(recurse=True), logical=logical, network=net, partition=partition, plan=plan,
                          routing=routing, two_qubit_gates=inter.num_gates, schedule=timing, seconds=seconds,
                          reuse=reuse)
    if report["ebits"]["total"] != plan.ebits:
        raise RuntimeError(f"internal: circuit has {report['ebits']['total']} epr but the plan spent {plan.ebits}")
    return CompileResult(out, report, logical, net, opts)


def _within_budgets(dag, net: Network, opts: CompileOptions, inter, reuse: Reuse | None, lap):
    """``(reuse, interactions, partition, lowered, plan)``: placed (:func:`_placed`) and lowered
    (:func:`_lower_relaying`) on ``net``, or as if its links had no budgets where that fits them
    and the first does not (:func:`~qmosaic.passes.placement.fit_budgets`)."""
    def attempt(placed_on: Network):
        reuse_here, dag_here, inter_here, partition = _placed(dag, placed_on, opts, inter, reuse)
        lap("partition")
        lowered, plan, partition = _lower_relaying(dag_here, placed_on, opts, inter_here, partition)
        lap("lower")
        return (reuse_here, inter_here, partition, lowered, plan), plan

    return fit_budgets(net, attempt)


def _placed(dag, net: Network, opts: CompileOptions, inter, reuse: Reuse | None):
    """``(reuse, dag, interactions, partition)``: the placement, with qubits sharing slots where
    that places better (:func:`_try_reuse`; not if ``reuse`` already made the circuit fit)."""
    partition = _place(dag, net, opts, inter)
    second = _try_reuse(dag, net, opts, partition) if opts.reuse and reuse is None else None
    return second if second is not None else (reuse, dag, inter, partition)


def _place(dag, net: Network, opts: CompileOptions, inter, initial=None, share: float = 1.0,
           teledata: bool = True) -> Partition:
    return place(dag, net, solver=opts.solver, time_limit=share * opts.time_limit, seed=opts.seed,
                 use_ilp=opts.use_ilp, objective=opts.objective, interactions=inter, initial=initial,
                 effort=opts.effort, teledata=teledata)


def _lower_relaying(dag, net: Network, opts: CompileOptions, inter, partition: Partition):
    """``(lowered, plan, partition)``: the lowering of ``partition``, or of one placed again with a
    data qubit left free where a one-communication-qubit QPU must relay (:mod:`~qmosaic.passes.relay`)."""
    def placer(narrower: Network, effort: str) -> Partition:
        return _place(dag, narrower, replace(opts, effort=effort), inter)

    return lower_relaying(dag, net, inter, partition, placer, effort=opts.effort)


def _fit_by_reuse(dag, net: Network) -> Reuse | None:
    """Qubits sharing slots wherever their lives allow, if the circuit is wider than the network
    and that makes it fit (else None, and the placer names the shortfall)."""
    room = sum(q.qubits for q in net.qpus)
    if dag.num_qubits() <= room or "measure" not in dag.count_ops(recurse=False):
        return None
    life = lifetimes(dag)
    slots = share_slots(life, [0] * dag.num_qubits())
    return reuse_qubits(dag, slots, life) if len(slots) <= room else None


def _try_reuse(dag, net: Network, opts: CompileOptions, partition: Partition):
    """``(reuse, dag, interactions, partition)`` if letting qubits share slots places better, else None.

    Tried when the placement costs something and a full QPU holds qubits whose lives do not
    overlap (:mod:`~qmosaic.passes.reuse`): they share slots, and the narrower circuit is
    placed again from the first placement (still valid) with half the time limit.  If that
    still costs something, qubits share slots across QPUs too (a slot starts on its first
    qubit's QPU) and the circuit is placed once more, with the other half (BV with 8 data
    qubits on ``line-3x3``: 1 -> 0 ebits).  So reuse at most doubles the time limit.  At
    fast effort the TeleData refinement runs on the winner only (:func:`_refined`).
    """
    if partition.objective <= 0 or "measure" not in dag.count_ops(recurse=False):
        return None
    full = _full_qpus(partition, net)
    if not full:
        return None  # capacity does not bind: shared slots would not let the placer do better
    life, best = lifetimes(dag), None
    grouped = share_slots(life, partition.placement)
    across = share_slots(life, [0] * len(partition.placement))
    for slots in (grouped if any(len(s) > 1 and partition.placement[s[0]] in full for s in grouped) else None,
                  across if across != grouped else None):
        if slots is None or (best is not None and best[3].objective <= 0):
            continue
        reuse = reuse_qubits(dag, slots, life)
        inter = analyse_interactions(reuse.dag)
        placed = _place(reuse.dag, net, opts, inter, initial=[partition.placement[s[0]] for s in reuse.slots],
                        share=0.5, teledata=opts.effort != "fast")
        if placed.objective < (partition if best is None else best[3]).objective - 1e-9:
            best = (reuse, reuse.dag, inter, placed)
    return _refined(best, net, opts) if best is not None and opts.effort == "fast" else best


def _refined(best: tuple, net: Network, opts: CompileOptions) -> tuple:
    """Fast effort: reuse's winning placement (found without the TeleData refinement) placed again
    from itself with it.  Reuses are chosen by the model objective, which the refinement never
    raises, and it took most of reuse's time where reuse does not win (``qugan_n39``,
    ``adder_n64``); over the benchmark, the same ebits on all 136 cases."""
    reuse, dag, inter, placed = best
    return reuse, dag, inter, _place(dag, net, opts, inter, initial=placed.placement, share=0.5)


def _full_qpus(partition: Partition, net: Network) -> set[int]:
    """QPUs the placement filled."""
    load = [0] * len(net.qpus)
    for k in partition.placement:
        load[k] += 1
    return {k for k, q in enumerate(net.qpus) if load[k] >= q.qubits}

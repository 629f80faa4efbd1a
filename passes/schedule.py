"""ScheduleEstimate: an as-soon-as-possible schedule of a physical circuit and its success estimate.

Durations come from the network model: each QPU's 1q / 2q / measurement times (virtual
``rz`` takes no time), ``epr`` takes ``1 / epr_rate_hz`` of its link (pairs on different
communication qubits generate in parallel), and a classically conditioned correction waits
for its bit plus the classical latency from the QPU that measured it (link latencies along
the route).  The success estimate multiplies gate and readout fidelities, EPR fidelities and
decoherence ``exp(-idle / T2)`` of every qubit while it holds state without being operated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ControlFlowOp
from qiskit.circuit.controlflow import CONTROL_FLOW_OP_NAMES as _FLOW
from qiskit.converters import dag_to_circuit
from qiskit.dagcircuit import DAGCircuit
from qiskit.transpiler.basepasses import AnalysisPass

from qmosaic.targets.models import Network

from .feedforward import NAME as CORRECTION

__all__ = ["Schedule", "ScheduleEstimate", "schedule_circuit", "schedule_dag"]


@dataclass(frozen=True)
class Schedule:
    """Makespan, per-link and per-QPU figures, and the estimated success probability."""

    makespan: float
    success_probability: float
    link_ebits: dict[str, int]
    link_busy: dict[str, float]
    qpu_idle: dict[str, float]
    qpu_busy: dict[str, float]
    ops_per_qpu: dict[str, dict[str, int]]  # by the QPU of the first qubit; no epr
    feed_forward: int  # classically controlled operations (corrections and the input's own)

    def to_dict(self) -> dict:
        def r(x: float) -> float:
            return float(f"{x:.6g}")

        return {"makespan_s": r(self.makespan), "success_probability": r(self.success_probability),
                "links": {name: {"ebits": self.link_ebits[name], "busy_s": r(self.link_busy[name])}
                          for name in self.link_ebits},
                "qpu_idle_s": {k: r(v) for k, v in self.qpu_idle.items()},
                "qpu_busy_s": {k: r(v) for k, v in self.qpu_busy.items()}}


class _Clock:
    def __init__(self, network: Network) -> None:
        self.net = network
        self.owner = network.owners
        self.latency = self._latencies()

    def _latencies(self) -> np.ndarray:
        k = len(self.net.qpus)
        out = np.zeros((k, k))
        for a in range(k):
            for b in range(k):
                path = self.net.route(a, b)
                out[a, b] = sum(self.net.links[self.net.link_index(x, y)].classical_latency_s
                                for x, y in zip(path, path[1:]))
        return out

    def op_cost(self, name: str, qubits: list[int]) -> tuple[float, float]:
        """(duration, error) of a physical operation."""
        qpu = self.net.qpus[self.owner[qubits[0]]]
        if name == "epr":
            a, b = (self.owner[q] for q in qubits)
            link = self.net.links[self.net.link_index(a, b)]
            return 1.0 / link.rate_hz, 1.0 - link.epr_fidelity
        if name in ("measure", "reset"):
            return qpu.time_measure, qpu.error_measure
        if name in ("rz", "delay", "id", "barrier"):
            return 0.0, 0.0
        if len(qubits) == 2:
            return (3 * qpu.time_2q, 1 - (1 - qpu.error_2q) ** 3) if name == "swap" else (qpu.time_2q, qpu.error_2q)
        return qpu.time_1q, qpu.error_1q


def schedule_dag(dag: DAGCircuit, network: Network) -> Schedule:
    """:func:`schedule_circuit` of a DAG (its operations in topological order)."""
    return schedule_circuit(dag_to_circuit(dag, copy_operations=False), network)


def schedule_circuit(circuit: QuantumCircuit, network: Network) -> Schedule:
    """ASAP schedule of a circuit over the network's physical qubits, and a tally of its operations.

    One pass in circuit order over plain Python numbers: an operation's (duration, log of its
    success) is looked up per (name, QPUs of its qubits), a feed-forward body's per (operation
    object, QPUs), so the per-instruction work is a few list and dict accesses.
    """
    clock = _Clock(network)
    qindex = {q: i for i, q in enumerate(circuit.qubits)}
    n = len(qindex)
    owner = network.owners
    latency = clock.latency.tolist()
    ready = [0.0] * n
    first = [math.inf] * n
    busy = [0.0] * n
    bit_ready: dict = {}
    bit_qpu: dict = {}
    log_success = 0.0
    link_busy: dict[str, list[tuple[float, float]]] = {link.name: [] for link in network.links}
    costs: dict[tuple, list] = {}  # (name, QPUs) -> [duration, log success, how many]
    bodies: dict[int, tuple[object, dict[tuple[int, ...], tuple[float, float]]]] = {}
    feed_forward = 0
    for inst in circuit.data:
        name = inst.name
        qargs = inst.qubits
        if not qargs:
            continue  # e.g. a global phase: no time, no qubit to charge
        if len(qargs) == 1:
            q = qindex[qargs[0]]
            qs, where = (q,), (owner[q],)
            start = ready[q]
        elif len(qargs) == 2:  # unpacked: most of a lowered circuit (list-built tuples cost twice)
            q, r = qindex[qargs[0]], qindex[qargs[1]]
            qs, where = (q, r), (owner[q], owner[r])
            start = ready[q] if ready[q] > ready[r] else ready[r]
        else:
            qs = tuple([qindex[x] for x in qargs])
            where = tuple([owner[x] for x in qs])
            start = max([ready[x] for x in qs])
        if name == CORRECTION or name in _FLOW:
            feed_forward += 1
            here = where[0]
            for bit in inst.clbits:
                start = max(start, bit_ready.get(bit, 0.0) + latency[bit_qpu.get(bit, here)][here])
            duration, log_ok = _flow_cost(inst.operation, qs, where, bodies, clock)
        else:
            key = (name, *where)
            cost = costs.get(key)
            if cost is None:
                duration, error = clock.op_cost(name, list(qs))
                cost = costs[key] = [duration, math.log1p(-min(error, 1 - 1e-15)), 0]
            duration, log_ok = cost[0], cost[1]
            cost[2] += 1
        end = start + duration
        log_success += log_ok
        for q in qs:
            ready[q] = end
            if start < first[q]:
                first[q] = start
            busy[q] += duration
        if name == "measure":
            for bit in inst.clbits:
                bit_ready[bit], bit_qpu[bit] = end, where[0]
        elif name == "epr":
            link_busy[network.links[network.link_index(*where)].name].append((start, end))
    return _summary(network, ready, first, busy, log_success, link_busy, costs, feed_forward)


def _flow_cost(op, qs, where, bodies, clock: _Clock) -> tuple[float, float]:
    """(duration, log success) of a feed-forward operation, cached per (operation object, QPUs)."""
    entry = bodies.get(id(op))
    if entry is None or entry[0] is not op:  # keeps op alive, so its id is not reused meanwhile
        if len(bodies) > 4096:
            bodies.clear()
        entry = bodies[id(op)] = (op, {})
    cost = entry[1].get(where)
    if cost is None:
        duration, error = _body_cost(op, list(qs), clock)
        cost = entry[1][where] = (duration, math.log1p(-min(error, 1 - 1e-15)) * 0.5)
    return cost


def _summary(network: Network, ready, first, busy, log_success: float, link_busy, costs, feed_forward: int) -> Schedule:
    ready_a, first_a, busy_a = np.array(ready), np.array(first), np.array(busy)
    makespan = float(ready_a.max()) if len(ready) else 0.0
    active = np.isfinite(first_a)
    idle = np.where(active, makespan - np.where(active, first_a, 0) - busy_a, 0.0)
    qpu_idle, qpu_busy = {}, {}
    for k, qpu in enumerate(network.qpus):
        sl = slice(network.offsets[k], network.offsets[k + 1])
        qpu_idle[qpu.name] = float(idle[sl].sum())
        qpu_busy[qpu.name] = float(busy_a[sl].sum())
        log_success -= float(idle[sl].sum()) / qpu.t2
    ebits = {name: len(iv) for name, iv in link_busy.items()}
    per: list[dict[str, int]] = [{} for _ in network.qpus]
    for (name, k, *_), (_, _, count) in costs.items():
        if name != "epr":
            per[k][name] = per[k].get(name, 0) + count
    ops = {q.name: dict(sorted(per[k].items())) for k, q in enumerate(network.qpus)}
    return Schedule(makespan, math.exp(log_success), ebits, {k: _union(v) for k, v in link_busy.items()},
                    qpu_idle, qpu_busy, ops, feed_forward)


def _body_cost(op: ControlFlowOp, qs: list[int], clock: _Clock) -> tuple[float, float]:
    """Worst branch: its gates in sequence; error counted at half weight (applied half the time)."""
    duration, error = 0.0, 0.0
    for block in op.blocks:
        d, e = 0.0, 0.0
        for inst in block.data:
            dd, ee = clock.op_cost(inst.operation.name, [qs[block.find_bit(q).index] for q in inst.qubits])
            d, e = d + dd, 1 - (1 - e) * (1 - ee)
        duration, error = max(duration, d), max(error, e)
    return duration, error


def _union(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, -math.inf
    for a, b in sorted(intervals):
        if a > end:
            total += b - a
            end = b
        elif b > end:
            total += b - end
            end = b
    return total


class ScheduleEstimate(AnalysisPass):
    """Schedule the physical circuit ASAP and estimate its success probability.

    Property set fields read: none.
    Property set values written: ``qmosaic_schedule`` (:class:`Schedule`).
    """

    def __init__(self, network: Network):
        super().__init__()
        self.network = network

    def run(self, dag: DAGCircuit) -> None:
        self.property_set["qmosaic_schedule"] = schedule_dag(dag, self.network)

"""The compile report: a JSON-serialisable record whose counts are read off the output circuit."""

from __future__ import annotations

import re
from collections import Counter

from qiskit import QuantumCircuit
from qiskit.circuit import ControlFlowOp

from qmosaic.passes.lowering import CommPlan
from qmosaic.passes.placement import Partition
from qmosaic.passes.routing import RoutingResult
from qmosaic.passes.schedule import Schedule
from qmosaic.targets.models import Network

__all__ = ["build_report", "count_epr_per_link", "TIMING_KEYS"]

TIMING_KEYS = ("seconds",)  # fields that differ run to run; golden tests ignore them


def _owner(network: Network, index: int) -> int:
    for k in range(len(network.qpus)):
        if index < network.offsets[k + 1]:
            return k
    raise IndexError(index)


def count_epr_per_link(circuit: QuantumCircuit, network: Network) -> dict[str, int]:
    """``epr`` instructions in the circuit, per link name (the ebits actually spent)."""
    counts = {link.name: 0 for link in network.links}
    for inst in circuit.data:
        if inst.operation.name == "epr":
            a, b = (_owner(network, circuit.find_bit(q).index) for q in inst.qubits)
            counts[network.links[network.link_index(a, b)].name] += 1
    return counts


def _ops_per_qpu(circuit: QuantumCircuit, network: Network) -> dict[str, dict[str, int]]:
    per = {q.name: Counter() for q in network.qpus}
    for inst in circuit.data:
        if isinstance(inst.operation, ControlFlowOp) or inst.operation.name == "epr":
            continue
        k = _owner(network, circuit.find_bit(inst.qubits[0]).index)
        per[network.qpus[k].name][inst.operation.name] += 1
    return {name: dict(sorted(c.items())) for name, c in per.items()}


def build_report(*, circuit: QuantumCircuit, depth: int, logical: QuantumCircuit, network: Network, partition: Partition,
                 plan: CommPlan, routing: RoutingResult, two_qubit_gates: int, schedule: Schedule,
                 seconds: dict[str, float]) -> dict:
    """Report of one compilation (see README, "Report fields")."""
    per_link = count_epr_per_link(circuit, network)
    feed_forward = sum(1 for inst in circuit.data if isinstance(inst.operation, ControlFlowOp))
    return {
        "network": network.name,
        "circuit": {"name": None if re.fullmatch(r"circuit-\d+", logical.name or "") else logical.name, "qubits": logical.num_qubits, "two_qubit_gates": two_qubit_gates,
                    "output_qubits": circuit.num_qubits, "output_depth": depth},
        "placement": [network.qpus[k].name for k in partition.placement],
        "layout": {"initial": list(routing.initial), "final": list(routing.final)},
        "ebits": {"total": sum(per_link.values()), "per_link": per_link},
        "remote_gates": plan.remote_gates,
        "telegate_bursts": plan.telegate_bursts,
        "teledata_moves": plan.teledata_moves,
        "entanglement_swaps": plan.swaps_entanglement,
        "comm_evictions": plan.evictions,
        "comm_qubits_peak": {q.name: plan.peak_comm_in_use[k] for k, q in enumerate(network.qpus)},
        "feed_forward": feed_forward,
        "swaps": {q.name: routing.swaps[k] for k, q in enumerate(network.qpus)},
        "ops_per_qpu": _ops_per_qpu(circuit, network),
        "schedule": schedule.to_dict(),
        "solver": partition.to_dict(),
        "seconds": {key: round(value, 4) for key, value in seconds.items()},
    }

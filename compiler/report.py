"""The compile report: a JSON-serialisable record whose counts are read off the output circuit."""

from __future__ import annotations

import re
from collections import Counter

from qiskit import QuantumCircuit

from qmosaic.passes.lowering import CommPlan
from qmosaic.passes.placement import Partition
from qmosaic.passes.routing import RoutingResult
from qmosaic.passes.schedule import Schedule
from qmosaic.targets.models import Network

__all__ = ["build_report", "count_epr_per_link", "TIMING_KEYS"]

TIMING_KEYS = ("seconds",)  # fields that differ run to run; golden tests ignore them


def _qpu_of(circuit: QuantumCircuit, network: Network) -> dict:
    """QPU index of each of the circuit's qubits (a circuit over the network's physical qubits)."""
    owners = network.owners
    if circuit.num_qubits > len(owners):
        raise IndexError(f"circuit has {circuit.num_qubits} qubits, the network {len(owners)}")
    return {bit: owners[i] for i, bit in enumerate(circuit.qubits)}


def _tally(circuit: QuantumCircuit, network: Network) -> tuple[dict[str, int], int, dict[str, dict[str, int]]]:
    """One pass over the circuit: ``epr`` per link name, feed-forward blocks, other operations per QPU."""
    qpu_of = _qpu_of(circuit, network)
    epr = [0] * len(network.links)
    feed_forward = 0
    per = [Counter() for _ in network.qpus]
    for inst in circuit.data:
        name = inst.name
        if name == "epr":
            a, b = inst.qubits
            epr[network.link_index(qpu_of[a], qpu_of[b])] += 1
        elif inst.is_control_flow():
            feed_forward += 1
        else:
            per[qpu_of[inst.qubits[0]]][name] += 1
    return ({link.name: epr[i] for i, link in enumerate(network.links)}, feed_forward,
            {q.name: dict(sorted(per[k].items())) for k, q in enumerate(network.qpus)})


def count_epr_per_link(circuit: QuantumCircuit, network: Network) -> dict[str, int]:
    """``epr`` instructions in the circuit, per link name (the ebits actually spent)."""
    return _tally(circuit, network)[0]


def build_report(*, circuit: QuantumCircuit, depth: int, logical: QuantumCircuit, network: Network, partition: Partition,
                 plan: CommPlan, routing: RoutingResult, two_qubit_gates: int, schedule: Schedule,
                 seconds: dict[str, float]) -> dict:
    """Report of one compilation (see README, "Report fields")."""
    per_link, feed_forward, ops_per_qpu = _tally(circuit, network)
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
        "ops_per_qpu": ops_per_qpu,
        "schedule": schedule.to_dict(),
        "solver": partition.to_dict(),
        "seconds": {key: round(value, 4) for key, value in seconds.items()},
    }

"""The compile report: a JSON-serialisable record whose counts are read off the output circuit
(by the schedule's one pass over it, before its corrections become ``IfElseOp`` instructions)."""

from __future__ import annotations

import re
from collections import Counter

from qiskit import QuantumCircuit

from qmosaic.passes.lowering import CommPlan
from qmosaic.passes.placement import Partition
from qmosaic.passes.reuse import REUSE_LABEL, Reuse
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


def count_epr_per_link(circuit: QuantumCircuit, network: Network) -> dict[str, int]:
    """``epr`` instructions in the circuit, per link name (the ebits actually spent)."""
    qpu_of = _qpu_of(circuit, network)
    epr = [0] * len(network.links)
    for inst in circuit.data:
        if inst.name == "epr":
            a, b = inst.qubits
            epr[network.link_index(qpu_of[a], qpu_of[b])] += 1
    return {link.name: epr[i] for i, link in enumerate(network.links)}


def _layout(circuit: QuantumCircuit, routing: RoutingResult, reuse: Reuse | None) -> dict:
    """Where each input qubit starts and ends.  With reuse, also the reuse resets (physical
    qubit, how many resets it had before) and each qubit's *segment*: the reuse resets its
    physical qubit had before the qubit started / until it ended (see ``qmosaic.verify``)."""
    if reuse is None or not reuse.shared:
        return {"initial": list(routing.initial), "final": list(routing.final)}
    wire_of, prefix = reuse.wire_of(), REUSE_LABEL + ":"
    initial = [routing.initial[w] for w in wire_of]
    final = [routing.final[w] for w in wire_of]
    first_seg, last_seg = [0] * len(wire_of), [0] * len(wire_of)
    before = {w: slot[k - 1] for slot in reuse.slots for k, w in enumerate(slot) if k}  # receiver -> donor
    resets, seen, splits = [], Counter(), Counter()
    for inst in circuit.data:
        if inst.name != "reset":
            continue
        p = circuit.find_bit(inst.qubits[0]).index
        label = inst.operation.label or ""
        if label.startswith(prefix):
            q = int(label[len(prefix):])
            donor = before[q]
            final[donor], last_seg[donor] = p, splits[p]
            initial[q], first_seg[q] = p, splits[p] + 1
            resets.append([p, seen[p]])
            splits[p] += 1
        seen[p] += 1
    if len(resets) != reuse.shared:
        raise RuntimeError(f"internal: {reuse.shared} reuse resets planned but {len(resets)} in the circuit")
    for slot in reuse.slots:
        last_seg[slot[-1]] = splits[final[slot[-1]]]
    return {"initial": initial, "final": final,
            "reuse": {"resets": resets, "initial_segment": first_seg, "final_segment": last_seg}}


def build_report(*, circuit: QuantumCircuit, depth: int, logical: QuantumCircuit, network: Network, partition: Partition,
                 plan: CommPlan, routing: RoutingResult, two_qubit_gates: int, schedule: Schedule,
                 seconds: dict[str, float], reuse: Reuse | None = None) -> dict:
    """Report of one compilation (see README, "Report fields")."""
    per_link = schedule.link_ebits  # the schedule's pass over the output counted its operations
    wires = reuse.wire_of() if reuse is not None else range(len(partition.placement))
    return {
        "network": network.name,
        "circuit": {"name": None if re.fullmatch(r"circuit-\d+", logical.name or "") else logical.name, "qubits": logical.num_qubits, "two_qubit_gates": two_qubit_gates,
                    "output_qubits": circuit.num_qubits, "output_depth": depth},
        "placement": [network.qpus[partition.placement[w]].name for w in wires],
        "layout": _layout(circuit, routing, reuse),
        "ebits": {"total": sum(per_link.values()), "per_link": per_link},
        "remote_gates": plan.remote_gates,
        "telegate_bursts": plan.telegate_bursts,
        "teledata_moves": plan.teledata_moves,
        "entanglement_swaps": plan.swaps_entanglement,
        "comm_evictions": plan.evictions,
        "comm_parked": plan.parked_copies,
        "comm_qubits_peak": {q.name: plan.peak_comm_in_use[k] for k, q in enumerate(network.qpus)},
        "feed_forward": schedule.feed_forward,
        "swaps": {q.name: routing.swaps[k] for k, q in enumerate(network.qpus)},
        "ops_per_qpu": schedule.ops_per_qpu,
        "schedule": schedule.to_dict(),
        "solver": partition.to_dict(),
        "seconds": {key: round(value, 4) for key, value in seconds.items()},
    }

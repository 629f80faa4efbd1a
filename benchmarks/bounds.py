"""A lower bound on ebits that holds for any compiler: can the circuit cost 0 without qubit reuse?

With no EPR pair, no qubit ever leaves its module and no gate acts across two modules, so
every set of qubits joined by multi-qubit gates (a connected component of the interaction
graph) sits in one module.  Without qubit reuse each qubit holds its slot for the whole
circuit, so 0 ebits needs the components packed into the modules' capacities; if they cannot
be, every compilation of the circuit that keeps its qubits spends at least 1 ebit.  Published
figures below this bound were not made on that circuit under that model; the harness says so.
"""

from __future__ import annotations

from typing import Any

import rustworkx as rx
from qiskit import QuantumCircuit
from qiskit.circuit import ControlFlowOp

from qmosaic.passes.spread import packs

__all__ = ["interaction_components", "packs", "reuse_free_bound"]  # packs: from the placer's bound


def _walk(circuit: QuantumCircuit, wires: list[int], graph: rx.PyGraph) -> None:
    """Join the qubits (graph nodes) of every multi-qubit gate, inside control-flow bodies too."""
    for inst in circuit.data:
        op = inst.operation
        qubits = [wires[circuit.find_bit(q).index] for q in inst.qubits]
        if isinstance(op, ControlFlowOp):
            for block in op.blocks:
                _walk(block, qubits, graph)
        elif op.name != "barrier":
            graph.add_edges_from_no_data([(qubits[0], q) for q in qubits[1:]])


def interaction_components(circuit: QuantumCircuit) -> list[int]:
    """Sizes of the sets of qubits joined by multi-qubit gates (control-flow bodies included),
    largest first; a qubit in no multi-qubit gate is a component of size 1."""
    graph = rx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(circuit.num_qubits))
    _walk(circuit, list(range(circuit.num_qubits)), graph)
    return sorted((len(c) for c in rx.connected_components(graph)), reverse=True)


def reuse_free_bound(circuit: QuantumCircuit, capacities: list[int]) -> dict[str, Any]:
    """``{"bound": 0 or 1, "reason": ...}``: 1 if no compilation that keeps every qubit can spend 0 ebits."""
    sizes = interaction_components(circuit)
    fits = packs(sizes, list(capacities))
    if fits is False:
        why = (f"a component of {sizes[0]} interacting qubits, modules of at most {max(capacities)}"
               if sizes[0] > max(capacities) else
               f"interaction components {[s for s in sizes if s > 1]} do not pack into modules {list(capacities)}")
        return {"bound": 1, "reason": why}
    return {"bound": 0, "reason": "components pack" if fits else "not searched (too many components)"}

"""DAG node helpers: copy a node's instruction into another DAG without building its
operation, and list the operations on every wire in one pass.

In Qiskit 2 every ``node.op`` builds a new Python gate (5x the cost of the append itself); a
node's ``CircuitInstruction`` carries the Rust-side operation as it is.
"""

from __future__ import annotations

from typing import Sequence

from qiskit.circuit import Qubit
from qiskit.dagcircuit import DAGCircuit, DAGOpNode

__all__ = ["append_node", "wire_nodes"]


def append_node(dag: DAGCircuit, node: DAGOpNode, qubits: tuple[Qubit, ...] | None = None) -> None:
    """Append ``node``'s instruction to ``dag``, on ``qubits`` if given (its clbits kept); a node
    whose wires do not change is appended as it is (a new node costs 5x the append)."""
    if qubits is None or qubits == node.qargs:  # the same wires: the node as it is
        dag._apply_op_node_back(node)
    else:
        dag._apply_op_node_back(DAGOpNode.from_instruction(node._to_circuit_instruction().replace(qubits=qubits)))


def wire_nodes(order: Sequence[DAGOpNode]) -> dict:
    """Bit -> the operations on it, in ``order`` (a topological order of op nodes) — one pass, where
    ``dag.nodes_on_wire`` walks the DAG once per wire (1.5 ms per wire)."""
    wires: dict = {}
    for node in order:
        for bit in (*node.qargs, *node.cargs):
            wires.setdefault(bit, []).append(node)
    return wires

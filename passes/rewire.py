"""Rebuild a DAG with some qubits' operations in a new order along their wires.

The caller vouches that each new order only permutes operations that commute on that
qubit (e.g. gates of one Z-diagonal run); every other wire keeps its order.  The result is
``None`` when the new orders close a cycle (a permuted gate depends on another through
other wires).  Operations keep their topological position as far as the new orders allow.
"""

from __future__ import annotations

import rustworkx as rx
from qiskit.circuit import Clbit, Qubit
from qiskit.dagcircuit import DAGCircuit

from .nodes import append_node, wire_nodes

__all__ = ["rewire", "WireOrder"]


def rewire(dag: DAGCircuit, orders: dict[int, list[int]]) -> tuple[DAGCircuit, dict[int, int]] | None:
    """``orders``: qubit index -> node ids of all its operations, in the wanted order.

    Returns the new DAG and old node id -> new node id, or ``None`` on a cycle.
    """
    return WireOrder(dag).rewire(orders)


class WireOrder:
    """A DAG's operations in topological order and the operations on each wire, read once for
    every reordering tried on it (a probe for a cycle then builds no DAG)."""

    def __init__(self, dag: DAGCircuit):
        self.dag = dag
        self.nodes = list(dag.topological_op_nodes())
        self.qubit_index = {q: i for i, q in enumerate(dag.qubits)}
        self.position = position = {node._node_id: i for i, node in enumerate(self.nodes)}
        self.sequences = {wire: [position[node._node_id] for node in on] for wire, on in wire_nodes(self.nodes).items()}
        for wire in dag.wires:
            if wire not in self.sequences and not isinstance(wire, (Qubit, Clbit)):  # a classical variable
                self.sequences[wire] = [position[node._node_id] for node in dag.nodes_on_wire(wire, only_ops=True)]

    def graph(self, orders: dict[int, list[int]]) -> rx.PyDiGraph | None:
        """The operations' dependency graph with ``orders`` on their wires, or ``None`` on a cycle."""
        graph = rx.PyDiGraph()
        graph.add_nodes_from(range(len(self.nodes)))
        edges = []
        for wire, sequence in self.sequences.items():
            wanted = orders.get(self.qubit_index.get(wire, -1))
            if wanted is not None:
                sequence = [self.position[i] for i in wanted]
            edges.extend(zip(sequence, sequence[1:]))
        graph.add_edges_from_no_data(edges)
        return graph if rx.is_directed_acyclic_graph(graph) else None

    def rewire(self, orders: dict[int, list[int]]) -> tuple[DAGCircuit, dict[int, int]] | None:
        """:func:`rewire` of this DAG."""
        graph = self.graph(orders)
        if graph is None:
            return None
        nodes, width = self.nodes, len(str(len(self.nodes)))
        new = self.dag.copy_empty_like()
        order = rx.lexicographical_topological_sort(graph, key=lambda i: str(i).zfill(width))
        for i in order:
            append_node(new, nodes[i])
        # a fresh DAG numbers its operations in the order they were appended
        ids = {nodes[i]._node_id: node._node_id for i, node in zip(order, new.op_nodes(), strict=True)}
        return new, ids

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

__all__ = ["rewire"]


def rewire(dag: DAGCircuit, orders: dict[int, list[int]]) -> tuple[DAGCircuit, dict[int, int]] | None:
    """``orders``: qubit index -> node ids of all its operations, in the wanted order.

    Returns the new DAG and old node id -> new node id, or ``None`` on a cycle.
    """
    nodes = list(dag.topological_op_nodes())
    graph = rx.PyDiGraph()
    graph.add_nodes_from(range(len(nodes)))
    qubit_index = {q: i for i, q in enumerate(dag.qubits)}
    position = {node._node_id: i for i, node in enumerate(nodes)}
    edges = []
    sequences = {wire: [position[node._node_id] for node in on] for wire, on in wire_nodes(nodes).items()}
    for wire in dag.wires:
        if wire not in sequences and not isinstance(wire, (Qubit, Clbit)):  # a classical variable
            sequences[wire] = [position[node._node_id] for node in dag.nodes_on_wire(wire, only_ops=True)]
    for wire, sequence in sequences.items():
        wanted = orders.get(qubit_index.get(wire, -1))
        if wanted is not None:
            sequence = [position[i] for i in wanted]
        edges.extend(zip(sequence, sequence[1:]))
    graph.add_edges_from_no_data(edges)
    if not rx.is_directed_acyclic_graph(graph):
        return None
    width = len(str(len(nodes)))
    new = dag.copy_empty_like()
    order = rx.lexicographical_topological_sort(graph, key=lambda i: str(i).zfill(width))
    for i in order:
        append_node(new, nodes[i])
    # a fresh DAG numbers its operations in the order they were appended
    ids = {nodes[i]._node_id: node._node_id for i, node in zip(order, new.op_nodes(), strict=True)}
    return new, ids

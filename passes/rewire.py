"""Rebuild a DAG with some qubits' operations in a new order along their wires.

The caller vouches that each new order only permutes operations that commute on that
qubit (e.g. gates of one Z-diagonal run); every other wire keeps its order.  The result is
``None`` when the new orders close a cycle (a permuted gate depends on another through
other wires).  Operations keep their topological position as far as the new orders allow.
"""

from __future__ import annotations

import rustworkx as rx
from qiskit.dagcircuit import DAGCircuit

__all__ = ["rewire"]


def rewire(dag: DAGCircuit, orders: dict[int, list[int]]) -> tuple[DAGCircuit, dict[int, int]] | None:
    """``orders``: qubit index -> node ids of all its operations, in the wanted order.

    Returns the new DAG and old node id -> new node id, or ``None`` on a cycle.
    """
    nodes = list(dag.topological_op_nodes())
    position = {node._node_id: i for i, node in enumerate(nodes)}
    graph = rx.PyDiGraph()
    graph.add_nodes_from(range(len(nodes)))
    qubit_index = {q: i for i, q in enumerate(dag.qubits)}
    edges = []
    for wire in dag.wires:
        wanted = orders.get(qubit_index.get(wire, -1))
        if wanted is not None:
            sequence = [position[i] for i in wanted]
        else:
            sequence = [position[node._node_id] for node in dag.nodes_on_wire(wire, only_ops=True)]
        edges.extend(zip(sequence, sequence[1:]))
    graph.add_edges_from_no_data(edges)
    if not rx.is_directed_acyclic_graph(graph):
        return None
    width = len(str(len(nodes)))
    new = dag.copy_empty_like()
    ids: dict[int, int] = {}
    for i in rx.lexicographical_topological_sort(graph, key=lambda i: str(i).zfill(width)):
        node = nodes[i]
        ids[node._node_id] = new.apply_operation_back(node.op, node.qargs, node.cargs, check=False)._node_id
    return new, ids

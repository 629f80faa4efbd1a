"""The order the lowering visits a circuit in where communication qubits are scarce.

A DAG's topological order interleaves independent qubits: on a QPU with one communication
qubit, the copy of one qubit is still wanted when the next qubit's gate needs one there, and
one of the two is evicted (made again later, at an ebit or more).  :func:`scheduled` is a
list scheduler that gives the lowering, among the operations whose predecessors are done,
first those that need no copy, then the remote gate the caller's ``cost`` ranks lowest (its
copies live already, else made without evicting one): a burst finishes before the next
starts.  Any topological order of the DAG is the same circuit; only the lowering's choices
differ.
"""

from __future__ import annotations

import heapq
from bisect import insort
from typing import Callable, Iterator, Sequence

from qiskit.dagcircuit import DAGOpNode

from .nodes import wire_nodes

__all__ = ["scheduled"]

WINDOW = 16  # ready remote gates compared per choice (the lowest indices): bounds the work per gate


def scheduled(order: Sequence[DAGOpNode], remote: Callable[[DAGOpNode], bool],
              cost: Callable[[DAGOpNode], tuple], *, window: int = WINDOW) -> Iterator[DAGOpNode]:
    """The nodes of ``order`` (a topological order of a DAG's op nodes) in another topological
    order, chosen lazily: each ready node ``remote`` says False to, lowest index first; when
    none is ready, of the ``window`` ready nodes of lowest index, the one of least
    ``(cost(node), index)`` (the first whose cost is falsy, if one is).  ``cost`` is asked again
    at every choice: the caller's state changes as it consumes the nodes."""
    waiting, after = _wire_dependencies(order)
    local: list[int] = []
    far: list[int] = []  # sorted

    def ready(i: int) -> None:
        if remote(order[i]):
            insort(far, i)
        else:
            heapq.heappush(local, i)

    for i, count in enumerate(waiting):
        if not count:
            ready(i)
    while local or far:
        if local:
            i = heapq.heappop(local)
        else:
            i = far.pop(_cheapest(far[:window], order, cost))
        yield order[i]
        for j in after[i]:
            waiting[j] -= 1
            if not waiting[j]:
                ready(j)


def _cheapest(candidates: list[int], order: Sequence[DAGOpNode], cost: Callable[[DAGOpNode], tuple]) -> int:
    """Position in ``candidates`` (ascending indices) of the least ``cost``, the first of equals;
    the first that costs nothing (all falsy) ends the search."""
    best, least = 0, None
    for pos, i in enumerate(candidates):
        c = cost(order[i])
        if not any(c):
            return pos
        if least is None or c < least:
            best, least = pos, c
    return best


def _wire_dependencies(order: Sequence[DAGOpNode]) -> tuple[list[int], list[list[int]]]:
    """``(waiting, after)``: per node, how many nodes precede it directly on its wires (qubits and
    clbits, :func:`~qmosaic.passes.nodes.wire_nodes`; one per distinct predecessor) and the nodes
    that follow it directly."""
    index = {node._node_id: i for i, node in enumerate(order)}
    edges = {(index[a._node_id], index[b._node_id]) for line in wire_nodes(order).values()
             for a, b in zip(line, line[1:])}
    waiting = [0] * len(order)
    after: list[list[int]] = [[] for _ in order]
    for i, j in sorted(edges):
        after[i].append(j)
        waiting[j] += 1
    return waiting, after

"""Local coupling graphs of QPUs.

A QPU's data qubits are a connected piece of its device lattice: the breadth-first
prefix of the lattice from qubit 0 (connected, so data qubits can always be routed among
themselves).  Communication qubits (local indices ``data..data+comm-1``) sit at the
photonic interface: comm qubit i is coupled to data qubit ``data-1-i`` (the last ones in
BFS order, at the edge of the piece), and comm qubits are coupled to each other (assumed:
the interface module lets a relay node Bell-measure two EPR halves).
"""

from __future__ import annotations

import rustworkx as rx

__all__ = ["COUPLINGS", "coupling_edges", "heron_lattice"]

COUPLINGS = ("all-to-all", "heavy-hex", "square", "line")


def heron_lattice() -> list[tuple[int, int]]:
    """The 156-qubit Heron r2 heavy-hex lattice: 8 rows of 16 joined by 7 rows of 4 bridges.

    8*15 row couplers + 28 bridges * 2 = 176 couplers (matches IBM's figure); bridge
    columns alternate 3,7,11,15 / 1,5,9,13 (assumed).
    """
    edges: list[tuple[int, int]] = []
    row_start = [r * 20 for r in range(8)]  # 16 row qubits then 4 bridge qubits per band
    for r, start in enumerate(row_start):
        edges.extend((start + c, start + c + 1) for c in range(15))
        if r == 7:
            break
        columns = (3, 7, 11, 15) if r % 2 == 0 else (1, 5, 9, 13)
        for b, col in enumerate(columns):
            bridge = start + 16 + b
            edges.append((start + col, bridge))
            edges.append((bridge, row_start[r + 1] + col))
    return edges


def grid_edges(rows: int, cols: int) -> list[tuple[int, int]]:
    """Edges of a rows x cols grid, nodes numbered row-major (right then down from each node)."""
    edges = []
    for r in range(rows):
        for c in range(cols):
            i = r * cols + c
            if c + 1 < cols:
                edges.append((i, i + 1))
            if r + 1 < rows:
                edges.append((i, i + cols))
    return edges


def _square_lattice(total: int) -> list[tuple[int, int]]:
    side = 1
    while side * side < total:
        side += 1
    return grid_edges(side, side)


def _bfs_prefix(edges: list[tuple[int, int]], total: int) -> list[tuple[int, int]]:
    graph = rx.PyGraph()
    graph.add_nodes_from(range(1 + max(max(e) for e in edges)))
    graph.add_edges_from_no_data(edges)
    order, seen = [0], {0}
    for node in order:  # breadth-first, neighbours in index order (deterministic)
        for nxt in sorted(graph.neighbors(node)):
            if nxt not in seen:
                seen.add(nxt)
                order.append(nxt)
    if len(order) < total:
        raise ValueError(f"lattice has {len(order)} qubits, {total} requested")
    index = {old: new for new, old in enumerate(order[:total])}
    kept = [(index[a], index[b]) for a, b in edges if a in index and b in index]
    return sorted((min(a, b), max(a, b)) for a, b in kept)


def _data_edges(kind: str, data: int) -> list[tuple[int, int]]:
    if data <= 1:
        return []
    if kind == "all-to-all":
        return [(i, j) for i in range(data) for j in range(i + 1, data)]
    if kind == "line":
        return [(i, i + 1) for i in range(data - 1)]
    if kind == "square":
        return _bfs_prefix(_square_lattice(data), data)
    if kind == "heavy-hex":
        if data > 156:
            raise ValueError(f"heavy-hex lattice has 156 qubits, {data} data qubits requested")
        return _bfs_prefix(heron_lattice(), data)
    raise ValueError(f"unknown coupling {kind!r}; expected one of {', '.join(COUPLINGS)}")


def coupling_edges(kind: str, data: int, comm: int = 0) -> list[tuple[int, int]]:
    """Undirected coupling edges ``(i, j)``, ``i < j``, over local indices ``0..data+comm-1``."""
    if kind == "all-to-all":
        total = data + comm
        return [(i, j) for i in range(total) for j in range(i + 1, total)]
    edges = set(_data_edges(kind, data))
    for i in range(comm):
        if data:
            edges.add((max(0, data - 1 - i), data + i))
        edges.update((data + i, data + j) for j in range(i + 1, comm))
    return sorted(edges)

"""Feed-forward corrections: a light stand-in while compiling, ``IfElseOp`` in the output.

Teleportation needs one classically controlled Pauli per measurement, so a large compile
holds hundreds of thousands of them.  Qiskit 2.x stores every ``IfElseOp`` node with its own
copy of the body (about 3 KB, ~13 µs to insert, ~10 µs to read back as a node, against 0.15 KB
and ~2 µs for a plain instruction), even when the same operation object is appended again.
The lowering therefore emits :class:`Correction` -- an opaque one-qubit, one-bit instruction
holding its body -- which the routing, translation and scheduling carry like any gate, and
:func:`materialize` turns each into ``if (bit == 1) { body }`` once, on the finished circuit
(:func:`materialize_dag` for DAGs handed back to a Qiskit pass manager).  Corrections built
from one (body, bit) become one ``IfElseOp`` object, as before.
"""

from __future__ import annotations

from qiskit.circuit import Clbit, Gate, IfElseOp, Instruction, QuantumCircuit, Qubit
from qiskit.dagcircuit import DAGCircuit

__all__ = ["Correction", "CorrectionFactory", "materialize", "materialize_dag"]

NAME = "qmosaic_correction"


class Correction(Instruction):
    """``if (bit == 1) body`` on one qubit, not yet an ``IfElseOp`` (see module docstring)."""

    def __init__(self, body: QuantumCircuit, bit: Clbit):
        super().__init__(NAME, 1, 1, [])
        self.body, self.bit = body, bit

    @property
    def blocks(self) -> tuple[QuantumCircuit]:
        return (self.body,)

    def replace_blocks(self, blocks) -> Correction:
        """Like ``ControlFlowOp.replace_blocks``: the same condition around a new body."""
        (body,) = blocks
        return Correction(body, self.bit)

    def if_else(self) -> IfElseOp:
        return IfElseOp((self.bit, 1), self.body)


class CorrectionFactory:
    """One :class:`Correction` object per (gate name, condition bit); one body per gate name."""

    def __init__(self) -> None:
        self._bodies: dict[str, QuantumCircuit] = {}
        self._made: dict[tuple[str, Clbit], Correction] = {}

    def __call__(self, gate: Gate, bit: Clbit) -> Correction:
        key = (gate.name, bit)
        op = self._made.get(key)
        if op is None:
            body = self._bodies.get(gate.name)
            if body is None:
                body = self._bodies[gate.name] = QuantumCircuit([Qubit()], [Clbit()])
                body.append(gate, [body.qubits[0]])
            op = self._made[key] = Correction(body, bit)
        return op


def _converter():
    done: dict[int, tuple[Correction, IfElseOp]] = {}

    def convert(op):
        if not isinstance(op, Correction):
            return op
        hit = done.get(id(op))
        if hit is None:
            hit = done[id(op)] = (op, op.if_else())  # holds op, so its id is not reused meanwhile
        return hit[1]

    return convert


def materialize(circuit: QuantumCircuit) -> QuantumCircuit:
    """Replace every :class:`Correction` in ``circuit`` (in place) by its ``IfElseOp``; return it."""
    circuit._data.map_nonstandard_ops(_converter())
    return circuit


def materialize_dag(dag: DAGCircuit) -> DAGCircuit:
    """:func:`materialize` for a DAG (in place)."""
    convert = _converter()
    for node in dag.named_nodes(NAME):
        dag.substitute_node(node, convert(node.op))
    return dag

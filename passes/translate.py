"""NativeTranslation: rewrite every QPU's share into its native gates (heterogeneous target)."""

from __future__ import annotations

from qiskit.circuit.equivalence_library import SessionEquivalenceLibrary
from qiskit.dagcircuit import DAGCircuit
from qiskit.transpiler import Target
from qiskit.transpiler.basepasses import TransformationPass
from qiskit.transpiler.passes import BasisTranslator, Optimize1qGatesDecomposition

__all__ = ["NativeTranslation"]


class NativeTranslation(TransformationPass):
    """Translate to each qubit's native instructions with Qiskit's ``BasisTranslator`` against
    the network target, then merge runs of one-qubit gates into each QPU's native 1q basis.

    Property set fields read: none.  Property set values written: none.
    """

    def __init__(self, target: Target):
        super().__init__()
        self.translator = BasisTranslator(SessionEquivalenceLibrary, target_basis=None, target=target)
        self.optimize = Optimize1qGatesDecomposition(target=target)

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        return self.optimize.run(self.translator.run(dag))

"""The ``epr`` instruction: one heralded EPR pair between two communication qubits."""

from __future__ import annotations

from qiskit.circuit import Gate, QuantumCircuit

__all__ = ["EPRGate"]


class EPRGate(Gate):
    """Prepare (|00> + |11>)/sqrt(2) on two communication qubits, assumed to start in |00>.

    The definition (``h a; cx a, b;``) is what the gate does on |00>; over a link the
    pair is made by photon heralding, not by a two-qubit gate.
    """

    def __init__(self, label: str | None = None) -> None:
        super().__init__("epr", 2, [], label=label)

    def _define(self) -> None:
        qc = QuantumCircuit(2, name="epr")
        qc.h(0)
        qc.cx(0, 1)
        self.definition = qc

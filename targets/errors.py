"""Error hierarchy shared by every layer of qmosaic.

It lives in ``qmosaic.targets`` (the bottom of the dependency chain) so that the
machine model, the passes and the public API can all raise the same classes;
``qmosaic.errors`` re-exports it.
"""

from __future__ import annotations

from qiskit.transpiler.exceptions import TranspilerError

__all__ = [
    "QmosaicError",
    "NetworkError",
    "NetworkFileError",
    "CircuitError",
    "CircuitParseError",
    "UnsupportedOperationError",
    "CommunicationError",
    "RelayError",
    "CapacityError",
    "SolverError",
    "BudgetError",
    "VerificationError",
    "PassError",
]


class QmosaicError(Exception):
    """Base class of every error qmosaic raises on purpose (bad input, impossible request).

    Prints as its one-line message (no quotes), whichever other bases a subclass has.
    """

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


class NetworkError(QmosaicError, ValueError):
    """A network (QPUs and links) is invalid or cannot serve the request."""


class NetworkFileError(NetworkError):
    """A network file cannot be read or one of its fields is invalid."""


class CircuitError(QmosaicError, ValueError):
    """The input circuit cannot be compiled."""


class CircuitParseError(CircuitError):
    """OpenQASM text could not be parsed."""


class UnsupportedOperationError(CircuitError, TranspilerError):
    """The circuit contains an operation qmosaic cannot distribute."""


class CommunicationError(NetworkError, TranspilerError):
    """The network has too few communication qubits for the entanglement a circuit needs."""


class RelayError(CommunicationError):
    """A copy must pass QPU ``qpu`` (its index), which cannot relay it: one communication qubit
    and nowhere to park the first EPR half."""

    def __init__(self, message: str = "", *, qpu: int | None = None) -> None:
        super().__init__(message)
        self.qpu = qpu


class CapacityError(QmosaicError, TranspilerError):
    """The circuit needs more qubits than the network (or a QPU) offers."""


class SolverError(QmosaicError):
    """The requested ILP solver is unknown or not installed."""


class BudgetError(QmosaicError, TranspilerError):
    """No placement fits the entanglement budgets (max_ebits) of the links; ``need``: what was over
    (``link L: ... needs N ebits but max_ebits is M``), the message without its advice."""

    def __init__(self, message: str = "", *, need: str | None = None) -> None:
        super().__init__(message)
        self.need = need if need is not None else message


class VerificationError(QmosaicError):
    """A verification request cannot be carried out (too wide, mismatched files...)."""


class PassError(QmosaicError, TranspilerError):
    """A qmosaic pass was run without what it needs (e.g. a non-qmosaic target)."""

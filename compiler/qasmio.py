"""OpenQASM 2/3 input and OpenQASM 3 output."""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from pathlib import Path

from qiskit import QuantumCircuit, qasm2, qasm3
from qiskit.circuit import CONTROL_FLOW_OP_NAMES, ControlFlowOp
from qiskit.circuit.library import CU3Gate, CUGate

from .errors import CircuitParseError

__all__ = ["load_circuit", "dump_qasm3"]

# Gates Qiskit writes into OpenQASM 2 files beyond qelib1.inc (cp, rzz, sx, ...), plus legacy ones.
_QASM2_GATES = list(qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
_GATE_DEFINITION = re.compile(r"(?:^|[;{}\s])gate\s+([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"//[^\n]*")
_LEADING = re.compile(r"(?:\s|//[^\n]*|/\*.*?\*/)*", re.DOTALL)  # whitespace and comments of either kind


def _qasm2_gates(text: str) -> list:
    """Qiskit's gates for the legacy names, except those the file defines itself: Qiskit would put
    its own gate in place of the file's definition (``gate sx a { h a; }`` would read as an sx)."""
    own = set(_GATE_DEFINITION.findall(_COMMENT.sub(" ", text)))
    return [gate for gate in _QASM2_GATES if gate.name not in own]


def _looks_like_path(text: str) -> bool:
    return "\n" not in text and ";" not in text and len(text) < 4096


def load_circuit(source: QuantumCircuit | str | os.PathLike[str]) -> QuantumCircuit:
    """A ``QuantumCircuit`` from a circuit, OpenQASM 2/3 text, or a path to a .qasm file."""
    if isinstance(source, QuantumCircuit):
        return source
    if isinstance(source, os.PathLike) or (isinstance(source, str) and _looks_like_path(source)):
        path = Path(source)
        try:
            text = decode_utf8(path.read_bytes(), where=f"circuit file {path}")
        except OSError as exc:
            raise CircuitParseError(f"cannot read circuit file {path}: {exc.strerror}") from None
        circuit = parse_qasm(text, where=str(path))
        circuit.name = path.stem
        return circuit
    if isinstance(source, str):
        return parse_qasm(source, where="<qasm text>")
    raise CircuitParseError(f"expected a QuantumCircuit, OpenQASM text or a file path, got {type(source).__name__}")


def decode_utf8(raw: bytes, *, where: str) -> str:
    """``raw`` as UTF-8 text, or a one-line ``CircuitParseError`` naming the first bad byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CircuitParseError(f"{where} is not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start}); "
                                "give an OpenQASM 2 or 3 file saved as UTF-8") from None


def _first_statement(text: str) -> str:
    """``text`` from its first statement on: leading whitespace and comments (``//`` and ``/* */``,
    which OpenQASM 3 allows before its header) skipped."""
    return text[_LEADING.match(text).end():]


def parse_qasm(text: str, *, where: str) -> QuantumCircuit:
    """Parse OpenQASM 2 or 3 (by its header); errors carry the line.  A byte-order mark that some
    editors write first is dropped; a text with no statement is refused."""
    text = text.removeprefix("\ufeff")
    first = _first_statement(text)
    if not first:
        raise CircuitParseError(f"{where} has no OpenQASM statement (it is empty or only comments); give an "
                                "OpenQASM 2 or 3 program, e.g. 'OPENQASM 2.0; include \"qelib1.inc\"; qreg q[2]; ...'")
    console = io.StringIO()  # the QASM 3 parser's ANTLR listener prints syntax errors to stderr
    try:
        with contextlib.redirect_stderr(console):
            if first.startswith("OPENQASM 3"):
                circuit = qasm3.loads(text)
            else:
                circuit = qasm2.loads(text, custom_instructions=_qasm2_gates(text), strict=False)
        sys.stderr.write(console.getvalue())  # a successful parse's warnings, as they were
        return circuit
    except (qasm2.QASM2ParseError, qasm3.QASM3ImporterError) as exc:
        message = " ".join(str(exc).split())
        raise CircuitParseError(f"{where}: invalid OpenQASM: {message}") from None
    except Exception as exc:  # the QASM 3 parser raises its own error classes
        if isinstance(exc, TypeError) and "index must be" in str(exc):  # q[i], i a loop variable
            raise CircuitParseError(f"{where}: a qubit indexed by a value known only at run time (a loop variable, "
                                    "as q[i] in a for loop) is not supported: every qubit is placed before the "
                                    "circuit runs; write the indices out (unroll the loop)") from None
        printed = console.getvalue().strip().splitlines()
        message = " ".join(str(exc).split()) or _antlr_position(exc) or (printed[0] if printed else "syntax error")
        raise CircuitParseError(f"{where}: invalid OpenQASM 3: {message}") from None


def _antlr_position(exc: BaseException) -> str | None:
    """'line L, column C: unexpected 'tok'' from the ANTLR error behind an OpenQASM 3 parse error."""
    seen = 0
    while exc is not None and seen < 8:
        for candidate in (exc, *getattr(exc, "args", ())):
            token = getattr(candidate, "offendingToken", None)
            if token is not None:
                return f"line {token.line}, column {token.column + 1}: unexpected {token.text!r} (missing ';' before it?)"
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def dump_qasm3(circuit: QuantumCircuit) -> str:
    """OpenQASM 3 text that ``qiskit.qasm3.loads`` reads back."""
    return qasm3.dumps(_cu3_as_cu(circuit))


def _cu3_as_cu(circuit: QuantumCircuit) -> QuantumCircuit:
    """``circuit`` with every ``cu3(t, p, l)`` written as ``cu(t, p, l, 0)``, the same gate in
    ``stdgates.inc``: Qiskit writes out cu3's definition with its terms in an order that changes
    with ``PYTHONHASHSEED`` (``p(0.5*p1 + 0.5*p2)`` or ``p(0.5*p2 + 0.5*p1)``), and the output
    must not."""
    if not circuit.count_ops().keys() & {"cu3", *CONTROL_FLOW_OP_NAMES}:  # blocks are not counted: look inside
        return circuit
    out = circuit.copy_empty_like()
    for inst in circuit.data:
        op = inst.operation
        if isinstance(op, CU3Gate):
            op = CUGate(*op.params, 0.0, ctrl_state=op.ctrl_state)
        elif isinstance(op, ControlFlowOp):
            op = op.replace_blocks([_cu3_as_cu(block) for block in op.blocks])
        out._append(inst.replace(operation=op))
    return out

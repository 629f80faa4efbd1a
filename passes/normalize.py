"""NormalizeForDistribution: rewrite a circuit into operations the lowering can distribute."""

from __future__ import annotations

import functools
import math

from qiskit import QuantumCircuit
from qiskit.circuit.equivalence_library import SessionEquivalenceLibrary
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.circuit import ControlFlowOp, IfElseOp, ParameterExpression
from qiskit.converters import circuit_to_dag, dag_to_circuit
from qiskit.dagcircuit import DAGCircuit
from qiskit.transpiler import PassManager
from qiskit.transpiler.basepasses import TransformationPass
from qiskit.transpiler.exceptions import TranspilerError
from qiskit.transpiler.passes import BasisTranslator, HighLevelSynthesis, UnitarySynthesis

from qmosaic.targets.errors import UnsupportedOperationError

from .basis import rotate_x_runs
from .diagonal import merge_diagonal_blocks
from .gateinfo import _is_standard, _key, cached, diagonal_flags, node_fact, user_definition

__all__ = ["NormalizeForDistribution"]

_BASIS = ["cx", "u", "p", "rz", "h", "x", "sx", "measure", "reset"]


_DECOMPOSITIONS: dict[tuple, DAGCircuit] = {}


@functools.cache
def _unroller() -> PassManager:
    """The translation ``transpile(..., basis_gates=_BASIS, optimization_level=0)`` runs, built
    once: ``transpile`` builds its pass manager on every call (1.8 ms against 0.3 ms per gate;
    ``qugan_n71`` has 70 distinct user gates, each decomposed once)."""
    return PassManager([UnitarySynthesis(basis_gates=_BASIS), HighLevelSynthesis(basis_gates=_BASIS),
                        BasisTranslator(SessionEquivalenceLibrary, _BASIS)])


def _decomposition(key: tuple, op) -> DAGCircuit:
    """What replaces ``op``: a user's gate its definition, normalised gate by gate (one level per
    nested gate: a DAG per distinct gate, 30x cheaper than a pass-manager run, and by meaning,
    never by name: a ``Gate("cx")`` defined as ``cz`` is a cz); any other gate Qiskit's
    translation into ``_BASIS``."""
    if key in _DECOMPOSITIONS:
        return _DECOMPOSITIONS[key]
    definition = user_definition(op)
    if definition is not None:
        out = circuit_to_dag(definition)
        _normalize_nodes(out)
    else:
        qc = QuantumCircuit(op.num_qubits)
        qc.append(op, range(op.num_qubits))
        try:
            out = circuit_to_dag(_unroller().run(qc))
        except TranspilerError as exc:
            raise UnsupportedOperationError(
                f"gate {op.name!r} on {op.num_qubits} qubits has no decomposition into {_BASIS}: {exc}; "
                "give the gate a definition") from None
    if out.num_qubits() != op.num_qubits:  # Qiskit's MCXGate(mode="v-chain-dirty"): a 5-qubit gate defined on 4
        raise UnsupportedOperationError(
            f"gate {op.name!r} on {op.num_qubits} qubits is defined on {out.num_qubits()}, so it cannot be written "
            "out; give it a definition on all its qubits (an MCX: another mode, or the default)")
    _DECOMPOSITIONS[key] = out
    return out


def _opaque(key: tuple | None) -> bool:
    """A gate outside the standard library with no definition (``_key`` then ends in ``None``)."""
    return key is not None and len(key) > 2 and key[-1] is None


def _require_definition(op, key: tuple | None) -> None:
    """Refuse an opaque gate that Qiskit's synthesis cannot decompose either (a ``PermutationGate``
    has no definition but a synthesis plugin): it can be neither translated nor written out."""
    if not _opaque(key):
        return
    try:
        _decomposition(key, op)
    except UnsupportedOperationError:
        raise UnsupportedOperationError(
            f"gate {op.name!r} on {op.num_qubits} qubit(s) has no definition (an opaque gate), so it cannot be "
            "translated or written out; give the gate a definition") from None


class NormalizeForDistribution(TransformationPass):
    """Prepare a logical circuit for distribution.

    Drops barriers and delays; decomposes every operation on three or more qubits, and
    every two-qubit gate that is diagonal on neither qubit (swap, iswap, rxx, ...), into
    ``cx`` and one-qubit gates.  Keeps classically conditioned one-qubit blocks (``if (c)
    x q;``) and single conditioned two-qubit gates diagonal on a qubit (``if (c) cx a, b;``).
    Raises ``UnsupportedOperationError`` for other classical control flow, classical
    variables, unbound parameters, or gates without a definition.  Then merges ``cx · diagonal · cx`` blocks
    into gates diagonal on both qubits (:func:`~qmosaic.passes.diagonal.merge_diagonal_blocks`)
    and rotates runs of X-diagonal gates into the Z basis
    (:func:`~qmosaic.passes.basis.rotate_x_runs`), so ``cx`` gates sharing a target are served
    by one copy of it.

    Property set fields read: none.  Property set values written: none.
    """

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        _refuse_variables(dag)
        order = list(dag.topological_op_nodes())
        unchanged = _normalize_nodes(dag, order)
        _refuse_global_phase(dag)  # after the gates: their definitions add theirs
        return rotate_x_runs(merge_diagonal_blocks(dag, order if unchanged else None))


def _refuse_variables(dag: DAGCircuit) -> None:
    """Classical variables (``expr.Var``, OpenQASM 3's ``bool v = ...``) are refused: the passes
    order and move operations by their qubits and classical bits only."""
    if dag.num_vars:
        names = ", ".join(sorted(v.name for v in dag.iter_vars()))
        raise UnsupportedOperationError(
            f"the circuit uses classical variables ({names}); qmosaic compiles circuits over qubits and "
            "classical bits only: measure into classical bits and condition on them instead")


def _refuse_global_phase(dag: DAGCircuit) -> None:
    """A global phase with unbound parameters or that is not a finite number is refused, as a gate's
    angle is: it went into the output unchanged, and verification then crashed (unbound) or
    passed a fidelity of nan (inf or nan)."""
    phase = dag.global_phase
    if isinstance(phase, ParameterExpression) and phase.parameters:
        raise UnsupportedOperationError(
            f"the circuit's global phase has unbound parameters {sorted(str(x) for x in phase.parameters)}; "
            "bind them (circuit.assign_parameters) before compiling")
    if not _finite(phase):
        raise UnsupportedOperationError(f"the circuit's global phase is not a finite number ({str(phase)[:24]}); "
                                        "give a finite phase")


def _normalize_nodes(dag: DAGCircuit, order: list | None = None) -> bool:
    """Keep, drop, decompose or refuse every operation of ``dag`` (in ``order``), in place.  True if
    all were kept."""
    unchanged = True
    for node in order if order is not None else list(dag.topological_op_nodes()):
        params = node.params
        if params and not all(_finite(p) for p in params):
            raise UnsupportedOperationError(
                f"gate {node.name} has a parameter that is not a finite number "
                f"({', '.join(str(p) if len(str(p)) <= 24 else str(p)[:21] + '...' for p in params)}); "
                "give finite angles")
        if node.is_standard_gate() and not node.is_parameterized() and not node.cargs:
            unchanged &= _normalize_standard(dag, node)
        else:
            unchanged &= _normalize_other(dag, node)
    return unchanged


def _finite(param) -> bool:
    """False for an angle of inf or nan; True for other parameters (finite, symbolic, arrays...)."""
    if isinstance(param, float):
        return math.isfinite(param)
    try:
        return math.isfinite(float(param))
    except OverflowError:  # an integer beyond any float
        return False
    except (TypeError, ValueError):
        return True


def _normalize_standard(dag: DAGCircuit, node) -> bool:
    """Decompose a standard gate with bound parameters (defined, so never refused) unless it is kept;
    its op is built only then.  True if the node is kept."""
    n = node.num_qubits
    if n == 1 or (n == 2 and any(node_fact(diagonal_flags, node))):
        return True
    op = node.op
    dag.substitute_node_with_dag(node, _decomposition(_key(op), op))
    return False


def _normalize_other(dag: DAGCircuit, node) -> bool:
    """Keep, drop, decompose or refuse any other operation.  True if the node is kept."""
    try:
        op = node.op
    except NotImplementedError as exc:  # an operation Qiskit's own init stage made and cannot hand back
        raise UnsupportedOperationError(
            f"operation {node.name!r} cannot be read from the circuit ({exc}); it comes from Qiskit's init "
            "stage: transpile with init_method='qmosaic', or compile with qmosaic.compile") from None
    if isinstance(op, ControlFlowOp):
        return _normalize_control_flow(dag, node, op)
    if op.name in ("barrier", "delay"):
        dag.remove_op_node(node)
        return False
    if len(node.cargs) and op.name not in ("measure", "if_else"):
        return _expand_with_bits(dag, node, op)
    key = _key(op)  # also rejects unbound parameters
    n = len(node.qargs)
    if op.name in ("measure", "reset"):
        return True
    _require_definition(op, key)
    if (n == 1 or (n == 2 and any(diagonal_flags(op)))) and not _opaque(key) and not _expanded(key, op):
        return True
    dag.substitute_node_with_dag(node, _decomposition(key, op))
    return False


def _expand_with_bits(dag: DAGCircuit, node, op) -> bool:
    """Put an instruction on classical bits (a sub-circuit that measures: ``to_instruction()``)
    in its definition's place, normalised; refuse one without a definition."""
    definition = op.definition
    if definition is None:
        raise UnsupportedOperationError(
            f"operation {op.name!r} on {len(node.qargs)} qubit(s) and {len(node.cargs)} classical bit(s) has no "
            "definition to expand; give it one, or write out what it does (measure, reset, if-blocks)")
    inner = circuit_to_dag(definition)
    _normalize_nodes(inner)
    dag.substitute_node_with_dag(node, inner)
    return False


_CONTROL_FLOW_FIX = {"for_loop": "unroll the loop (write its iterations out)",
                     "while_loop": "unroll the loop (write its iterations out)",
                     "switch_case": "write the cases out as if-blocks"}  # else an if-block's: split it


def _normalize_control_flow(dag: DAGCircuit, node, op) -> bool:
    """Keep an if-block on one qubit, or holding one two-qubit gate controlled or diagonal on a qubit,
    its blocks normalised like the circuit (Qiskit's translation behind the plugin, and the OpenQASM
    export, read what they hold too); drop one that holds nothing; refuse any other control flow."""
    kept = True
    if isinstance(op, IfElseOp):
        blocks = [_normalized_block(block) for block in op.blocks]
        if any(new is not old for new, old in zip(blocks, op.blocks)):
            op, kept = op.replace_blocks(blocks), False
            node = dag.substitute_node(node, op)
        if not node.qargs and not any(block.data for block in blocks):  # does nothing: dropped
            dag.remove_op_node(node)
            return False
        if len(node.qargs) == 1 or any(diagonal_flags(op)):
            return kept
    fix = _CONTROL_FLOW_FIX.get(op.name, "split the block")
    raise UnsupportedOperationError(
        f"classical control flow ({op.name} on {len(node.qargs)} qubits) in the input circuit is not "
        "supported yet; only if-blocks on one qubit, or holding one two-qubit gate controlled or "
        f"diagonal on a qubit, are; {fix}")


def _normalized_block(block: QuantumCircuit) -> QuantumCircuit:
    """``block`` normalised (itself if nothing changed)."""
    out = circuit_to_dag(block)
    return block if _normalize_nodes(out) else dag_to_circuit(out)


@functools.cache
def _reserved() -> frozenset[str]:
    return frozenset(get_standard_gate_name_mapping()) | {"epr"}


def _expanded(key: tuple, op) -> bool:
    """A user's gate to expand into its definition even where it could stay (cached per gate): one
    named like a standard gate or qmosaic's ``epr`` (no later pass, nor Qiskit's translation behind
    the plugin, may take it for the gate of that name), or one Qiskit's OpenQASM 3 export writes in
    a form no reader takes back (or not the same way twice); also one holding such a gate at any
    depth (see :func:`_holds_expanded`)."""
    return cached(("expanded", key), lambda: _must_expand(op))


def _must_expand(op) -> bool:
    body = user_definition(op)  # built once per gate: the caller caches the answer
    return body is not None and (op.name in _reserved() or not _numeric(op.params) or _holds_expanded(body))


def _numeric(params) -> bool:
    return all(isinstance(p, (int, float, ParameterExpression)) for p in params)


def _holds_expanded(circuit: QuantumCircuit) -> bool:
    """True if ``circuit`` holds, at any depth: a gate :func:`_expanded` names; a gate on no qubits
    (a global phase gate, which the export writes as a call on no qubits); a parameter that is not
    a number (``PauliGate``'s label, written ``pauli(YZ)``); or a ``cu3``, whose definition the
    export writes with its terms in an order that changes from run to run."""
    for inst in circuit.data:
        op = inst.operation
        if op.num_qubits == 0 or op.name == "cu3" or not _numeric(op.params):
            return True
        if isinstance(op, ControlFlowOp):
            if any(_holds_expanded(block) for block in op.blocks):
                return True
        elif not _is_standard(op) and _expanded(_key(op), op):
            return True
    return False

"""NativeTranslation: rewrite every QPU's share into its native gates.

Each QPU has one native gate set, so a gate's translation depends only on the gate (name,
parameters) and that set: it is computed once with Qiskit's ``BasisTranslator`` on a one- or
two-qubit circuit and replayed on every occurrence (Qiskit's translator on the whole
heterogeneous target searches once per distinct set of qubits, which is minutes for
thousands of qubits).  Feed-forward bodies are translated the same way.  Runs of one-qubit
gates are then merged into each QPU's native one-qubit basis.
"""

from __future__ import annotations

from qiskit import QuantumCircuit
from qiskit.circuit import ControlFlowOp, IfElseOp
from qiskit.circuit.equivalence_library import SessionEquivalenceLibrary
from qiskit.dagcircuit import DAGCircuit
from qiskit.transpiler.basepasses import TransformationPass
from qiskit.transpiler import TranspilerError
from qiskit.quantum_info import Operator
from qiskit.synthesis import OneQubitEulerDecomposer
from qiskit.transpiler.passes import BasisTranslator, HighLevelSynthesis, Optimize1qGatesDecomposition

from qmosaic.targets.models import Network
from qmosaic.targets.target import QmosaicTarget

from .feedforward import Correction
from .gateinfo import _is_standard, _key, by_definition

__all__ = ["NativeTranslation"]

_ALWAYS = frozenset({"epr", "measure", "reset", "delay", "barrier"})


class NativeTranslation(TransformationPass):
    """Translate to each QPU's native instructions, then merge one-qubit runs.

    Property set fields read: none.  Property set values written: none.
    """

    def __init__(self, target: QmosaicTarget, network: Network | None = None):
        super().__init__()
        self.target = target
        self.network = network if network is not None else target.network
        self.owner = self.network.owners
        self.native = [frozenset(q.gates_1q) | {q.gate_2q} for q in self.network.qpus]
        self.optimize = Optimize1qGatesDecomposition(target=target)
        self._cache: dict[tuple, list[tuple]] = {}

    def _keeps(self, op, k: int) -> bool:
        """True if ``op`` runs on QPU k as it is: a native gate (Qiskit's, not a user's gate of
        that name) or an instruction every QPU has."""
        return op.name in _ALWAYS or (op.name in self.native[k] and _is_standard(op))

    def _recipe(self, op, k: int) -> tuple[list[tuple], float]:
        """(operation, local qubit indices) of ``op`` in QPU k's native gates, and the phase."""
        key = (_key(op), k)
        if key not in self._cache:
            qc = QuantumCircuit(op.num_qubits)
            qc.append(op, range(op.num_qubits))
            qc = by_definition(qc)  # a user's gate by its definition, not the library's rules for its name
            basis = sorted(self.native[k] | _ALWAYS)
            out = _translated(qc, basis, self.network.qpus[k].gates_1q)
            steps = [(inst.operation, tuple(out.find_bit(q).index for q in inst.qubits)) for inst in out.data]
            self._cache[key] = (steps, float(out.global_phase))
        return self._cache[key]

    def _translate_block(self, block: QuantumCircuit, k: int) -> QuantumCircuit:
        new = block.copy_empty_like()
        for inst in block.data:
            if self._keeps(inst.operation, k):
                new.append(inst.operation, inst.qubits, inst.clbits)
                continue
            if isinstance(inst.operation, ControlFlowOp):  # a nested block: translated the same way
                nested = inst.operation.replace_blocks([self._translate_block(b, k) for b in inst.operation.blocks])
                new.append(nested, inst.qubits, inst.clbits)
                continue
            steps, phase = self._recipe(inst.operation, k)
            new.global_phase += phase
            for step, local in steps:
                new.append(step, [inst.qubits[i] for i in local])
        return new

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        out = dag.copy_empty_like()
        index = {q: i for i, q in enumerate(dag.qubits)}
        blocks: dict[tuple, IfElseOp | Correction] = {}
        for node in dag.topological_op_nodes():
            op, qargs = node.op, node.qargs
            k = self.owner[index[qargs[0]]] if qargs else 0
            if self._keeps(op, k):
                out.apply_operation_back(op, qargs, node.cargs, check=False)
            elif isinstance(op, (ControlFlowOp, Correction)):
                key = (id(op), k)
                if key not in blocks:
                    blocks[key] = new = op.replace_blocks([self._translate_block(b, k) for b in op.blocks])
                    if isinstance(new, Correction) and len(new.body.data) != 1:
                        blocks[key] = new.if_else()  # a stand-in counts as depth 1: keep output_depth exact
                out.apply_operation_back(blocks[key], qargs, node.cargs, check=False)
            else:
                steps, phase = self._recipe(op, k)
                out.global_phase += phase
                for step, local in steps:
                    out.apply_operation_back(step, tuple(qargs[i] for i in local), (), check=False)
        # Not ``self.optimize.run``: that recurses into if-blocks and re-synthesises them for the
        # device's qubit 0 (block-local indices), whatever QPU they run on; the blocks are
        # already translated for their own QPU above.
        return Optimize1qGatesDecomposition.run.__wrapped__(self.optimize, out)


_EULER = (("sx", "ZSX"), ("rx", "ZXZ"), ("ry", "ZYZ"), ("r", "RR"))  # native 1q gate -> Euler basis (not u: see below)


def _translated(qc: QuantumCircuit, basis: list[str], gates_1q) -> QuantumCircuit:
    """``qc`` in ``basis``: by Qiskit's equivalence library, through high-level synthesis where the
    library has no rule for a gate (an open control: ``cx_o0``), and through ``u`` where it has no
    path to the one-qubit gates (``rz``, ``ry``: none from ``h``), each ``u`` then written in the
    QPU's Euler basis."""
    translate = BasisTranslator(SessionEquivalenceLibrary, target_basis=basis)
    try:
        return translate(qc)
    except TranspilerError:
        pass
    synth = HighLevelSynthesis(equivalence_library=SessionEquivalenceLibrary, basis_gates=basis)
    try:
        return translate(synth(qc))
    except TranspilerError:
        if "u" in basis:
            raise
    via_u = [g for g in basis if g not in gates_1q] + ["u"]
    out = BasisTranslator(SessionEquivalenceLibrary, target_basis=via_u)(synth(qc))
    euler = OneQubitEulerDecomposer(next(e for g, e in _EULER if g in gates_1q))
    written = out.copy_empty_like()
    for inst in out.data:
        if inst.operation.name != "u":
            written.append(inst)
            continue
        one = euler(Operator(inst.operation).data)
        written.global_phase += one.global_phase
        for step in one.data:
            written.append(step.operation, inst.qubits)
    return written

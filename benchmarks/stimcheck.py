"""Check a compiled Clifford circuit against its input with stim (any width).

Same idea as ``qmosaic.verify`` (process fidelity through Bell pairs with reference
qubits), on a stabilizer simulator: each logical qubit i is entangled with a reference
qubit; the compiled circuit runs from ``layout.initial`` (its mid-circuit measurements
sampled, feed-forward applied); the inverse of the input is applied on ``layout.final``;
the Bell pairs are undone.  The compilation is correct on a sampled branch iff every one
of those 2n qubits is deterministically |0>.  Every ``epr`` must find its two
communication qubits deterministically in |0> (the gate's precondition).
"""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Clbit, ControlFlowOp, IfElseOp
from qiskit.transpiler.passes import RemoveFinalMeasurements

__all__ = ["StimUnavailable", "NotClifford", "is_clifford", "stim_check"]

_NAMED = {"h": "H", "s": "S", "sdg": "S_DAG", "x": "X", "y": "Y", "z": "Z", "id": "I", "cx": "CX", "cy": "CY",
          "cz": "CZ", "swap": "SWAP", "sx": "SQRT_X", "sxdg": "SQRT_X_DAG", "iswap": "ISWAP",
          "iswapdg": "ISWAP_DAG", "ecr": None}


class StimUnavailable(RuntimeError):
    """stim is not installed."""


class NotClifford(ValueError):
    """The circuit has a non-Clifford gate or non-unitary part, so the stim check does not apply."""


def _stim():
    try:
        import stim
    except ImportError:
        raise StimUnavailable("stim is not installed (pip install stim)") from None
    return stim


class _Tableaux:
    """Gate -> ``stim.Tableau`` (or a stim gate name), cached by name and parameters."""

    def __init__(self) -> None:
        self.stim = _stim()
        self.cache: dict[tuple, object] = {}

    def get(self, op):
        try:
            key = (op.name, op.num_qubits, tuple(float(p) for p in op.params))
        except (TypeError, ValueError):
            raise NotClifford(f"gate {op.name} has symbolic parameters") from None
        if key in self.cache:
            return self.cache[key]
        value = self._build(op)
        self.cache[key] = value
        return value

    def _build(self, op):
        name = _NAMED.get(op.name)
        if name is not None and not op.params:
            return name
        from qiskit.exceptions import QiskitError
        from qiskit.quantum_info import Clifford

        try:
            cliff = Clifford(op)
        except (QiskitError, TypeError, ValueError, AttributeError) as exc:
            raise NotClifford(f"gate {op.name}{tuple(op.params) or ''} is not Clifford") from exc
        n, t = cliff.num_qubits, cliff.tableau
        x, z, p = t[:, :n].astype(bool), t[:, n:2 * n].astype(bool), t[:, 2 * n].astype(bool)
        return self.stim.Tableau.from_numpy(x2x=x[:n], x2z=z[:n], z2x=x[n:], z2z=z[n:], x_signs=p[:n],
                                           z_signs=p[n:])


def _unitary_part(circuit: QuantumCircuit) -> QuantumCircuit:
    stripped = RemoveFinalMeasurements()(circuit.remove_final_measurements(inplace=False))
    for inst in stripped.data:
        if inst.operation.name in ("measure", "reset") or isinstance(inst.operation, ControlFlowOp):
            raise NotClifford("the input has mid-circuit measurement, reset or control flow")
    return stripped


def is_clifford(circuit: QuantumCircuit) -> bool:
    """True if the circuit is Clifford up to final measurements (and stim is installed)."""
    try:
        tabs = _Tableaux()
        for inst in _unitary_part(circuit).data:
            if inst.operation.name != "barrier":
                tabs.get(inst.operation)
    except (NotClifford, StimUnavailable):
        return False
    return True


class _Runner:
    def __init__(self, sim, tabs: _Tableaux) -> None:
        self.sim, self.tabs = sim, tabs
        self.bits: dict[object, bool] = {}

    def gate(self, op, targets: list[int]) -> None:
        tab = self.tabs.get(op)
        if isinstance(tab, str):
            getattr(self.sim, _FAST[tab])(*targets)
        else:
            self.sim.do_tableau(tab, targets)

    def condition(self, cond) -> bool:
        if not isinstance(cond, tuple):
            raise NotClifford("classical expressions in conditions are not supported by the stim check")
        target, value = cond
        if isinstance(target, Clbit):
            return int(self.bits.get(target, False)) == int(value)
        total = sum(int(self.bits.get(b, False)) << i for i, b in enumerate(target))  # register, little-endian
        return total == int(value)

    def run(self, circuit: QuantumCircuit, qmap: dict, cmap: dict | None = None) -> None:
        for inst in circuit.data:
            op = inst.operation
            name = op.name
            if name == "barrier":
                continue
            qs = [qmap[q] for q in inst.qubits]
            if name == "measure":
                outcome = self.sim.measure(qs[0])
                clbit = inst.clbits[0] if cmap is None else cmap[inst.clbits[0]]
                self.bits[clbit] = bool(outcome)
            elif name == "reset":
                self.sim.reset(qs[0])
            elif name == "epr":
                for q in qs:
                    if self.sim.peek_z(q) != 1:
                        raise AssertionError(f"epr on a communication qubit not in |0> (qubit {q})")
                self.sim.h(qs[0])
                self.sim.cx(qs[0], qs[1])
            elif isinstance(op, IfElseOp):
                cond = op.condition
                if cmap is not None:
                    target, value = cond
                    cond = (cmap.get(target, target), value)
                taken = self.condition(cond)
                body = op.blocks[0] if taken else (op.blocks[1] if len(op.blocks) > 1 else None)
                if body is not None:
                    inner_q = {bq: qmap[oq] for bq, oq in zip(body.qubits, inst.qubits)}
                    outer_c = dict(zip(body.clbits, [c if cmap is None else cmap[c] for c in inst.clbits]))
                    self.run(body, inner_q, outer_c)
            elif isinstance(op, ControlFlowOp):
                raise NotClifford(f"control flow {name} is not supported by the stim check")
            else:
                self.gate(op, qs)


_FAST = {"H": "h", "S": "s", "S_DAG": "s_dag", "X": "x", "Y": "y", "Z": "z", "CX": "cx", "CY": "cy", "CZ": "cz",
         "SWAP": "swap", "SQRT_X": "sqrt_x", "SQRT_X_DAG": "sqrt_x_dag", "I": "i", "ISWAP": "iswap",
         "ISWAP_DAG": "iswap_dag"}


def stim_check(original: QuantumCircuit, compiled: QuantumCircuit, initial: list[int], final: list[int], *,
               shots: int = 2, seed: int = 1234) -> bool:
    """True if ``compiled`` implements ``original`` on every sampled branch (see module docstring).

    Raises ``NotClifford`` if the input is not Clifford up to final measurements, and
    ``StimUnavailable`` without stim.
    """
    stim = _stim()
    tabs = _Tableaux()
    orig = _unitary_part(original)
    inverse = orig.inverse()
    for inst in inverse.data:  # fail early, before simulating the compiled circuit
        if inst.operation.name != "barrier":
            tabs.get(inst.operation)
    n = orig.num_qubits
    body = compiled.remove_final_measurements(inplace=False) if compiled.num_clbits else compiled
    width = body.num_qubits
    qmap = {q: i for i, q in enumerate(body.qubits)}
    refs = list(range(width, width + n))
    rng = np.random.default_rng(seed)
    for _ in range(shots):
        sim = stim.TableauSimulator(seed=int(rng.integers(2**31)))
        sim.set_num_qubits(width + n)
        for i, p in enumerate(initial):
            sim.h(refs[i])
            sim.cx(refs[i], p)
        runner = _Runner(sim, tabs)
        runner.run(body, qmap)
        fmap = {q: final[i] for i, q in enumerate(inverse.qubits)}
        runner.run(inverse, fmap)
        for i, p in enumerate(final):
            sim.cx(refs[i], p)
            sim.h(refs[i])
        if any(sim.peek_z(q) != 1 for q in list(final) + refs):
            return False
    return True

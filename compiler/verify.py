"""Check by simulation that a compiled circuit implements its input (process fidelity).

Each logical qubit i is entangled with a reference qubit; the compiled circuit runs (with
its mid-circuit measurements and feed-forward) from ``layout.initial``; the inverse of the
input is applied on ``layout.final``; the Bell pairs are undone.  The probability that all
those qubits read 0 is the process fidelity |Tr(U^dagger V)/d|^2 — 1 for a correct
compilation whatever the measurement outcomes (Aer samples them over ``shots``): a missing
or wrong correction lowers the average unless its measurement read 0 in every shot, which
happens with probability 2**-shots.

With qubit reuse (the report's ``layout.reuse``), each reuse reset is replaced by a fresh
wire first (:func:`split_reuse`): a reset is the old state discarded plus a new ``|0>``, so
the split circuit does what the compiled one does, and each input qubit has a wire of its
own to be compared on.
"""

from __future__ import annotations

import math
import numbers
import warnings

from qiskit import QuantumCircuit, transpile
from qiskit.circuit import ControlFlowOp, Gate
from qiskit.transpiler.passes import RemoveFinalMeasurements

from qmosaic.passes.gateinfo import by_definition
from qmosaic.passes.placement import MAX_SEED
from qmosaic.targets.models import plain_number

from .errors import VerificationError
from .options import MAX_SHOTS

__all__ = ["process_fidelity", "split_reuse", "MAX_VERIFY_QUBITS"]

MAX_VERIFY_QUBITS = 28
MULTIPLEXER_DEPTH = 8  # a multiplexer's definition may hold smaller ones
SLOW_VERIFY_QUBITS = 24  # above this, a warning: each simulated qubit doubles the time (minutes near the limit)


def _unitary_part(circuit: QuantumCircuit, what: str) -> QuantumCircuit:
    stripped = RemoveFinalMeasurements()(circuit.remove_final_measurements(inplace=False))
    bad = {inst.operation.name for inst in stripped.data if _non_unitary(inst.operation)}
    if bad and what == "input":
        raise VerificationError(f"the {what} circuit has mid-circuit or non-unitary operations "
                                f"({', '.join(sorted(bad))}); only circuits that are unitary up to final "
                                "measurements can be verified")
    return stripped


def _non_unitary(op) -> bool:
    """A measurement, reset or control flow, or an instruction whose definition holds one at any
    depth (``Initialize`` resets); a ``Gate`` or a unitary sub-circuit is not."""
    if op.name in ("measure", "reset") or isinstance(op, ControlFlowOp):
        return True
    if isinstance(op, Gate) or op.name in ("barrier", "delay"):
        return False
    try:
        body = op.definition
    except Exception:  # noqa: BLE001 - no definition: nothing known to be non-unitary
        return False
    return body is not None and any(_non_unitary(inst.operation) for inst in body.data)


def _without_delays(circuit: QuantumCircuit) -> QuantumCircuit:
    """``circuit`` without its delays: idle time is the identity here, and Aer's transpile refuses
    delays mixing ``dt`` with seconds when no ``dt`` is given."""
    if not any(inst.operation.name == "delay" for inst in circuit.data):
        return circuit
    out = circuit.copy_empty_like()
    for inst in circuit.data:
        if inst.operation.name != "delay":
            out.append(inst, copy=False)
    return out


def _active_qubits(circuit: QuantumCircuit, must: list[int]) -> list[int]:
    active = set(must)
    for inst in circuit.data:
        if inst.operation.name != "barrier":
            active.update(circuit.find_bit(q).index for q in inst.qubits)
    return sorted(active)


def split_reuse(compiled: QuantumCircuit, initial: list[int], final: list[int],
                reuse: dict | None) -> tuple[QuantumCircuit, list[int], list[int]]:
    """``compiled`` with a fresh wire after each reuse reset, and the layout on those wires
    (``reuse`` is the report's ``layout.reuse``; ``None`` returns the input unchanged)."""
    if not reuse:
        return compiled, list(initial), list(final)
    try:
        marked = {(int(p), int(k)) for p, k in reuse["resets"]}
        first, last = list(reuse["initial_segment"]), list(reuse["final_segment"])
    except (KeyError, TypeError, ValueError) as exc:
        raise VerificationError(f"layout.reuse in the report is malformed ({exc}); pass the report written with "
                                "this compiled circuit") from None
    width = compiled.num_qubits
    out = QuantumCircuit(width + len(marked), name=compiled.name)
    for reg in compiled.cregs:
        out.add_register(reg)
    out.add_bits([c for c in compiled.clbits if not compiled.find_bit(c).registers])
    wire = list(range(width))  # physical qubit -> wire it drives now
    segment = {(p, 0): p for p in range(width)}
    resets, splits = [0] * width, [0] * width
    for inst in compiled.data:
        qs = [compiled.find_bit(q).index for q in inst.qubits]
        if inst.operation.name == "reset":
            p = qs[0]
            resets[p] += 1
            if (p, resets[p] - 1) in marked:
                splits[p] += 1
                wire[p] = segment[(p, splits[p])] = len(segment)  # the next fresh wire (segments so far)
                continue
        out.append(inst.operation, [out.qubits[wire[p]] for p in qs], inst.clbits, copy=False)
    try:
        return out, [segment[(p, s)] for p, s in zip(initial, first)], [segment[(p, s)] for p, s in zip(final, last)]
    except KeyError as exc:
        raise VerificationError(f"layout.reuse names segment {exc} that the compiled circuit does not have; pass "
                                "the report written with this compiled circuit") from None


def process_fidelity(original: QuantumCircuit, compiled: QuantumCircuit, initial: list[int], final: list[int],
                     *, shots: int = 16, seed: int = 1234, reuse: dict | None = None) -> float:
    """Average process fidelity of ``compiled`` against ``original`` (see module docstring)."""
    shots, seed = plain_number(shots), plain_number(seed)
    for name, value, low, top in (("shots", shots, 1, MAX_SHOTS), ("seed", seed, 0, MAX_SEED)):
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= top:
            raise VerificationError(f"{name} must be an integer from {low} to {top}, got {value!r}")
    initial, final = _plain_layout(initial, "initial"), _plain_layout(final, "final")
    compiled, initial, final = split_reuse(compiled, initial, final, reuse)
    orig = _without_delays(by_definition(_unitary_part(original, "input")))
    n = orig.num_qubits
    if len(initial) != n or len(final) != n:
        raise VerificationError(f"the layout names {len(initial)} logical qubits but the input has {n}; "
                                "pass the report written with this compiled circuit")
    wrong = [p for p in list(initial) + list(final) if not (isinstance(p, int) and 0 <= p < compiled.num_qubits)]
    if wrong:
        raise VerificationError(f"the layout names qubit {wrong[0]!r} but the compiled circuit has qubits 0.."
                                f"{compiled.num_qubits - 1}; pass the report written with this compiled circuit")
    if n == 0:
        return 1.0  # no qubits: nothing to compare
    body = by_definition(compiled.remove_final_measurements(inplace=False) if compiled.num_clbits else compiled)
    body = _without_delays(body)
    active = _active_qubits(body, list(initial) + list(final))
    width = len(active) + n
    if width > MAX_VERIFY_QUBITS:
        raise VerificationError(f"verification needs {width} simulated qubits ({len(active)} active in the compiled "
                                f"circuit + {n} references), more than the limit {MAX_VERIFY_QUBITS}; "
                                "verify a smaller circuit")
    if width > SLOW_VERIFY_QUBITS:
        warnings.warn(f"verifying by simulation on {width} qubits ({len(active)} active in the compiled circuit + {n} "
                      "references): each qubit doubles the time, so this may take minutes", stacklevel=2)
    pos = {p: i for i, p in enumerate(active)}
    refs = list(range(len(active), width))
    check = QuantumCircuit(width)
    for reg in body.cregs:
        check.add_register(reg)
    check.add_bits([c for c in body.clbits if not body.find_bit(c).registers])
    for i, p in enumerate(initial):
        check.h(refs[i])
        check.cx(refs[i], pos[p])
    _append_mapped(check, body, pos)
    check.compose(orig.inverse(), qubits=[pos[p] for p in final], inplace=True)
    for i, p in enumerate(final):
        check.cx(refs[i], pos[p])
        check.h(refs[i])
    from qiskit_aer.library import SaveProbabilities

    measured = [pos[p] for p in final] + refs
    check.append(SaveProbabilities(len(measured), label="probs"), measured)
    return _simulate(check, shots=shots, seed=seed)


def _plain_layout(layout, name: str) -> list[int]:
    """``layout`` as a list of Python ints (a NumPy array or NumPy integers are taken), else refused."""
    layout = layout.tolist() if hasattr(layout, "tolist") else layout
    if not isinstance(layout, (list, tuple)) or not all(isinstance(p, numbers.Integral) and not isinstance(p, bool)
                                                        for p in layout):
        raise VerificationError(f"layout.{name} must list a physical qubit index per logical qubit, got "
                                f"{str(layout)[:60]}; pass the report written with this compiled circuit")
    return [int(p) for p in layout]


def _append_mapped(check: QuantumCircuit, body: QuantumCircuit, pos: dict[int, int]) -> None:
    for inst in body.data:
        if inst.operation.name == "barrier":
            continue
        qargs = [check.qubits[pos[body.find_bit(q).index]] for q in inst.qubits]
        check.append(inst.operation, qargs, inst.clbits, copy=False)


def _simulate(check: QuantumCircuit, *, shots: int, seed: int) -> float:
    from qiskit_aer import AerSimulator

    dynamic = any(inst.operation.name in ("measure", "reset") or isinstance(inst.operation, ControlFlowOp)
                  for inst in check.data)
    sim = AerSimulator(method="statevector", seed_simulator=seed)
    run = _without_multiplexers(transpile(check, sim, optimization_level=0))
    result = sim.run(run, shots=shots if dynamic else 1).result()
    probs = result.data(0)["probs"]
    fidelity = float(probs.get(0, probs.get("0x0", 0.0)) if isinstance(probs, dict) else probs[0])
    if not math.isfinite(fidelity):
        raise VerificationError(f"the simulation gave a process fidelity of {fidelity}: an angle or the global phase "
                                "of the input or the compiled circuit is not a finite number; give finite ones")
    return fidelity


def _without_multiplexers(circuit: QuantumCircuit) -> QuantumCircuit:
    """``circuit`` with Aer's ``multiplexer`` instructions replaced by their definitions (one-qubit
    unitaries and CNOTs), at most ``MULTIPLEXER_DEPTH`` levels deep: Qiskit's transpile for Aer
    leaves them from an inverted ``Isometry``, and simulating one killed the process (qiskit-aer
    0.18: a segmentation fault); their definitions simulate."""
    for _ in range(MULTIPLEXER_DEPTH):
        if "multiplexer" not in circuit.count_ops():
            break
        circuit = circuit.decompose(gates_to_decompose=["multiplexer"])
    return circuit

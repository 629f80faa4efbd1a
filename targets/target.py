"""Build one Qiskit ``Target`` for a whole network.

Each QPU's native gates act on its own qubits (1q gates on every qubit, the 2q gate on
its coupling edges in both directions); ``epr`` acts on every pair of communication
qubits of two linked QPUs; ``measure``, ``reset``, ``delay`` everywhere and ``if_else``
for classical feed-forward.  Durations and errors come from the model.
"""

from __future__ import annotations

from qiskit.circuit import Delay, IfElseOp, Parameter
from qiskit.circuit.library import (
    CXGate, CZGate, ECRGate, Measure, Reset, RGate, RXGate, RXXGate, RYGate, RZGate, RZZGate,
    SXGate, UGate, XGate,
)
from qiskit.transpiler import InstructionProperties, Target

from .gates import EPRGate
from .models import Network

__all__ = ["network_target", "QmosaicTarget"]

_THETA, _PHI, _LAM = Parameter("theta"), Parameter("phi"), Parameter("lam")
_GATES = {
    "rz": lambda: RZGate(_THETA), "r": lambda: RGate(_THETA, _PHI), "rx": lambda: RXGate(_THETA),
    "ry": lambda: RYGate(_THETA), "sx": SXGate, "x": XGate, "u": lambda: UGate(_THETA, _PHI, _LAM),
    "cz": CZGate, "cx": CXGate, "rzz": lambda: RZZGate(_THETA), "rxx": lambda: RXXGate(_THETA), "ecr": ECRGate,
}


class QmosaicTarget(Target):
    """A Qiskit ``Target`` that remembers the qmosaic ``Network`` it was built from.

    The ``network`` attribute is how qmosaic's passes and stage plugins recognise a
    network target; ``qmosaic_options`` (``None`` or a ``CompileOptions``) carries
    placer options into the transpiler plugins.
    """

    def __init__(self, *args, network: Network | None = None, qmosaic_options=None, **kwargs):
        # Target's state is made in __new__ (which takes and ignores subclass keywords).
        self.network = network
        self.qmosaic_options = qmosaic_options

    def __getstate__(self) -> dict:
        return {**super().__getstate__(), "network": self.network, "qmosaic_options": self.qmosaic_options}

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        self.network = state.pop("network")
        self.qmosaic_options = state.pop("qmosaic_options")
        super().__setstate__(state)


def _props(duration: float, error: float) -> InstructionProperties:
    return InstructionProperties(duration=duration, error=error)


def network_target(network: Network, *, qmosaic_options=None) -> QmosaicTarget:
    """The network's ``Target`` (``dt`` unset; durations in seconds)."""
    target = QmosaicTarget(description=f"qmosaic network {network.name}", num_qubits=network.num_qubits,
                           network=network, qmosaic_options=qmosaic_options)
    by_gate: dict[str, dict[tuple[int, ...], InstructionProperties]] = {}
    measure, reset, delay = {}, {}, {}
    for i, qpu in enumerate(network.qpus):
        base = network.offsets[i]
        local = range(base, base + qpu.total_qubits)
        for name in qpu.gates_1q:
            virtual = name == "rz"  # virtual Z: no time, no error
            props = _props(0.0 if virtual else qpu.time_1q, 0.0 if virtual else qpu.error_1q)
            by_gate.setdefault(name, {}).update({(q,): props for q in local})
        pairs = by_gate.setdefault(qpu.gate_2q, {})
        for a, b in qpu.edges():
            pairs[(base + a, base + b)] = pairs[(base + b, base + a)] = _props(qpu.time_2q, qpu.error_2q)
        for q in local:
            measure[(q,)] = _props(qpu.time_measure, qpu.error_measure)
            reset[(q,)] = _props(qpu.time_measure, qpu.error_measure)
            delay[(q,)] = None
    for name, props in by_gate.items():
        target.add_instruction(_GATES[name](), props, name=name)
    epr = {}
    for link in network.links:
        a, b = (network.index[x] for x in link.between)
        props = _props(1.0 / link.rate_hz, 1.0 - link.epr_fidelity)
        for ca in network.comm_indices(a):
            for cb in network.comm_indices(b):
                epr[(ca, cb)] = epr[(cb, ca)] = props
    if epr:
        target.add_instruction(EPRGate(), epr)
    target.add_instruction(Measure(), measure)
    target.add_instruction(Reset(), reset)
    target.add_instruction(Delay(_THETA), delay, name="delay")
    target.add_instruction(IfElseOp, name="if_else")
    return target


"""Device catalogue: published figures for the QPU kinds qmosaic models.

Every number carries its source; ``(A)`` marks an assumption, ``(V)`` a vendor
claim, ``(M)`` a published measurement, ``(P)`` a projection (see shared
HARDWARE.md).  A network file names a device and may override any field.
Times are in seconds, errors are probabilities.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

__all__ = ["DEVICES", "device_fields", "device_names"]

_ION_GATES = ("rz", "r")  # GPI/GPI2 are R(theta, phi) rotations; RZ is virtual.

_DEVICES: dict[str, dict[str, Any]] = {
    "ionq-forte": {
        "modality": "trapped-ion",
        "qubits": 36,  # (V) IonQ Forte Enterprise, #AQ 36
        "comm_qubits": 1,  # (A) one photonic interface ion, as in ion-ion links today
        "coupling": "all-to-all",  # (V)
        "gates_1q": _ION_GATES,
        "gate_2q": "rzz",  # ZZ(theta): Forte Enterprise native (IonQ native-gates docs)
        "time_1q": 135e-6,  # Aria figure used for Forte (V, used as A)
        "time_2q": 600e-6,  # Aria figure used for Forte (V, used as A)
        "time_measure": 300e-6,  # (A)
        "error_1q": 2.0e-4,  # (M) arXiv:2308.05071
        "error_2q": 4.6e-3,  # (M) median over 435 pairs, arXiv:2308.05071
        "error_measure": 4.0e-3,  # SPAM 99.6 % (V)
        "t1": 10.0,  # (V) 10-100 s
        "t2": 1.0,  # (V)
    },
    "ionq-tempo": {
        "modality": "trapped-ion",
        "qubits": 100,  # (V) IonQ 2025 announcements, ~100 qubits, #AQ 64
        "comm_qubits": 2,  # (A)
        "coupling": "all-to-all",
        "gates_1q": _ION_GATES,
        "gate_2q": "rzz",  # as Forte (A)
        "time_1q": 135e-6,  # as Forte (A)
        "time_2q": 600e-6,  # as Forte (A)
        "time_measure": 300e-6,  # (A)
        "error_1q": 2.0e-4,  # as Forte (A)
        "error_2q": 1.0e-3,  # default (A); 99.99 % shown on R&D hardware (V, not a Tempo spec)
        "error_measure": 4.0e-3,  # as Forte (A)
        "t1": 10.0,  # as Forte (A)
        "t2": 1.0,  # as Forte (A)
    },
    "quantinuum-h2": {
        "modality": "trapped-ion",
        "qubits": 56,  # (V) arXiv:2305.03828, Quantinuum docs
        "comm_qubits": 1,  # (A)
        "coupling": "all-to-all",  # via ion transport (V)
        "gates_1q": ("rz", "r"),  # U1q(theta, phi) = R(theta, phi); virtual Rz
        "gate_2q": "rzz",  # RZZ(theta) (V)
        "time_1q": 10e-6,  # (A) transport-dominated
        "time_2q": 200e-6,  # (A) transport-dominated
        "time_measure": 150e-6,  # (A)
        "error_1q": 3e-5,  # (V)
        "error_2q": 1.5e-3,  # (V) ~1-2e-3
        "error_measure": 1.5e-3,  # SPAM (V)
        "t1": 60.0,  # (A)
        "t2": 3.0,  # (A)
    },
    "quera-gemini": {
        "modality": "neutral-atom",
        "qubits": 256,  # (A) 60-280 atoms, arXiv:2304.05420; Bluvstein et al. Nature 2024
        "comm_qubits": 2,  # (A)
        "coupling": "all-to-all",  # reconfigurable by moving atoms (M); moves cost time
        "gates_1q": ("rz", "rx", "ry"),  # global + local rotations (M)
        "gate_2q": "cz",  # Rydberg CZ (M)
        "time_1q": 1e-6,  # (A)
        "time_2q": 250e-6,  # CZ 0.25 us + an atom move ~100-500 us (A)
        "time_measure": 5e-3,  # readout ~1-10 ms (A)
        "error_1q": 1e-3,  # (A)
        "error_2q": 5e-3,  # (M) Bluvstein et al.
        "error_measure": 1e-2,  # (A)
        "t1": 10.0,  # (A)
        "t2": 1.0,  # (A)
    },
    "ibm-heron": {
        "modality": "superconducting",
        "qubits": 154,  # 156-qubit heavy-hex Heron r2; 2 kept as the optical interface (A)
        "comm_qubits": 2,  # (A) transduction ports at the edge of the lattice
        "coupling": "heavy-hex",  # 176 couplers, degree <= 3 (M)
        "gates_1q": ("rz", "sx", "x"),  # (M) IBM calibration snapshots
        "gate_2q": "cz",  # (M)
        "time_1q": 32e-9,  # SX 24-36 ns (M)
        "time_2q": 76e-9,  # CZ 68-84 ns (M)
        "time_measure": 2.0e-6,  # readout 1.6-2.3 us (M)
        "error_1q": 2.3e-4,  # (M)
        "error_2q": 2.8e-3,  # CZ median 1.8e-3 - 3.8e-3 (M)
        "error_measure": 9e-3,  # 0.8-0.95 % (M)
        "t1": 200e-6,  # T1 145-283 us (M)
        "t2": 115e-6,  # T2 88-144 us (M)
    },
    "rigetti-cepheus": {
        "modality": "superconducting",
        "qubits": 9,  # one 3x3 chiplet of the tiled 36/108-qubit Cepheus (V)
        "comm_qubits": 1,  # (A) one qubit at the inter-chip coupler
        "coupling": "square",  # square-lattice tiles (V)
        "gates_1q": ("rz", "rx"),  # RX(+-pi/2, pi), RZ (V)
        "gate_2q": "cz",  # (V)
        "time_1q": 40e-9,  # (A)
        "time_2q": 65e-9,  # 2q ~60-70 ns (A)
        "time_measure": 1.5e-6,  # (A)
        "error_1q": 1e-3,  # (A)
        "error_2q": 5e-3,  # median (V)
        "error_measure": 2e-2,  # (A)
        "t1": 30e-6,  # ~20-40 us (A)
        "t2": 30e-6,  # (A)
    },
    "diamond-memory": {
        "modality": "memory",
        "qubits": 0,  # communication / memory only: holds EPR halves for swapping
        "comm_qubits": 4,  # 1 electron + nuclear memories, Knaut et al. arXiv:2310.01316 (A: 4)
        "coupling": "all-to-all",  # electron-mediated (A)
        "gates_1q": ("rz", "rx", "ry"),  # (A)
        "gate_2q": "cz",  # electron-nuclear conditional gate (A)
        "time_1q": 1e-6,  # (A)
        "time_2q": 500e-6,  # (A)
        "time_measure": 10e-6,  # (A)
        "error_1q": 1e-3,  # (A)
        "error_2q": 1e-2,  # (A)
        "error_measure": 1e-2,  # (A)
        "t1": 10.0,  # (A)
        "t2": 1.0,  # nuclear-spin memory T2 ~1 s (M) Knaut et al.
    },
}

DEVICES: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {name: MappingProxyType(fields) for name, fields in _DEVICES.items()}
)


def device_names() -> list[str]:
    """Names of the catalogue's devices, sorted."""
    return sorted(DEVICES)


def device_fields(name: str) -> dict[str, Any]:
    """A fresh copy of the catalogue fields for ``name`` (raises ``KeyError`` if unknown)."""
    return dict(DEVICES[name])

"""Built-in networks.  ``qmosaic networks`` lists them with their descriptions."""

from __future__ import annotations

from typing import Any, Callable

from .devices import device_fields
from .errors import NetworkError
from .models import QPU, Link, Network

__all__ = ["PRESETS", "preset", "preset_names", "describe_presets"]


def _qpu(name: str, device: str, **overrides: Any) -> QPU:
    return QPU(name=name, device=device, **{**device_fields(device), **overrides})


# Link figures: ion-ion without conversion 182-250 Hz at F 0.94-0.97 (M; arXiv:2404.16167,
# arXiv:2406.01761).  Converted arms lose eta ~0.26-0.57 each (Bock 2018, arXiv:1710.04866):
# rate ~ ion rate x eta1 x eta2 (P).  SC-optical transduction 1-10 Hz at F 0.5-0.7 (P;
# arXiv:2602.00928).  Atom-atom today 0.004-0.01 Hz (M), ~1 kHz projected (P; arXiv:2410.12523).
def _tempo_pair() -> Network:
    qpus = (_qpu("tempo_a", "ionq-tempo"), _qpu("tempo_b", "ionq-tempo"))
    # IonQ's April 2026 two-system interconnect: figures unpublished; modelled as an ion-ion
    # link (250 Hz, F 0.97, M for Duke Ba+) behind 10 m of fibre (A).
    link = Link(between=("tempo_a", "tempo_b"), epr_rate_hz=250.0, epr_fidelity=0.97, distance_m=10.0)
    return Network("tempo-pair", qpus, (link,))


def _harq_hetero() -> Network:
    qpus = (
        _qpu("ion", "ionq-forte", comm_qubits=2),
        _qpu("atoms", "quera-gemini", qubits=64),
        _qpu("sc", "ibm-heron"),
        _qpu("hub", "diamond-memory", comm_qubits=6),
    )
    links = (
        # ion rate 250 Hz x conversion 0.4 x 0.4 (P), F 0.9 (P), 100 m of fibre (A)
        Link(between=("ion", "hub"), epr_rate_hz=40.0, epr_fidelity=0.9, kind="converted-fibre", distance_m=100.0),
        # projected atom-photon rate (P, arXiv:2410.12523, derated to 10 Hz), F 0.9 (A)
        Link(between=("atoms", "hub"), epr_rate_hz=10.0, epr_fidelity=0.9, kind="converted-fibre", distance_m=100.0),
        # superconducting-optical transduction 1-10 Hz, F 0.5-0.7 (P, arXiv:2602.00928)
        Link(between=("sc", "hub"), epr_rate_hz=5.0, epr_fidelity=0.7, kind="converted-fibre", distance_m=100.0),
    )
    return Network("harq-hetero", qpus, links)


def _cepheus_chiplets() -> Network:
    # Four 3x3 square-lattice chiplets in a ring; inter-chip couplers 99.5 % (V), fast (A: 1 MHz).
    names = [f"chip{i}" for i in range(4)]
    qpus = tuple(_qpu(n, "rigetti-cepheus", qubits=8, comm_qubits=1) for n in names)
    links = tuple(Link(between=(names[i], names[(i + 1) % 4]), epr_rate_hz=1.0e6, epr_fidelity=0.995,
                       kind="chiplet", distance_m=0.01) for i in range(4))
    return Network("cepheus-chiplets", qpus, links)


def _homogeneous(name: str, n_qpus: int, qubits: int, edges: list[tuple[int, int]], comm: int = 2) -> Network:
    names = [f"q{i}" for i in range(n_qpus)]
    qpus = tuple(_qpu(x, "quantinuum-h2", qubits=qubits, comm_qubits=comm) for x in names)
    links = tuple(Link(between=(names[a], names[b]), epr_rate_hz=200.0, epr_fidelity=0.97) for a, b in edges)
    return Network(name, qpus, links)


def _line(n: int) -> list[tuple[int, int]]:
    return [(i, i + 1) for i in range(n - 1)]


PRESETS: dict[str, tuple[str, Callable[[], Network]]] = {
    "tempo-pair": ("two IonQ Tempo-class trapped-ion systems (100 data qubits each) over fibre", _tempo_pair),
    "harq-hetero": ("trapped ions (Forte) + neutral atoms (64) + IBM Heron, each linked to a diamond-memory hub",
                    _harq_hetero),
    "cepheus-chiplets": ("four Rigetti-Cepheus-style 3x3 chiplets in a ring of chiplet couplers", _cepheus_chiplets),
    "pair-2x4": ("2 QPUs x 4 data qubits (H2-class ions), one link", lambda: _homogeneous("pair-2x4", 2, 4, [(0, 1)])),
    "line-3x3": ("3 QPUs x 3 data qubits in a line (the ends talk through the middle)",
                 lambda: _homogeneous("line-3x3", 3, 3, _line(3))),
    "line-4x4": ("4 QPUs x 4 data qubits in a line", lambda: _homogeneous("line-4x4", 4, 4, _line(4))),
    "ring-4x4": ("4 QPUs x 4 data qubits in a ring",
                 lambda: _homogeneous("ring-4x4", 4, 4, _line(4) + [(3, 0)])),
    "star-5x4": ("a hub QPU linked to 4 leaves, 4 data qubits each",
                 lambda: _homogeneous("star-5x4", 5, 4, [(0, i) for i in range(1, 5)])),
}


def preset_names() -> list[str]:
    """Names of the built-in networks."""
    return list(PRESETS)


def describe_presets() -> list[tuple[str, str]]:
    """``(name, description)`` of each built-in network."""
    return [(name, text) for name, (text, _) in PRESETS.items()]


def preset(name: str) -> Network:
    """Build the preset ``name`` (``NetworkError`` naming the known presets if unknown)."""
    try:
        return PRESETS[name][1]()
    except KeyError:
        raise NetworkError(f"unknown network preset {name!r}; known presets: {', '.join(PRESETS)} "
                           "(or give a .toml/.json network file)") from None

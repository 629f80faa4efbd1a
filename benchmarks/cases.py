"""Benchmark cases: read ``cases.json``, load circuits, build networks, pick subsets."""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["Case", "default_shared", "load_cases", "load_circuit", "build_network", "comm_qubits_for",
           "published_input", "select", "QUICK_MAX_QUBITS", "QUICK_MAX_INSTRUCTIONS"]

# --quick: cases whose circuit has at most this many qubits and instructions.
QUICK_MAX_QUBITS = 40
QUICK_MAX_INSTRUCTIONS = 1200


def default_shared() -> Path:
    """``<repo>/../shared`` (the repository root is the parent of this package)."""
    return Path(__file__).resolve().parents[2] / "shared"


@dataclass(frozen=True)
class Case:
    """One benchmark case of ``cases.json``."""

    id: str
    circuit_path: Path
    modules: tuple[int, ...]
    edges: tuple[tuple[int, int], ...]
    best_published: float | None
    published: tuple[dict[str, Any], ...] = field(default=())
    note: str | None = None

    @property
    def best_tool(self) -> str | None:
        """The tool with the fewest published ebits (first listed on ties)."""
        best = None
        for entry in self.published:
            if entry.get("ebits") is None:
                continue
            if best is None or entry["ebits"] < best["ebits"]:
                best = entry
        return None if best is None else best.get("tool")

    @property
    def network_label(self) -> str:
        """Short description of the network, e.g. ``4x9 a2a`` or ``5 mods [2,2,3,2,2] 5 links``."""
        k = len(self.modules)
        complete = len(self.edges) == k * (k - 1) // 2
        caps = sorted(set(self.modules))
        cap = f"{k}x{caps[0]}" if len(caps) == 1 else f"{k}:{'/'.join(map(str, self.modules))}"
        return f"{cap} {'a2a' if complete else f'{len(self.edges)}L'}"


def load_cases(shared: Path) -> list[Case]:
    """All cases of ``shared/bench/cases.json`` in file order."""
    bench = shared / "bench"
    data = json.loads((bench / "cases.json").read_text(encoding="utf-8"))
    out = []
    for raw in data["cases"]:
        net = raw["network"]
        out.append(Case(id=raw["id"], circuit_path=bench / raw["circuit"], modules=tuple(int(m) for m in net["modules"]),
                        edges=tuple((int(a), int(b)) for a, b in net["edges"]),
                        best_published=raw.get("best_published"), published=tuple(raw.get("published", ())),
                        note=raw.get("note")))
    return out


def load_circuit(path: Path):
    """The circuit of a case (legacy OpenQASM 2 gates allowed; falls back to ``qmosaic.load_circuit``)."""
    from qiskit import qasm2

    try:
        return qasm2.load(str(path), custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except Exception:  # noqa: BLE001 - e.g. OpenQASM 3 or a non-strict file
        import qmosaic

        return qmosaic.load_circuit(Path(path))


def _pairs(circuit) -> set[tuple[int, int]]:
    return {tuple(sorted(circuit.find_bit(q).index for q in inst.qubits)) for inst in circuit.data
            if inst.operation.num_qubits == 2}


def published_input(case: Case, circuit):
    """The circuit the published tools compiled, when it lost interactions of the file; else ``None``.

    DISQCO's cases were run on ``transpile(circuit without final measurements,
    basis_gates=['u', 'cp'])`` (its own scripts do so; the case note says it).  At Qiskit's
    default optimisation level that drops controlled phases it rounds to the identity:
    QASMBench ``qft_n63`` keeps 777 of its 1953 interacting pairs.  Figures made on that
    circuit are compared with qmosaic's on the same circuit (the table marks them).
    Returns ``(circuit, description)``.
    """
    if not case.note or "DISQCO transpiled to u/cp" not in case.note:
        return None
    from qiskit import transpile

    body = circuit.remove_final_measurements(inplace=False)
    theirs = transpile(body, basis_gates=["u", "cp"], seed_transpiler=0)
    exact = _pairs(transpile(body, basis_gates=["u", "cp"], optimization_level=0))
    kept = _pairs(theirs)
    if kept == exact:
        return None
    return theirs, f"DISQCO's transpile(basis u, cp): {len(kept)} of {len(exact)} interacting pairs kept"


def comm_qubits_for(num_qubits: int) -> int:
    """Communication qubits per module that make them effectively unbounded.

    A module holds at most one copy of each logical qubit at a time, plus two transient
    qubits when it relays an entanglement swap, so ``n + 2`` never forces an eviction
    (the harness checks ``report['comm_evictions'] == 0``).
    """
    return num_qubits + 2


def build_network(case: Case, num_qubits: int):
    """The case's network with unbounded communication qubits (the published cost model)."""
    from qmosaic import Network

    return Network.from_modules(list(case.modules), [tuple(e) for e in case.edges], name=case.id,
                                comm_qubits=comm_qubits_for(num_qubits))


@lru_cache(maxsize=None)
def circuit_size(path: Path) -> tuple[int, int]:
    """(qubits, instructions) of a circuit file."""
    circ = load_circuit(path)
    return circ.num_qubits, len(circ.data)


def _matches(case_id: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if any(ch in pattern for ch in "*?["):
            if fnmatch.fnmatchcase(case_id, pattern):
                return True
        elif re.search(pattern, case_id):
            return True
    return False


def select(cases: list[Case], *, patterns: list[str] | None = None, quick: bool = False) -> list[Case]:
    """Cases matching any pattern (glob if it has ``*?[``, else a regular expression searched in the
    id), and with ``quick`` only the small ones (see ``QUICK_MAX_*``)."""
    out = [c for c in cases if not patterns or _matches(c.id, patterns)]
    if quick:
        small = []
        for case in out:
            n, size = circuit_size(case.circuit_path)
            if n <= QUICK_MAX_QUBITS and size <= QUICK_MAX_INSTRUCTIONS:
                small.append(case)
        out = small
    return out

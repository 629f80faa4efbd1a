"""``python -m benchmarks scarce``: ebits where communication qubits are scarce.

The published figures ``run`` compares with count ebits with unbounded communication
qubits.  The networks built today have one per QPU (an ion trap's photonic port, a chiplet's
coupler): there the lowering evicts copies and made again, and a QPU in the middle of a
route parks an EPR half on a free data qubit.  This command compiles the shared benchmark
circuits of ``MIN_QUBITS`` to ``MAX_QUBITS`` qubits (at most ``MAX_INSTRUCTIONS``) on four
networks of 32 data qubits with one communication qubit per QPU — four all-to-all ion
modules of 8 in a line, a ring and a star, and the ``cepheus-chiplets`` preset (coupled 3x3
chiplets in a ring) — and again with ``comm_qubits_for(n)`` per QPU (unbounded, the
published model), and prints per case the ebits of both, evictions, parked copies, QPUs
placed again with a data qubit left free, seconds and the check of the output (stim for
Clifford circuits); then per network the compiled cases and their totals.  A case that
cannot compile (every data qubit taken where a relay must park) is listed with its error.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

from .cases import comm_qubits_for, load_cases, load_circuit
from .worker import describe

__all__ = ["run_scarce", "scarce_networks", "scarce_circuits"]

MIN_QUBITS, MAX_QUBITS, MAX_INSTRUCTIONS = 16, 32, 5000
_ION_EDGES = {"line": [(0, 1), (1, 2), (2, 3)], "ring": [(0, 1), (1, 2), (2, 3), (3, 0)],
              "star": [(0, 1), (0, 2), (0, 3)]}


def scarce_networks() -> dict:
    """Name -> network: the ion modules (line, ring, star) and the ``cepheus-chiplets`` preset."""
    from qmosaic import Network

    nets = {f"ions-{shape}": Network.from_modules([8] * 4, edges, name=f"ions-{shape}", comm_qubits=1)
            for shape, edges in _ION_EDGES.items()}
    nets["cepheus-chiplets"] = Network.preset("cepheus-chiplets")
    return nets


def scarce_circuits(shared: Path) -> list[tuple[str, Any]]:
    """``(file name, circuit)`` of each shared benchmark circuit in range, by file name."""
    seen: dict[str, Any] = {}
    for case in load_cases(shared):
        name = case.circuit_path.name
        if name not in seen:
            seen[name] = load_circuit(case.circuit_path)
    return [(name, c) for name, c in sorted(seen.items())
            if MIN_QUBITS <= c.num_qubits <= MAX_QUBITS and len(c.data) <= MAX_INSTRUCTIONS]


def _unbounded(network, num_qubits: int):
    qpus = tuple(dataclasses.replace(q, comm_qubits=comm_qubits_for(num_qubits)) for q in network.qpus)
    return dataclasses.replace(network, qpus=qpus)


def _compile(circuit, network, options, *, check: bool) -> dict[str, Any]:
    """One compilation's figures (and its check), or its error on one line."""
    import qmosaic

    from .jobs import _check

    t0 = time.perf_counter()
    try:
        result = qmosaic.compile(circuit, network, options=options)
    except qmosaic.QmosaicError as exc:
        return {"error": describe(exc)[:300], "seconds": round(time.perf_counter() - t0, 3)}
    seconds = time.perf_counter() - t0
    report = result.report
    row = {"ebits": report["ebits"]["total"], "evictions": report["comm_evictions"], "parked": report["comm_parked"],
           "narrowed": report["solver"].get("narrowed") or {}, "seconds": round(seconds, 3)}
    if check:
        row.update(_check(result, circuit, sim_max_qubits=8, stim=True))
    return row


def _line(name: str, circuit, scarce: dict, wide: dict) -> str:
    if "error" in scarce:
        return f"{name:<30} {circuit.num_qubits:>3}  {'ERROR':>6}  {wide.get('ebits', '-'):>6}  {scarce['error'][:90]}"
    narrowed = ",".join(f"{k}:{v}" for k, v in scarce["narrowed"].items()) or "-"
    return (f"{name:<30} {circuit.num_qubits:>3}  {scarce['ebits']:>6}  {wide.get('ebits', '-'):>6}  "
            f"{scarce['evictions']:>5}  {scarce['parked']:>4}  {scarce['seconds']:>6.2f}  "
            f"{scarce.get('check', '-'):<10} {narrowed}")


def run_scarce(*, shared: Path, effort: str, time_limit: float, seed: int, out: Path | None, verify: bool) -> int:
    """Compile every circuit in range on every network, print the table and totals; 1 if a check failed."""
    from .jobs import make_options

    circuits = scarce_circuits(shared)
    options = make_options(time_limit=time_limit, seed=seed, translate=False, effort=effort)
    print(f"scarce communication qubits: {len(circuits)} circuits x {len(scarce_networks())} networks, "
          f"effort {effort}, time limit {time_limit:g} s, seed {seed}; 'unbounded': n + 2 per QPU")
    rows, totals, failed = [], {}, 0
    for net_name, network in scarce_networks().items():
        print(f"\n{net_name} ({', '.join(f'{q.name}:{q.qubits}' for q in network.qpus)}; one communication "
              f"qubit each)\n{'circuit':<30} {'n':>3}  {'ebits':>6}  {'unbnd':>6}  {'evict':>5}  {'park':>4}  "
              f"{'sec':>6}  {'check':<10} placed again")
        total = {"cases": 0, "compiled": 0, "ebits": 0, "unbounded": 0, "seconds": 0.0}
        for name, circuit in circuits:
            scarce = _compile(circuit, network, options, check=verify)
            wide = _compile(circuit, _unbounded(network, circuit.num_qubits), options, check=False)
            failed += scarce.get("check", "").endswith("FAIL")
            total["cases"] += 1
            if "error" not in scarce and "error" not in wide:
                total["compiled"] += 1
                total["ebits"] += scarce["ebits"]
                total["unbounded"] += wide["ebits"]
                total["seconds"] += scarce["seconds"]
            rows.append({"network": net_name, "circuit": name, "qubits": circuit.num_qubits, "scarce": scarce,
                         "unbounded": wide})
            print(_line(name, circuit, scarce, wide), flush=True)
        totals[net_name] = total
    print("\nper network: compiled / cases, ebits with one communication qubit (unbounded), compile seconds")
    for net_name, t in totals.items():
        print(f"  {net_name:<18} {t['compiled']:>3} / {t['cases']:<3} {t['ebits']:>6} ({t['unbounded']})  "
              f"{t['seconds']:.1f} s")
    print(f"  all{'':<15} {sum(t['compiled'] for t in totals.values()):>3} / "
          f"{sum(t['cases'] for t in totals.values()):<3} {sum(t['ebits'] for t in totals.values()):>6} "
          f"({sum(t['unbounded'] for t in totals.values())})  {sum(t['seconds'] for t in totals.values()):.1f} s")
    if failed:
        print(f"CHECK FAILURES: {failed}")
    if out is not None:
        out.write_text(json.dumps({"effort": effort, "time_limit": time_limit, "seed": seed, "totals": totals,
                                   "rows": rows}, indent=1) + "\n")
        print(f"results: {out}")
    return 1 if failed else 0

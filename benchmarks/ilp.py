"""``python -m benchmarks ilp``: what each part of the exact placer buys, case by case.

Runs the placer alone (normalise + analyse + place) on small benchmark cases under several
configurations — the full model, without symmetry breaking for twin QPUs, without the
heuristic warm start, without the pair-capacity bound — and prints status, ebits, proven bound, gap and seconds for each.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from .cases import build_network, load_cases, load_circuit, select

__all__ = ["run_ilp", "CONFIGS", "DEFAULT_CASES"]

CONFIGS = {
    "full": {},
    "no-symmetry": {"symmetry_breaking": False},
    "no-warm-start": {"warm_start": False},
    "no-pair-bound": {"pair_bound": False},
}
DEFAULT_CASES = ["qftnoswap16-a2a4", "qft_n29-a2a4", "dnn_n33-a2a4", "adder_n28-a2a4", "knn_n31-a2a4",
                 "wstate_n36-a2a4", "qugan_n39-a2a3", "cat_n35-a2a4", "mqt-graphstate25-grid2x2",
                 "mqt-qft25-grid2x2", "qftnoswap24-a2a4", "qft_n29-a2a3"]


def _place(case, time_limit: float, seed: int, config: dict) -> dict:
    from qiskit.converters import circuit_to_dag

    from qmosaic.passes.interactions import analyse_interactions
    from qmosaic.passes.normalize import NormalizeForDistribution
    from qmosaic.passes.placement import place

    circuit = load_circuit(case.circuit_path)
    network = build_network(case, circuit.num_qubits)
    dag = NormalizeForDistribution().run(circuit_to_dag(circuit))
    inter = analyse_interactions(dag)
    t0 = time.perf_counter()
    part = place(dag, network, time_limit=time_limit, seed=seed, interactions=inter, **config)
    return {"status": part.status.value, "ebits": part.ebits, "bound": part.bound, "gap": part.gap,
            "seconds": round(time.perf_counter() - t0, 2)}


def _fmt(rec: dict) -> str:
    bound = "-" if rec["bound"] is None else f"{rec['bound']:.1f}"
    gap = "-" if rec["gap"] is None else f"{100 * rec['gap']:.0f}%"
    status = {"optimal": "optimal", "feasible-at-time-limit": "feasible"}.get(rec["status"], rec["status"])
    return f"{rec['ebits']:>5} {bound:>6} {gap:>5} {rec['seconds']:>6.1f}s {status:<9}"


def run_ilp(*, shared: Path, patterns: list[str] | None, time_limit: float, seed: int, out: Path | None) -> int:
    cases = select(load_cases(shared), patterns=patterns or DEFAULT_CASES)
    if not cases:
        print("no case matches")
        return 2
    print(f"ILP ablation: {len(cases)} cases, time limit {time_limit:g} s, seed {seed}; "
          "columns per configuration: ebits, proven bound, gap, seconds, status")
    print(f"{'case':<26} " + "  ".join(f"{name:<34}" for name in CONFIGS))
    rows, solved = [], {name: 0 for name in CONFIGS}
    for case in cases:
        recs = {name: _place(case, time_limit, seed, cfg) for name, cfg in CONFIGS.items()}
        for name, rec in recs.items():
            solved[name] += rec["status"] == "optimal"
        rows.append({"id": case.id, **recs})
        print(f"{case.id:<26} " + "  ".join(f"{_fmt(rec):<34}" for rec in recs.values()), flush=True)
    print("solved to optimality: " + ", ".join(f"{name} {count}/{len(cases)}" for name, count in solved.items()))
    for name in CONFIGS:
        secs = sum(r[name]["seconds"] for r in rows)
        print(f"  {name}: total placer seconds {secs:.1f}, total ebits {sum(r[name]['ebits'] for r in rows)}")
    if out is not None:
        out.write_text(json.dumps({"time_limit": time_limit, "seed": seed, "rows": rows}, indent=1) + "\n")
        print(f"results: {out}")
    return 0

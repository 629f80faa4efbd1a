"""``python -m benchmarks scale``: compile time per stage on large random circuits.

Random circuit: ``gates`` CX gates on uniformly random distinct qubit pairs, each preceded
(with probability 1/2) by a random single-qubit gate (h, sx, s, t or rz(theta)) on one of
its qubits; fixed seed.  Network: ``qpus`` quantinuum-h2 all-to-all modules of
``ceil(qubits / qpus)`` data qubits each, ``comm`` communication qubits each, joined as a
grid (default 4x4 for 16), ring, line or complete graph.  Compared with
``qiskit.transpile(circuit, basis_gates=['cx', 'u'], coupling_map=CouplingMap.from_full(N),
optimization_level=1)`` onto one all-to-all device of the same total data size N, timed as
device setup (``Target`` + preset pass manager, what ``transpile`` builds on every call) plus
the run of that pass manager on the circuit.

Communication qubits are *not* unbounded here (``n + 2`` per module would make every module
a ~1000-qubit all-to-all device, which measures the coupling graph, not the compiler):
evictions happen and cost ebits, which is irrelevant to the timing.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

import numpy as np

from .worker import rss_mb, run_guarded

__all__ = ["random_circuit", "scale_network", "run_scale", "DEFAULT_GATES"]

DEFAULT_GATES = (10_000, 30_000, 100_000)


def random_circuit(num_qubits: int, num_2q: int, *, seed: int = 7):
    """A seeded random circuit with ``num_2q`` CX gates (see module docstring)."""
    from qiskit import QuantumCircuit

    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(num_qubits, name=f"random_{num_qubits}q_{num_2q}cx")
    a = rng.integers(num_qubits, size=num_2q)
    b = (a + rng.integers(1, num_qubits, size=num_2q)) % num_qubits
    pre = rng.random(num_2q) < 0.5
    kind = rng.integers(5, size=num_2q)
    which = rng.integers(2, size=num_2q)
    theta = rng.uniform(0, 2 * math.pi, size=num_2q)
    for i in range(num_2q):
        x, y = int(a[i]), int(b[i])
        if pre[i]:
            q = x if which[i] == 0 else y
            k = int(kind[i])
            if k == 0:
                qc.h(q)
            elif k == 1:
                qc.sx(q)
            elif k == 2:
                qc.s(q)
            elif k == 3:
                qc.t(q)
            else:
                qc.rz(float(theta[i]), q)
        qc.cx(x, y)
    return qc


def _topology(k: int, kind: str) -> list[tuple[int, int]]:
    if kind == "complete":
        return [(i, j) for i in range(k) for j in range(i + 1, k)]
    if kind == "line":
        return [(i, i + 1) for i in range(k - 1)]
    if kind == "ring":
        return [(i, (i + 1) % k) for i in range(k)] if k > 2 else [(0, 1)]
    if kind == "grid":
        from qmosaic.targets.coupling import grid_edges

        rows = int(math.sqrt(k))
        while k % rows:
            rows -= 1
        return grid_edges(rows, k // rows)
    raise ValueError(f"unknown topology {kind!r}")


def scale_network(num_qubits: int, qpus: int, *, comm: int, topology: str):
    from qmosaic import Network

    cap = math.ceil(num_qubits / qpus)
    return Network.from_modules([cap] * qpus, _topology(qpus, topology), name=f"{topology}{qpus}x{cap}",
                                comm_qubits=comm)


def _qmosaic_job(*, qubits: int, gates: int, seed: int, qpus: int, comm: int, topology: str, time_limit: float,
                 translate: bool, effort: str = "full") -> dict[str, Any]:
    import qmosaic

    from .jobs import make_options, report_fields

    t0 = time.perf_counter()
    circ = random_circuit(qubits, gates, seed=seed)
    net = scale_network(qubits, qpus, comm=comm, topology=topology)
    gen = time.perf_counter() - t0
    before = rss_mb()
    t0 = time.perf_counter()
    result = qmosaic.compile(circ, net, options=make_options(time_limit=time_limit, translate=translate,
                                                                   effort=effort))
    wall = time.perf_counter() - t0
    rep = result.report
    fields = report_fields(rep)
    return {"generate_seconds": round(gen, 2), "qmosaic_seconds": round(wall, 2),
            "stage_seconds": fields["stage_seconds"], "ebits": rep["ebits"]["total"], "status": fields["status"],
            "evictions": fields["comm_evictions"], "peak_rss_mb": round(rss_mb(), 1),
            "rss_delta_mb": round(rss_mb() - before, 1), "network": net.name,
            "output_qubits": fields["output_qubits"]}


def _qiskit_job(*, qubits: int, gates: int, seed: int, device_qubits: int, coupling: str) -> dict[str, Any]:
    """Qiskit's O1 ``transpile`` of the scale circuit (:func:`~benchmarks.jobs.qiskit_o1`), in its parts."""
    from .jobs import qiskit_o1

    circ = random_circuit(qubits, gates, seed=seed)
    before = rss_mb()
    out, setup, run = qiskit_o1(circ, device_qubits, coupling=coupling)
    ops = out.count_ops()
    return {"qiskit_seconds": round(setup + run, 2), "qiskit_setup_seconds": round(setup, 2),
            "qiskit_run_seconds": round(run, 2), "qiskit_cx": int(ops.get("cx", 0)),
            "qiskit_swaps": int(ops.get("swap", 0)), "qiskit_peak_rss_mb": round(rss_mb(), 1),
            "qiskit_rss_delta_mb": round(rss_mb() - before, 1)}


def _fmt(x, spec=".1f") -> str:
    return "-" if x is None else format(x, spec)


def run_scale(*, gates: list[int], qubits: int, qpus: int, comm: int, topology: str, time_limit: float,
              timeout: float, seed: int, translate: bool, qiskit: bool, coupling: str, out=None,
              effort: str = "full", stream=sys.stdout) -> int:
    import json
    from pathlib import Path

    rows = []
    print(f"scale: {qubits} qubits on {qpus} QPUs ({topology}, {math.ceil(qubits / qpus)} data + {comm} comm qubits "
          f"each), effort {effort}, time limit {time_limit:g} s, translate={translate}, timeout {timeout:g} s/run", file=stream,
          flush=True)
    for g in gates:
        rec: dict[str, Any] = {"gates": g, "qubits": qubits, "qpus": qpus}
        res = run_guarded(_qmosaic_job, {"qubits": qubits, "gates": g, "seed": seed, "qpus": qpus, "comm": comm,
                                         "topology": topology, "time_limit": time_limit, "translate": translate,
                                         "effort": effort},
                          timeout=timeout)
        if "error" in res:
            rec["qmosaic_error"] = res["error"]
            rec["qmosaic_wall"] = res.get("wall_seconds")
        else:
            rec.update(res)
            rec.pop("wall_seconds", None)
        if qiskit:
            qres = run_guarded(_qiskit_job, {"qubits": qubits, "gates": g, "seed": seed,
                                             "device_qubits": math.ceil(qubits / qpus) * qpus, "coupling": coupling},
                               timeout=timeout)
            if "error" in qres:
                rec["qiskit_error"] = qres["error"]
            else:
                qres.pop("peak_rss_mb", None)
                qres.pop("wall_seconds", None)
                rec.update(qres)
        rows.append(rec)
        st = rec.get("stage_seconds", {})
        print(f"{g:>7} CX: qmosaic {_fmt(rec.get('qmosaic_seconds'))} s "
              + (f"[{', '.join(f'{k} {v:.2f}' for k, v in st.items() if k != 'total')}] "
                 f"{rec.get('ebits')} ebits {rec.get('status')} rss {_fmt(rec.get('peak_rss_mb'), '.0f')} MB"
                 if st else rec.get("qmosaic_error", ""))
              + (f"; qiskit transpile O1 {_fmt(rec.get('qiskit_seconds'))} s (device setup "
                 f"{_fmt(rec.get('qiskit_setup_seconds'))} + run {_fmt(rec.get('qiskit_run_seconds'))})"
                 if "qiskit_seconds" in rec
                 else f"; qiskit {rec.get('qiskit_error')}" if qiskit else ""), file=stream, flush=True)
    stages: list[str] = []
    for r in rows:
        stages += [k for k in r.get("stage_seconds", {}) if k != "total" and k not in stages]
    head = ["2q gates", "qmosaic s", *stages, "ebits", "evict", "status", "RSS MB", "qiskit O1 s", "setup", "run",
            "qiskit RSS MB"]
    table = [head]
    for r in rows:
        st = r.get("stage_seconds", {})
        table.append([str(r["gates"]), _fmt(r.get("qmosaic_seconds")) if "qmosaic_error" not in r else "ERR",
                      *[_fmt(st.get(s), ".2f") for s in stages], str(r.get("ebits", "-")), str(r.get("evictions", "-")),
                      str(r.get("status", r.get("qmosaic_error", "-")))[:40], _fmt(r.get("peak_rss_mb"), ".0f"),
                      _fmt(r.get("qiskit_seconds")) if "qiskit_error" not in r else "ERR",
                      _fmt(r.get("qiskit_setup_seconds")), _fmt(r.get("qiskit_run_seconds")),
                      _fmt(r.get("qiskit_rss_delta_mb"), ".0f")])
    width = [max(len(t[i]) for t in table) for i in range(len(head))]
    print("", file=stream)
    for j, t in enumerate(table):
        print("  ".join(c.rjust(w) for c, w in zip(t, width)), file=stream)
        if j == 0:
            print("  ".join("-" * w for w in width), file=stream)
    for r in rows:
        for key in ("qmosaic_error", "qiskit_error"):
            if key in r:
                print(f"{r['gates']} CX {key}: {r[key]}", file=stream)
    if out:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"qubits": qubits, "qpus": qpus, "comm": comm, "topology": topology,
                                    "time_limit": time_limit, "translate": translate, "coupling": coupling, "effort": effort,
                                    "rows": rows}, indent=1) + "\n", encoding="utf-8")
        print(f"results: {path}", file=stream)
    return 0

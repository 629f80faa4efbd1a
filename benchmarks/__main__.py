"""Command line of the benchmark harness: ``python -m benchmarks {run,diff,show,scale,ilp,scarce}``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cases import default_shared


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _timing_runs(parser: argparse.ArgumentParser, args) -> int:
    """``--timing-runs``, or its default for the effort: 2 at fast (the two sides timed equally
    warm), 1 at full (each run lasts the time limit)."""
    if args.timing_runs is None:
        return 2 if args.effort == "fast" else 1
    if args.timing_runs < 1:
        parser.error(f"--timing-runs: must be at least 1, got {args.timing_runs}")
    return args.timing_runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="compile the benchmark cases and compare with published ebit counts")
    run.add_argument("--quick", action="store_true",
                     help="small cases only (<= 40 qubits, <= 1200 instructions), time limit 3 s")
    run.add_argument("--cases", action="append", metavar="PATTERN",
                     help="case ids to run: a glob (qft*-a2a2) or a regular expression searched in the id; repeatable")
    run.add_argument("--time-limit", type=_positive, metavar="S",
                     help="placer time limit per case (default 3 with --quick, else 15)")
    run.add_argument("--case-timeout", type=_positive, metavar="S",
                     help="wall-clock guard per case, the case is killed and recorded as an error "
                          "(default 20 x time limit + 300)")
    run.add_argument("--out", type=Path, help="results JSON (default benchmarks/results/latest.json)")
    run.add_argument("--shared", type=Path, default=None, help="the shared folder holding bench/cases.json "
                                                                "(default ../shared from the repository root)")
    run.add_argument("--seed", type=int, default=0, help="solver seed (default 0)")
    run.add_argument("--effort", choices=("fast", "full"), default="full",
                     help="qmosaic's effort (default full: search to the time limit, prove with the exact model; "
                          "fast: a fixed amount of search, no exact model)")
    run.add_argument("--no-verify", action="store_true", help="skip the simulation / stim checks")
    run.add_argument("--no-stim", action="store_true", help="skip the stim check of Clifford circuits")
    run.add_argument("--no-qiskit", action="store_true",
                     help="skip timing Qiskit's O1 transpile of each circuit (the speed reference)")
    run.add_argument("--timing-runs", type=int, default=None, metavar="N",
                     help="compile each case N times, each run followed by Qiskit's reference, and report each "
                          "side's fastest (default 2 with --effort fast, else 1: the time limit dominates)")
    run.add_argument("--sim-max-qubits", type=int, default=8,
                     help="Aer process-fidelity check up to this many logical qubits (default 8)")
    run.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    run.add_argument("--list", action="store_true", help="list the selected cases and exit")

    diff = sub.add_parser("diff", help="per-case ebit changes between two result files")
    diff.add_argument("old", type=Path)
    diff.add_argument("new", type=Path)
    diff.add_argument("--all", action="store_true", help="list unchanged cases too")

    show = sub.add_parser("show", help="print the table and summary of a result file")
    show.add_argument("file", type=Path, nargs="?", default=None)
    show.add_argument("--markdown", action="store_true")

    scale = sub.add_parser("scale", help="compile-time per stage on large random circuits, vs qiskit.transpile O1")
    scale.add_argument("--gates", default="10000,30000,100000", help="comma-separated CX counts")
    scale.add_argument("--qubits", type=int, default=1000)
    scale.add_argument("--qpus", type=int, default=16)
    scale.add_argument("--comm", type=int, default=16, help="communication qubits per QPU (default 16)")
    scale.add_argument("--topology", choices=("grid", "ring", "line", "complete"), default="grid")
    scale.add_argument("--time-limit", type=_positive, default=10.0, help="placer time limit (default 10)")
    scale.add_argument("--timeout", type=_positive, default=1800.0,
                       help="wall-clock guard per run (qmosaic and qiskit separately; default 1800)")
    scale.add_argument("--seed", type=int, default=7)
    scale.add_argument("--translate", action="store_true", help="also translate to the native gate set")
    scale.add_argument("--effort", choices=("fast", "full"), default="full", help="qmosaic's effort (default full)")
    scale.add_argument("--no-qiskit", action="store_true", help="skip the qiskit.transpile comparison")
    scale.add_argument("--qiskit-coupling", choices=("full", "none"), default="full",
                       help="qiskit device: CouplingMap.from_full(N) (default) or no coupling map")
    scale.add_argument("--out", type=Path, default=None, help="also write the rows as JSON")

    ilp = sub.add_parser("ilp", help="what symmetry breaking, the warm start and the pair-capacity bound buy the "
                                      "exact placer, per case")
    ilp.add_argument("--cases", action="append", metavar="PATTERN", help="case ids (default: 12 small cases)")
    ilp.add_argument("--time-limit", type=_positive, default=15.0, metavar="S", help="placer time limit (default 15)")
    ilp.add_argument("--seed", type=int, default=0)
    ilp.add_argument("--shared", type=Path, default=None)
    ilp.add_argument("--out", type=Path, default=None, help="also write the rows as JSON")

    scarce = sub.add_parser("scarce", help="ebits with one communication qubit per QPU (ion modules, chiplets), "
                                           "against unbounded")
    scarce.add_argument("--effort", choices=("fast", "full"), default="fast", help="qmosaic's effort (default fast)")
    scarce.add_argument("--time-limit", type=_positive, default=3.0, metavar="S",
                        help="placer time limit (default 3; full effort)")
    scarce.add_argument("--seed", type=int, default=0)
    scarce.add_argument("--shared", type=Path, default=None)
    scarce.add_argument("--no-verify", action="store_true", help="skip the stim check of Clifford circuits")
    scarce.add_argument("--out", type=Path, default=None, help="also write the rows as JSON")

    args = parser.parse_args(argv)
    if args.command == "run":
        from .run import DEFAULT_OUT, run_benchmarks

        shared = args.shared if args.shared is not None else default_shared()
        if not (shared / "bench" / "cases.json").exists():
            parser.error(f"no bench/cases.json under {shared}; pass --shared PATH")
        return run_benchmarks(shared=shared, quick=args.quick, patterns=args.cases, time_limit=args.time_limit,
                              out=args.out or DEFAULT_OUT, case_timeout=args.case_timeout, seed=args.seed,
                              verify=not args.no_verify, stim=not args.no_stim, sim_max_qubits=args.sim_max_qubits,
                              markdown=args.markdown, list_only=args.list, qiskit=not args.no_qiskit,
                              effort=args.effort, timing_runs=_timing_runs(parser, args))
    if args.command == "diff":
        from .diff import diff as run_diff

        return run_diff(args.old, args.new, all_cases=args.all)
    if args.command == "show":
        from .run import DEFAULT_OUT, show as run_show

        return run_show(args.file or DEFAULT_OUT, markdown=args.markdown)
    if args.command == "ilp":
        from .ilp import run_ilp

        shared = args.shared if args.shared is not None else default_shared()
        return run_ilp(shared=shared, patterns=args.cases, time_limit=args.time_limit, seed=args.seed, out=args.out)
    if args.command == "scarce":
        from .scarce import run_scarce

        shared = args.shared if args.shared is not None else default_shared()
        return run_scarce(shared=shared, effort=args.effort, time_limit=args.time_limit, seed=args.seed,
                          out=args.out, verify=not args.no_verify)
    if args.command == "scale":
        from .scale import run_scale

        try:
            gates = [int(x) for x in args.gates.split(",") if x.strip()]
        except ValueError:
            parser.error(f"--gates: expected comma-separated integers, got {args.gates!r}")
        return run_scale(gates=gates, qubits=args.qubits, qpus=args.qpus, comm=args.comm, topology=args.topology,
                         time_limit=args.time_limit, timeout=args.timeout, seed=args.seed, translate=args.translate,
                         qiskit=not args.no_qiskit, coupling=args.qiskit_coupling, out=args.out, effort=args.effort)
    return 2


if __name__ == "__main__":
    sys.exit(main())

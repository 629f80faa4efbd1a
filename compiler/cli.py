"""The ``qmosaic`` command line: ``compile``, ``verify``, ``networks``."""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import tempfile
import warnings
from pathlib import Path

from .errors import QmosaicError
from .options import MAX_SHOTS

MIN_TOLERANCE = 1e-12

__all__ = ["main"]


def _write_all(files: list[tuple[str, str]]) -> None:
    """Write each ``(text, dest)``: stdout for ``-``, a device or pipe directly, a file through a
    temporary file beside it (with the file's mode, or the umask's), renamed over it once every
    file is written: a failed write (a full disk) leaves no output half written and none replaced."""
    staged: list[tuple[str, str]] = []
    current = ""
    try:
        for text, current in files:
            if current == "-":
                sys.stdout.write(text)
            elif os.path.exists(current) and not os.path.isfile(current):
                Path(current).write_text(text, encoding="utf-8")
            else:
                real = os.path.realpath(current)  # through a symlink, as a plain write goes
                staged.append((_staged(text, real), real))
        for temp, current in staged:
            os.replace(temp, current)
    except OSError as exc:
        for temp, _ in staged:
            Path(temp).unlink(missing_ok=True)
        raise QmosaicError(f"cannot write {current}: {exc.strerror or exc}; choose another path") from None


def _staged(text: str, dest: str) -> str:
    """A temporary file beside ``dest`` holding ``text``, with the mode ``dest`` has or would get."""
    fd, temp = tempfile.mkstemp(prefix=f".{Path(dest).name}.", dir=Path(dest).parent)
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(temp, stat.S_IMODE(os.stat(dest).st_mode) if os.path.exists(dest) else 0o666 & ~mask)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    return temp


def _check_writable(dest: str | None, what: str) -> None:
    """Refuse an output path that cannot be written before compiling, not after."""
    if dest is None or dest == "-":
        return
    path = Path(dest)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise QmosaicError(f"{what} {dest} is a directory; give a file name, e.g. {path / 'out'}")
    if not folder.is_dir():
        raise QmosaicError(f"cannot write the {what} to {dest}: folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise QmosaicError(f"cannot write the {what} to {dest}: folder {folder} is not writable; choose another path")
    if path.exists() and not os.access(path, os.W_OK):
        raise QmosaicError(f"cannot write the {what} to {dest}: the file is read-only; choose another path")


def _same_file(a: str, b: str) -> bool:
    """Whether two paths name one file (``/dev/null`` twice is not: nothing written there is lost)."""
    where = Path(a).resolve()
    return where == Path(b).resolve() and where != Path(os.devnull).resolve()


def _checked(convert, ok, want: str):
    """An argparse type: ``convert(text)``, refused with one line unless ``ok(value)``."""
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not ok(value):
            raise argparse.ArgumentTypeError(f"must be {want}, got {text!r}")
        return value
    return parse


_shots = _checked(int, lambda v: 1 <= v <= MAX_SHOTS, f"an integer from 1 to {MAX_SHOTS}")
# the simulation rounds at about 1e-15: a smaller tolerance fails correct circuits ("1.000000000 is below 1 - 0.0")
_tolerance = _checked(float, lambda v: MIN_TOLERANCE <= v < 1, f"a number in [{MIN_TOLERANCE:g}, 1)")
_seconds = _checked(float, lambda v: 0 < v < float("inf"), "a finite number of seconds > 0")


def _read_circuit_arg(path: str):
    from .qasmio import decode_utf8, load_circuit, parse_qasm

    if path == "-":
        raw = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode("utf-8")
        return parse_qasm(decode_utf8(raw, where="<stdin>"), where="<stdin>")
    return load_circuit(Path(path))


def _cmd_compile(args: argparse.Namespace) -> int:
    from .api import compile, load_network
    from .options import CompileOptions

    options = CompileOptions(objective=args.objective, solver=args.solver, time_limit=args.time_limit, seed=args.seed,
                             use_ilp=not args.no_ilp, translate=not args.no_translate, reuse=not args.no_reuse,
                             effort=args.effort)
    _check_writable(args.output, "output")
    _check_writable(args.report, "report")
    if args.report == "-" and args.output == "-":
        raise QmosaicError("--report - and -o - (the default) would both write to stdout, the circuit and then the "
                           "report: give one of them a file name, e.g. -o out.qasm --report -")
    if args.report not in (None, "-") and args.output != "-" and _same_file(args.report, args.output):
        raise QmosaicError(f"--report and -o both name {args.output}: the report would replace the circuit; "
                           "give the report another file name")
    for flag, dest in (("-o", args.output), ("--report", args.report)):
        if dest not in (None, "-") and args.input != "-" and _same_file(dest, args.input):
            raise QmosaicError(f"{flag} names the input {args.input}: writing there would replace the circuit being "
                               "compiled; give another file name")
    result = compile(_read_circuit_arg(args.input), load_network(args.network), options=options)
    _write_all([(result.qasm(), args.output)] + ([(result.report_json(), args.report)] if args.report else []))
    r = result.report
    if args.output != "-":
        print(f"compiled {r['circuit']['qubits']} qubits onto {r['network']}: {r['ebits']['total']} ebits, "
              f"{r['remote_gates']} remote gates in {r['telegate_bursts']} bursts, solver {r['solver']['status']}"
              f"{_narrowed(r['solver'])}, "
              f"{r['seconds']['total']:.2f} s -> {args.output}", file=sys.stderr)
    if args.verify:
        fidelity = result.verify()
        print(f"process fidelity {fidelity:.9f}", file=sys.stderr)
        if fidelity < 1 - args.tolerance:
            print(f"qmosaic: error: process fidelity {fidelity:.9f} is below 1 - {args.tolerance}", file=sys.stderr)
            return 3
    return 0


def _narrowed(solver: dict) -> str:
    """What the solver status is about where the placer had fewer data qubits than the network."""
    narrowed = solver.get("narrowed")
    if not narrowed:
        return ""
    held = ", ".join(f"{name} {qubits}" for name, qubits in narrowed.items())
    return f" with data qubits left free to relay through (placed on {held})"


def _cmd_verify(args: argparse.Namespace) -> int:
    from .qasmio import load_circuit
    from .verify import process_fidelity

    original = load_circuit(Path(args.input))
    compiled = load_circuit(Path(args.compiled))
    try:
        layout = json.loads(Path(args.report).read_text(encoding="utf-8"))["layout"]
        initial, final = layout["initial"], layout["final"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise QmosaicError(f"cannot read layout.initial/layout.final from report {args.report}: {exc}; "
                           "pass the report written by 'qmosaic compile --report'") from None
    fidelity = process_fidelity(original, compiled, initial, final, shots=args.shots, reuse=layout.get("reuse"))
    print(f"process fidelity {fidelity:.9f}")
    if fidelity < 1 - args.tolerance:
        print(f"qmosaic: error: process fidelity {fidelity:.9f} is below 1 - {args.tolerance}", file=sys.stderr)
        return 3
    return 0


def _cmd_networks(args: argparse.Namespace) -> int:
    from qmosaic.targets.presets import describe_presets, preset

    for name, text in describe_presets():
        net = preset(name)
        print(f"{name:18s} {len(net.qpus)} QPUs, {net.data_capacity:4d} data qubits  {text}")
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qmosaic", description="Distributed quantum-circuit compiler.")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("compile", help="compile an OpenQASM circuit for a network of QPUs")
    c.add_argument("input", help="OpenQASM 2 or 3 file ('-' for stdin)")
    c.add_argument("--network", "-n", required=True, help="preset name (see 'qmosaic networks') or .toml/.json file")
    c.add_argument("-o", "--output", default="-", help="output OpenQASM 3 file ('-' for stdout, the default)")
    c.add_argument("--report", help="write the JSON report here ('-' for stdout)")
    c.add_argument("--objective", default="ebits", choices=["ebits", "fidelity", "latency"],
                   help="what the placer minimises (default ebits)")
    c.add_argument("--solver", default="highs", choices=["highs", "cbc"], help="ILP solver (default highs)")
    c.add_argument("--time-limit", type=_seconds, default=10.0, help="placer time limit in seconds (default 10)")
    c.add_argument("--seed", type=int, default=0,
                   help="solver seed (default 0): the same input, options and seed give the same output, except "
                        "where the time limit stops the full effort's search (its progress depends on the machine)")
    c.add_argument("--no-ilp", action="store_true", help="heuristic placement only")
    c.add_argument("--effort", choices=("fast", "full"), default="full",
                   help="full (default): search up to the time limit and prove what the exact model can; "
                        "fast: a fixed amount of search in proportion to the circuit, no exact model")
    c.add_argument("--no-translate", action="store_true", help="keep generic gates, skip native translation")
    c.add_argument("--no-reuse", action="store_true",
                   help="never let a qubit take the slot of one measured for the last time")
    c.add_argument("--verify", action="store_true", help="check the output by simulation (small circuits)")
    c.add_argument("--tolerance", type=_tolerance, default=1e-6, help="verification tolerance (default 1e-6)")
    c.set_defaults(func=_cmd_compile)
    v = sub.add_parser("verify", help="check a compiled circuit against its input by simulation")
    v.add_argument("input", help="the original OpenQASM file")
    v.add_argument("compiled", help="the compiled OpenQASM 3 file")
    v.add_argument("--report", required=True, help="the JSON report of that compilation (for the layout)")
    v.add_argument("--shots", type=_shots, default=16, help="measurement branches sampled (default 16)")
    v.add_argument("--tolerance", type=_tolerance, default=1e-6, help="allowed 1 - fidelity (default 1e-6)")
    v.set_defaults(func=_cmd_verify)
    n = sub.add_parser("networks", help="list the built-in network presets")
    n.set_defaults(func=_cmd_networks)
    return p


def _warn(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings on one line, as errors are (not Python's file:line form)."""
    print(f"qmosaic: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warn
            return args.func(args)
    except QmosaicError as exc:
        print(f"qmosaic: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""Golden outputs: the OpenQASM 3 text and the report (minus wall-clock seconds) of a few cases.

A change to the compiler's output shows up here as a reviewable diff.  After an intended
change, regenerate with ``python -m pytest tests/test_golden.py --update-golden`` and
review ``git diff tests/golden``.  A missing golden file fails.  Every golden output is
also checked by simulation, so a golden file never enshrines a wrong circuit.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

import qmosaic
from conftest import EXAMPLES, GOLDEN, assert_report_consistent, assert_verified, qft_cp, report_without_timing

# A generous time limit: these instances solve to optimality in well under a second, and a
# limit that never binds keeps the output independent of the machine's speed.
OPTIONS = qmosaic.CompileOptions(time_limit=10, seed=0)


CASES = {
    "ghz_qft6-line-3x3": (lambda: EXAMPLES / "ghz_qft6.qasm", lambda: "line-3x3"),
    "ghz_qft6-pair-2x4": (lambda: EXAMPLES / "ghz_qft6.qasm", lambda: "pair-2x4"),
    "ghz_qft6-hetero": (lambda: EXAMPLES / "ghz_qft6.qasm", lambda: str(EXAMPLES / "hetero.toml")),
    "qft4-ring-4x4": (lambda: qft_cp(4, swaps=True), lambda: "ring-4x4"),
    "qft6-ring-4x4": (lambda: qft_cp(6, swaps=True), lambda: "ring-4x4"),
}


def _diff(expected: str, actual: str, path: Path) -> str:
    lines = difflib.unified_diff(expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                                 fromfile=f"{path.name} (golden)", tofile=f"{path.name} (now)", n=2)
    text = "".join(lines)
    if len(text) > 6000:
        text = text[:6000] + "\n... (diff truncated)\n"
    return text


def _compare(path: Path, actual: str, update: bool) -> None:
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"golden file {path.relative_to(path.parents[2])} is missing; "
                    "run `python -m pytest tests/test_golden.py --update-golden` and review the new file",
                    pytrace=False)
    expected = path.read_text(encoding="utf-8")
    if expected != actual:
        pytest.fail(f"output differs from {path.name}; if the change is intended, rerun with "
                    f"--update-golden and review the diff:\n{_diff(expected, actual, path)}", pytrace=False)


@pytest.fixture(scope="module")
def results():
    cache: dict[str, qmosaic.CompileResult] = {}

    def get(name: str) -> qmosaic.CompileResult:
        if name not in cache:
            circuit, net = CASES[name]
            cache[name] = qmosaic.compile(circuit(), qmosaic.load_network(net()), options=OPTIONS)
        return cache[name]

    return get


@pytest.mark.parametrize("name", list(CASES))
def test_golden_qasm(name, results, update_golden):
    _compare(GOLDEN / f"{name}.qasm", results(name).qasm(), update_golden)


@pytest.mark.parametrize("name", list(CASES))
def test_golden_report(name, results, update_golden):
    text = json.dumps(report_without_timing(results(name).report), indent=2) + "\n"
    _compare(GOLDEN / f"{name}.json", text, update_golden)


@pytest.mark.parametrize("name", list(CASES))
def test_golden_output_is_correct(name, results):
    result = results(name)
    assert_report_consistent(result)
    assert_verified(result)


@pytest.mark.parametrize("name", list(CASES))
def test_golden_file_is_correct(name, results):
    """The stored QASM itself (not only today's output) parses and implements the input."""
    from qmosaic.verify import process_fidelity

    qasm_path, json_path = GOLDEN / f"{name}.qasm", GOLDEN / f"{name}.json"
    if not (qasm_path.exists() and json_path.exists()):
        pytest.fail(f"golden files for {name} are missing; run `python -m pytest tests/test_golden.py "
                    "--update-golden`")
    stored = qmosaic.load_circuit(qasm_path.read_text(encoding="utf-8"))
    layout = json.loads(json_path.read_text(encoding="utf-8"))["layout"]
    fidelity = process_fidelity(results(name).logical, stored, layout["initial"], layout["final"], shots=16)
    assert fidelity > 1 - 1e-6


def test_golden_cases_cover_remote_gates_and_swapping(results):
    """The golden set is meant to pin teleportation and entanglement swapping, not only local code."""
    reports = {name: results(name).report for name in CASES}
    assert all(reports[n]["ebits"]["total"] > 0 for n in CASES if n != "qft4-ring-4x4")
    assert reports["ghz_qft6-hetero"]["entanglement_swaps"] > 0


def test_timing_keys_are_the_only_difference_between_runs(results):
    """Compiling again gives the same report except for the wall-clock fields the golden files drop."""
    name = "ghz_qft6-pair-2x4"
    circuit, net = CASES[name]
    again = qmosaic.compile(circuit(), qmosaic.load_network(net()), options=OPTIONS)
    assert report_without_timing(again.report) == report_without_timing(results(name).report)

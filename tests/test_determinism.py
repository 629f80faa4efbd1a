"""Determinism: the same input, network, options and seed give byte-identical output;
different inputs give different output (so the identical-output check is not vacuous)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.random import random_circuit

import qmosaic
from conftest import EXAMPLES, FAST, ROOT, report_without_timing

# A time limit that never binds on these small cases: with a binding limit, how far the solver gets
# depends on the machine's load, and determinism is only promised for the same solver result.
STABLE = qmosaic.CompileOptions(time_limit=10, seed=0)

CASES = [
    ("ghz_qft6", "line-3x3"),
    ("ghz_qft6", "hetero"),
    ("random7", "ring-4x4"),
    ("random8", "cepheus-chiplets"),
    ("wstate8", "pair-2x4"),  # TeleData windows that reorder commuting gates (the DAG is rebuilt)
    ("qugan7", "pair-2x4"),  # a TeleData window from the start (initial layout in a comm qubit)
]


def circuit(name: str) -> QuantumCircuit:
    from test_window_order import mini_qugan, wstate

    if name == "ghz_qft6":
        return qmosaic.load_circuit(EXAMPLES / "ghz_qft6.qasm")
    if name == "wstate8":
        return wstate(8)
    if name == "qugan7":
        return mini_qugan(3)
    n = int(name.removeprefix("random"))
    return random_circuit(n, 5, max_operands=3, seed=n)


def network(name: str):
    return qmosaic.load_network(str(EXAMPLES / "hetero.toml") if name == "hetero" else name)


@pytest.mark.parametrize("case", CASES, ids=["-".join(c) for c in CASES])
def test_same_input_same_output(case):
    first = qmosaic.compile(circuit(case[0]), network(case[1]), options=STABLE)
    assert first.report["solver"]["status"] == "optimal"
    second = qmosaic.compile(circuit(case[0]), network(case[1]), options=STABLE)
    assert first.qasm() == second.qasm()
    assert report_without_timing(first.report) == report_without_timing(second.report)


def test_same_output_in_a_fresh_process():
    """No hidden state (hash seeds, caches, dict order) leaks into the output: two interpreters agree."""
    script = ("import qmosaic, sys; r = qmosaic.compile(sys.argv[1], 'line-3x3', "
              "options=qmosaic.CompileOptions(time_limit=10, seed=0)); sys.stdout.write(r.qasm())")
    path = str(EXAMPLES / "ghz_qft6.qasm")
    outs = []
    for hash_seed in ("1", "2"):
        run = subprocess.run([sys.executable, "-c", script, path], capture_output=True, text=True, cwd=ROOT,
                             timeout=120, env={**__import__("os").environ, "PYTHONHASHSEED": hash_seed})
        assert run.returncode == 0, run.stderr
        outs.append(run.stdout)
    assert outs[0] == outs[1]
    assert outs[0] == qmosaic.compile(path, "line-3x3", options=STABLE).qasm()


def test_untranslated_cu3_is_written_the_same_in_every_process():
    """Qiskit writes cu3's definition with its terms in an order that follows ``PYTHONHASHSEED``
    (``p(0.5*p1 + 0.5*p2)`` or ``p(0.5*p2 + 0.5*p1)``, both seen among these seeds); it is written
    as the same ``cu`` of ``stdgates.inc``, also inside an if-block."""
    script = ("import qmosaic, sys\n"
              "from qiskit import QuantumCircuit\n"
              "from qiskit.circuit.library import CU3Gate\n"
              "qc = QuantumCircuit(3, 1)\n"
              "qc.h(0)\n"
              "qc.append(CU3Gate(0.3, 0.4, 0.5), [0, 1])\n"
              "qc.measure(0, 0)\n"
              "with qc.if_test((qc.clbits[0], 1)):\n"
              "    qc.append(CU3Gate(0.6, 0.7, 0.8), [1, 2])\n"
              "r = qmosaic.compile(qc, 'pair-2x4', options=qmosaic.CompileOptions(effort='fast', translate=False))\n"
              "sys.stdout.write(r.qasm())")
    outs = set()
    for hash_seed in ("0", "4", "8", "10"):
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                             timeout=120, env={**__import__("os").environ, "PYTHONHASHSEED": hash_seed})
        assert run.returncode == 0, run.stderr
        outs.add(run.stdout)
    assert len(outs) == 1
    text = outs.pop()
    assert "cu3" not in text and text.count("cu(") == 2


def test_different_circuits_give_different_output():
    outputs = {name: qmosaic.compile(circuit(name), "ring-4x4", options=FAST).qasm()
               for name in ("ghz_qft6", "random7", "random8")}
    assert len(set(outputs.values())) == len(outputs)


def test_different_networks_give_different_output():
    qc = circuit("ghz_qft6")
    outputs = {net: qmosaic.compile(qc, net, options=FAST).qasm() for net in ("line-3x3", "pair-2x4", "ring-4x4")}
    assert len(set(outputs.values())) == len(outputs)


def test_a_changed_angle_changes_the_output():
    a = QuantumCircuit(6)
    a.h(range(6))
    for i in range(5):
        a.cp(0.25, i, i + 1)
    b = a.copy()
    b.rz(0.125, 5)
    assert qmosaic.compile(a, "pair-2x4", options=FAST).qasm() != qmosaic.compile(b, "pair-2x4", options=FAST).qasm()


def test_heuristic_only_is_deterministic_too():
    opts = dataclasses.replace(STABLE, use_ilp=False)
    qc = circuit("random8")
    assert qmosaic.compile(qc, "line-3x3", options=opts).qasm() == qmosaic.compile(qc, "line-3x3", options=opts).qasm()


def test_compile_does_not_mutate_its_input():
    qc = circuit("random7")
    before = qc.copy()
    qmosaic.compile(qc, "ring-4x4", options=FAST)
    assert qc == before

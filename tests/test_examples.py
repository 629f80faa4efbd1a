"""Examples are code: every script in examples/ runs to completion."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import EXAMPLES, ROOT

SCRIPTS = sorted(EXAMPLES.glob("*.py"))


def test_there_are_example_scripts():
    assert (EXAMPLES / "compile_example.py") in SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_example_script_runs(script, tmp_path):
    # Run from a scratch directory: an example must not depend on the caller's working directory
    # (compile_example.py) -- the others document "run from the repository root".
    cwd = tmp_path if script.name == "compile_example.py" else ROOT
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=cwd)
    assert run.returncode == 0, f"{script.name} failed:\n{run.stdout}\n{run.stderr}"
    assert "Traceback" not in run.stderr


def test_compile_example_prints_ebits_and_fidelity(tmp_path):
    run = subprocess.run([sys.executable, str(EXAMPLES / "compile_example.py")], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "ebits: " in run.stdout
    assert "process fidelity 1.0" in run.stdout


@pytest.mark.parametrize("qasm", sorted(EXAMPLES.glob("*.qasm")), ids=lambda p: p.name)
def test_example_circuits_parse(qasm):
    import qmosaic

    assert qmosaic.load_circuit(qasm).num_qubits > 0


@pytest.mark.parametrize("netfile", sorted(EXAMPLES.glob("*.toml")) + sorted(EXAMPLES.glob("*.json")),
                         ids=lambda p: p.name)
def test_example_networks_load(netfile):
    import qmosaic

    assert len(qmosaic.load_network(netfile).qpus) >= 2

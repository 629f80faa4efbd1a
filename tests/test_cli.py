"""The ``qmosaic`` command line, run as a user would: ``python -m qmosaic ...`` in a subprocess."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from qiskit import qasm3

from conftest import EXAMPLES, ROOT

GHZ = str(EXAMPLES / "ghz_qft6.qasm")
FAST = ["--time-limit", "2"]


def qmosaic(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qmosaic", *map(str, args)], capture_output=True, text=True,
                          input=stdin, cwd=cwd, timeout=300)


def assert_one_line_error(run: subprocess.CompletedProcess, *fragments: str) -> str:
    """Non-zero exit, exactly one stderr line starting 'qmosaic: error:', no traceback."""
    assert run.returncode != 0, run.stdout
    assert "Traceback" not in run.stderr, run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{run.stderr}"
    assert lines[0].startswith("qmosaic: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


def count_epr(text: str) -> int:
    circuit = qasm3.loads(text)
    return sum(1 for inst in circuit.data if inst.operation.name == "epr")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    """``qmosaic compile examples/ghz_qft6.qasm --network line-3x3 -o out.qasm --report r.json``."""
    work = tmp_path_factory.mktemp("cli")
    run = qmosaic("compile", GHZ, "--network", "line-3x3", "-o", work / "out.qasm", "--report", work / "r.json",
                  *FAST)
    return work, run


def test_networks_lists_every_preset():
    from qmosaic.targets import preset_names

    run = qmosaic("networks")
    assert run.returncode == 0, run.stderr
    listed = [line.split()[0] for line in run.stdout.splitlines() if line.strip()]
    assert listed == preset_names()
    for name in ("line-3x3", "pair-2x4", "ring-4x4", "star-5x4", "cepheus-chiplets", "tempo-pair", "harq-hetero"):
        assert name in listed
    assert "9 data qubits" in next(line for line in run.stdout.splitlines() if line.startswith("line-3x3"))


def test_compile_writes_qasm_and_report(compiled):
    work, run = compiled
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert "ebits" in run.stderr and "out.qasm" in run.stderr  # the one-line summary
    text = (work / "out.qasm").read_text()
    circuit = qasm3.loads(text)
    report = json.loads((work / "r.json").read_text())
    assert report["network"] == "line-3x3"
    assert report["circuit"]["qubits"] == 6
    assert circuit.num_qubits == report["circuit"]["output_qubits"]
    assert report["ebits"]["total"] == count_epr(text) > 0
    assert sum(report["ebits"]["per_link"].values()) == report["ebits"]["total"]
    assert run.stdout == ""  # the circuit went to the file


def test_compile_output_equals_the_api(compiled):
    import qmosaic as api

    work, _ = compiled
    result = api.compile(GHZ, "line-3x3", options=api.CompileOptions(time_limit=2))
    assert (work / "out.qasm").read_text() == result.qasm()


def test_output_to_stdout():
    run = qmosaic("compile", GHZ, "--network", "pair-2x4", "-o", "-", *FAST)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("OPENQASM 3")
    assert count_epr(run.stdout) > 0
    run_default = qmosaic("compile", GHZ, "-n", "pair-2x4", *FAST)  # '-' is the default
    assert run_default.stdout == run.stdout


def test_report_to_stdout(tmp_path):
    run = qmosaic("compile", GHZ, "-n", "pair-2x4", "-o", tmp_path / "o.qasm", "--report", "-", *FAST)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["ebits"]["total"] == count_epr((tmp_path / "o.qasm").read_text())


def test_circuit_from_stdin():
    run = qmosaic("compile", "-", "-n", "pair-2x4", *FAST, stdin=Path(GHZ).read_text())
    assert run.returncode == 0, run.stderr
    assert count_epr(run.stdout) > 0


def test_verify_command(compiled):
    work, run = compiled
    assert run.returncode == 0, run.stderr
    check = qmosaic("verify", GHZ, work / "out.qasm", "--report", work / "r.json")
    assert check.returncode == 0, check.stderr
    assert "process fidelity 1.0" in check.stdout


def test_verify_command_catches_a_wrong_layout(compiled, tmp_path):
    work, _ = compiled
    report = json.loads((work / "r.json").read_text())
    final = report["layout"]["final"]
    final[0], final[-1] = final[-1], final[0]
    (tmp_path / "wrong.json").write_text(json.dumps(report))
    check = qmosaic("verify", GHZ, work / "out.qasm", "--report", tmp_path / "wrong.json")
    assert check.returncode == 3
    assert "qmosaic: error: process fidelity" in check.stderr
    assert "Traceback" not in check.stderr


def test_compile_with_verify(tmp_path):
    run = qmosaic("compile", GHZ, "-n", str(EXAMPLES / "hetero.toml"), "-o", tmp_path / "o.qasm", "--verify",
                  *FAST)
    assert run.returncode == 0, run.stderr
    assert "process fidelity 1.0" in run.stderr


def test_compile_options_are_accepted(tmp_path):
    run = qmosaic("compile", GHZ, "-n", "ring-4x4", "-o", tmp_path / "o.qasm", "--report", tmp_path / "r.json",
                  "--solver", "cbc", "--seed", "3", "--no-translate", *FAST)
    assert run.returncode == 0, run.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["solver"]["solver"] in ("CBC", "heuristic")
    ops = {name for per in report["ops_per_qpu"].values() for name in per}
    assert "cp" in ops or "cx" in ops  # untranslated, generic gates stay
    run = qmosaic("compile", GHZ, "-n", "ring-4x4", "-o", tmp_path / "h.qasm", "--no-ilp", *FAST)
    assert run.returncode == 0, run.stderr
    assert "solver heuristic" in run.stderr
    run = qmosaic("compile", GHZ, "-n", "ring-4x4", "-o", tmp_path / "f.qasm", "--effort", "fast", "--verify")
    assert run.returncode == 0, run.stderr
    assert "solver heuristic" in run.stderr and "process fidelity 1.0" in run.stderr
    run = qmosaic("compile", GHZ, "-n", "ring-4x4", "--effort", "quick")
    assert run.returncode == 2 and "invalid choice: 'quick'" in run.stderr


# --- bad input: one line on stderr, non-zero exit -----------------------------------------------------------
QASM2_HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


@pytest.mark.parametrize("name, circuit_text, network, fragments", [
    ("malformed", QASM2_HEAD + "qreg q[2];\nh q[0]\ncx q[0], q[1];\n", "pair-2x4", ["invalid OpenQASM", "5"]),
    ("unknown-gate", QASM2_HEAD + "qreg q[2];\nfrobnicate q[0], q[1];\n", "pair-2x4", ["frobnicate"]),
    ("too-wide", QASM2_HEAD + "qreg q[10];\nh q[0];\ncx q[0], q[9];\n", "line-3x3", ["10", "9 data qubits"]),
    ("unknown-preset", QASM2_HEAD + "qreg q[2];\nh q[0];\n", "moon-base", ["unknown network preset 'moon-base'"]),
    ("bad-network-file", QASM2_HEAD + "qreg q[2];\nh q[0];\n", "NETFILE", ["qubits must be an integer >= 0", "-3"]),
    ("unreachable", QASM2_HEAD + "qreg q[2];\nh q[0];\n", "SPLITFILE", ["unreachable"]),
    ("missing-network-file", QASM2_HEAD + "qreg q[2];\nh q[0];\n", "nowhere/net.toml", ["cannot read network file"]),
    ("qasm3-malformed", 'OPENQASM 3.0;\nqubit[2] q;\nh q[0]\n', "pair-2x4", ["invalid OpenQASM"]),
    ("opaque-1q", QASM2_HEAD + "opaque myst q;\nqreg q[4];\nh q[0];\nmyst q[0];\ncx q[0], q[3];\n", "pair-2x4",
     ["gate 'myst' on 1 qubit(s) has no definition"]),
    ("qasm3-antlr", 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nrz(p0negctrl@ q[0];\n', "pair-2x4",
     ["invalid OpenQASM 3", "line 4"]),  # the parser's own listener printed a second, unprefixed line
])
def test_compile_bad_input(tmp_path, name, circuit_text, network, fragments):
    circuit = tmp_path / f"{name}.qasm"
    circuit.write_text(circuit_text)
    if network == "NETFILE":
        network = str(tmp_path / "net.toml")
        Path(network).write_text('[[qpu]]\nname = "a"\ndevice = "quantinuum-h2"\nqubits = -3\n')
    elif network == "SPLITFILE":
        network = str(tmp_path / "split.toml")
        Path(network).write_text('[[qpu]]\nname = "a"\ndevice = "quantinuum-h2"\n'
                                 '[[qpu]]\nname = "b"\ndevice = "quantinuum-h2"\n')
    run = qmosaic("compile", circuit, "-n", network, "-o", tmp_path / "out.qasm", *FAST)
    assert_one_line_error(run, *fragments)
    assert not (tmp_path / "out.qasm").exists()


def test_compile_unbound_parameter(tmp_path):
    circuit = tmp_path / "unbound.qasm"
    circuit.write_text('OPENQASM 3.0;\ninclude "stdgates.inc";\ninput float theta;\nqubit[2] q;\n'
                       'rx(theta) q[0];\ncx q[0], q[1];\n')
    run = qmosaic("compile", circuit, "-n", "pair-2x4", "-o", tmp_path / "out.qasm", *FAST)
    assert_one_line_error(run, "unbound parameters", "theta")


def test_compile_missing_input_file(tmp_path):
    run = qmosaic("compile", tmp_path / "absent.qasm", "-n", "pair-2x4", *FAST)
    assert_one_line_error(run, "cannot read circuit file", "absent.qasm")


def test_compile_circuit_that_is_not_utf8(tmp_path):
    circuit = tmp_path / "binary.qasm"
    circuit.write_bytes(b"\xff\xfe OPENQASM 2.0;")
    assert_one_line_error(qmosaic("compile", circuit, "-n", "pair-2x4", *FAST), "binary.qasm is not UTF-8 text",
                          "byte 0xff at offset 0")
    run = subprocess.run([sys.executable, "-m", "qmosaic", "compile", "-", "-n", "pair-2x4", *FAST],
                         capture_output=True, input=b"OPENQASM 2.0;\xe9", cwd=ROOT, timeout=300)
    assert_one_line_error(subprocess.CompletedProcess(run.args, run.returncode, run.stdout.decode(),
                                                      run.stderr.decode()), "<stdin> is not UTF-8 text", "offset 13")


def test_verify_bad_report(compiled, tmp_path):
    work, _ = compiled
    (tmp_path / "r.json").write_text("{}")
    run = qmosaic("verify", GHZ, work / "out.qasm", "--report", tmp_path / "r.json")
    assert_one_line_error(run, "layout", "qmosaic compile --report")
    layout = json.loads((work / "r.json").read_text())["layout"]
    for bad in ({**layout, "initial": None}, {**layout, "final": layout["final"][:-1] + [True]}):
        (tmp_path / "r.json").write_text(json.dumps({"layout": bad}))
        run = qmosaic("verify", GHZ, work / "out.qasm", "--report", tmp_path / "r.json")
        assert_one_line_error(run, "must list a physical qubit index per logical qubit")
    run = qmosaic("verify", GHZ, work / "out.qasm", "--report", tmp_path / "absent.json")
    assert_one_line_error(run, "absent.json")


def test_verify_mismatched_files(compiled, tmp_path):
    work, _ = compiled
    other = tmp_path / "three.qasm"
    other.write_text(QASM2_HEAD + "qreg q[3];\nh q[0];\n")
    run = qmosaic("verify", other, work / "out.qasm", "--report", work / "r.json")
    assert_one_line_error(run, "layout names 6 logical qubits but the input has 3")


@pytest.mark.parametrize("flag", ["-o", "--report"])
def test_unwritable_output_is_refused_before_compiling(tmp_path, flag):
    dest = tmp_path / "absent" / "out"
    run = qmosaic("compile", GHZ, "-n", "pair-2x4", flag, dest, *FAST)
    assert_one_line_error(run, str(dest), "does not exist; create it first")
    run = qmosaic("compile", GHZ, "-n", "pair-2x4", flag, tmp_path, *FAST)
    assert_one_line_error(run, "is a directory")


def test_report_and_output_naming_one_file_are_refused(tmp_path):
    """The report would replace the compiled circuit (found by fuzzing: exit 0 before)."""
    dest = tmp_path / "out.qasm"
    run = qmosaic("compile", GHZ, "-n", "pair-2x4", "-o", dest, "--report", tmp_path / "." / "out.qasm", *FAST)
    assert_one_line_error(run, "--report and -o both name", "give the report another file name")
    assert not dest.exists()


@pytest.mark.parametrize("flag", ["-o", "--report"])
def test_an_output_naming_the_input_is_refused(tmp_path, flag):
    """``--report input.qasm`` replaced the circuit being compiled with the report, exit 0 (found
    by fuzzing); ``-o`` too."""
    source = tmp_path / "in.qasm"
    source.write_text(Path(GHZ).read_text())
    other = ["--report", tmp_path / "r.json"] if flag == "-o" else ["-o", tmp_path / "o.qasm"]
    run = qmosaic("compile", source, "-n", "pair-2x4", flag, tmp_path / "." / "in.qasm", *other, *FAST)
    assert_one_line_error(run, f"{flag} names the input", "give another file name")
    assert source.read_text() == Path(GHZ).read_text()


def test_a_failed_report_leaves_no_output_and_dev_null_takes_both(tmp_path):
    """Writing the report to a full disk (``/dev/full``) failed after the circuit was written
    (found by fuzzing): both go through temporary files now, renamed once both are written.
    ``/dev/null`` for both was refused as one file; nothing written there is lost."""
    dest = tmp_path / "out.qasm"
    if Path("/dev/full").exists():
        run = qmosaic("compile", GHZ, "-n", "pair-2x4", "-o", dest, "--report", "/dev/full", *FAST)
        assert_one_line_error(run, "cannot write /dev/full")
        assert list(tmp_path.iterdir()) == []
    run = qmosaic("compile", GHZ, "-n", "pair-2x4", "-o", os.devnull, "--report", os.devnull, *FAST)
    assert run.returncode == 0, run.stderr


def test_outputs_keep_their_mode_and_symlinks(tmp_path):
    """Outputs are written through temporary files: a file keeps its mode, a new one gets the
    umask's, and a symlink is written through, not replaced."""
    target, link = tmp_path / "real.qasm", tmp_path / "link.qasm"
    target.write_text("old")
    target.chmod(0o640)
    link.symlink_to(target.name)
    run = qmosaic("compile", GHZ, "-n", "pair-2x4", "-o", link, "--report", tmp_path / "r.json", *FAST)
    assert run.returncode == 0, run.stderr
    assert link.is_symlink() and target.read_text().startswith("OPENQASM 3")
    check = qmosaic("verify", GHZ, target, "--report", tmp_path / "r.json")
    assert check.returncode == 0 and check.stdout.startswith("process fidelity 1.0"), check.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o666 & ~mask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.qasm", "r.json", "real.qasm"]


def test_a_warning_is_one_line_too(tmp_path, monkeypatch, capsys):
    """A warning (here: verification simulates many qubits) reads like an error line, not
    Python's ``file:line: UserWarning`` form; the compile and its check go on."""
    import qmosaic.verify as verify
    from qmosaic.cli import main

    monkeypatch.setattr(verify, "SLOW_VERIFY_QUBITS", 2)
    assert main(["compile", GHZ, "-n", "pair-2x4", "-o", str(tmp_path / "o.qasm"), "--verify", *FAST]) == 0
    err = capsys.readouterr().err.splitlines()
    assert not any("UserWarning" in line for line in err)
    assert sum(line.startswith("qmosaic: warning: verifying by simulation on ") for line in err) == 1
    assert any(line.startswith("process fidelity 1.0") for line in err)


def test_report_and_circuit_both_on_stdout_are_refused():
    """``--report -`` with the default ``-o -`` wrote the circuit and then the report to stdout,
    exit 0, neither readable (found by fuzzing)."""
    run = qmosaic("compile", GHZ, "-n", "pair-2x4", "--report", "-", *FAST)
    assert_one_line_error(run, "would both write to stdout", "-o out.qasm --report -")
    assert run.stdout == ""


@pytest.mark.parametrize("args, fragment", [
    (["verify", GHZ, GHZ, "--report", "r.json", "--shots", "0"],
     "argument --shots: must be an integer from 1 to 1000000, got '0'"),
    # Aer failed with a C++ error from 2**31 shots on, after minutes (found by fuzzing)
    (["verify", GHZ, GHZ, "--report", "r.json", "--shots", "2147483648"],
     "argument --shots: must be an integer from 1 to 1000000, got '2147483648'"),
    (["verify", GHZ, GHZ, "--report", "r.json", "--tolerance", "-1"],
     "argument --tolerance: must be a number in [1e-12, 1)"),
    # the simulation rounds at about 1e-15: 'process fidelity 1.000000000 is below 1 - 0.0', exit 3
    (["compile", GHZ, "-n", "pair-2x4", "--verify", "--tolerance", "0"],
     "argument --tolerance: must be a number in [1e-12"),
    # HiGHS kept its previous seed for a larger one, silently
    (["compile", GHZ, "-n", "pair-2x4", "--seed", "2147483648"], "seed must be an integer from 0 to 2147483647"),
    (["compile", GHZ, "-n", "pair-2x4", "--time-limit", "inf"], "argument --time-limit: must be a finite number"),
])
def test_out_of_range_arguments_are_refused(args, fragment):
    run = qmosaic(*args)
    assert run.returncode != 0 and fragment in run.stderr and "Traceback" not in run.stderr


def test_argument_errors_exit_non_zero():
    run = qmosaic("compile", GHZ, "-n", "pair-2x4", "--solver", "gurobi")
    assert run.returncode != 0
    assert "error: argument --solver: invalid choice: 'gurobi'" in run.stderr and "Traceback" not in run.stderr
    run = qmosaic()
    assert run.returncode != 0 and "Traceback" not in run.stderr


def test_console_script_entry_point_is_installed():
    import shutil

    exe = shutil.which("qmosaic")
    if exe is None:
        pytest.skip("the qmosaic console script is not on PATH in this environment")
    run = subprocess.run([exe, "networks"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "line-3x3" in run.stdout

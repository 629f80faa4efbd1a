"""Bad input raises a ``QmosaicError`` subclass whose message names the problem, the numbers and the fix."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import subprocess
import sys
import warnings

import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.converters import circuit_to_dag
from qiskit.transpiler.exceptions import TranspilerError

import qmosaic
from conftest import FAST, assert_verified, qft_cp
from qmosaic.errors import (
    BudgetError, CapacityError, CircuitParseError, NetworkError, NetworkFileError, PassError,
    QmosaicError, RelayError, SolverError, UnsupportedOperationError, VerificationError,
)
from qmosaic.targets import QPU, Link, Network
from qmosaic.targets.devices import device_fields

QASM2_HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\n'
QASM3_HEAD = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\n'


def _qpu(name: str, **overrides) -> QPU:
    return QPU(name=name, device="quantinuum-h2", **{**device_fields("quantinuum-h2"), **overrides})


def _link(a: str, b: str, **kw) -> Link:
    return Link(between=(a, b), epr_rate_hz=100.0, epr_fidelity=0.95, **kw)


# --- the hierarchy -------------------------------------------------------------------------------------------
ALL_ERRORS = [getattr(qmosaic.errors, name) for name in qmosaic.errors.__all__]


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.__name__)
def test_every_error_is_a_qmosaic_error(cls):
    assert issubclass(cls, QmosaicError)


@pytest.mark.parametrize("cls", [CapacityError, BudgetError, PassError])
def test_errors_raised_inside_passes_are_transpiler_errors(cls):
    assert issubclass(cls, TranspilerError)


@pytest.mark.parametrize("cls", ALL_ERRORS, ids=lambda c: c.__name__)
def test_every_error_can_be_printed(cls):
    """The CLI prints ``qmosaic: error: {exc}``; str() must work and carry the message."""
    text = str(cls("the circuit has 10 qubits"))
    assert "the circuit has 10 qubits" in text


def message(excinfo) -> str:
    """The message an error was raised with (not str(), which is broken for some classes; see above)."""
    return excinfo.value.args[0] if excinfo.value.args else ""


def test_errors_are_exported_from_the_root_package():
    for name in ("QmosaicError", "NetworkError", "CircuitParseError", "CapacityError", "SolverError"):
        assert getattr(qmosaic, name) is getattr(qmosaic.errors, name)


# --- circuits ------------------------------------------------------------------------------------------------
def test_qasm2_gate_defined_in_the_file_keeps_its_definition():
    """Qiskit reads a gate named like one of its legacy gates (``sx``, ``rzz``, ``cp``, ...) as its own
    gate even where the file defines it: the file's ``gate sx a { h a; }`` is an h here."""
    from qiskit.circuit.library import SXGate
    from qiskit.quantum_info import Operator

    circuit = qmosaic.load_circuit(QASM2_HEAD.replace("qreg", "gate sx a { h a; }\nqreg", 1) + "sx q[0];\n")
    meant = QuantumCircuit(circuit.num_qubits)
    meant.h(0)
    assert Operator(circuit).equiv(Operator(meant))
    assert qmosaic.load_circuit(QASM2_HEAD + "sx q[0];\n").data[0].operation.name == "sx"  # Qiskit's, not defined here
    one_line = 'OPENQASM 2.0; include "qelib1.inc"; gate sx a { h a; } qreg q[2]; sx q[0]; // gate x a { h a; }\n'
    assert Operator(qmosaic.load_circuit(one_line)).equiv(Operator(meant))
    commented = qmosaic.load_circuit(QASM2_HEAD + "sx q[0]; // gate sx a { h a; }\n")  # a comment defines nothing
    assert isinstance(commented.data[0].operation, SXGate)


def test_an_operation_qiskit_cannot_hand_back_is_a_clear_error():
    """Qiskit's own init stage can leave a node whose ``op`` raises ``NotImplementedError``."""
    from qmosaic.passes import normalize
    from qmosaic.targets.errors import UnsupportedOperationError

    class Unreadable:
        name = "x"

        @property
        def op(self):
            raise NotImplementedError("Custom operations from Rust cannot be exposed to Python")

    with pytest.raises(UnsupportedOperationError, match=r"operation 'x' cannot be read.*init_method='qmosaic'"):
        normalize._normalize_other(None, Unreadable())


def test_malformed_qasm2_names_the_line():
    text = QASM2_HEAD + "h q[0];\ncx q[0] q[1];\n"  # missing comma on line 5
    with pytest.raises(CircuitParseError, match=r"invalid OpenQASM.*\b5\b"):
        qmosaic.compile(text, "pair-2x4", options=FAST)


def test_malformed_qasm2_missing_semicolon_names_the_line():
    text = QASM2_HEAD + "h q[0]\ncx q[0], q[1];\n"  # the parser notices on line 5
    with pytest.raises(CircuitParseError, match=r"invalid OpenQASM.*\b5\b"):
        qmosaic.load_circuit(text)


def test_malformed_qasm_file_names_the_file(tmp_path):
    path = tmp_path / "broken.qasm"
    path.write_text(QASM2_HEAD + "h q[0];\n\n\nh q[1]\n")
    with pytest.raises(CircuitParseError, match=r"broken\.qasm: invalid OpenQASM"):
        qmosaic.compile(path, "pair-2x4", options=FAST)


def test_malformed_qasm3_names_the_line():
    text = QASM3_HEAD + "h q[0]\ncx q[0], q[1];\n"
    with pytest.raises(CircuitParseError, match=r"\b(line )?[45]\b"):
        qmosaic.load_circuit(text)


def test_a_successful_parse_keeps_its_stderr_output(monkeypatch, capsys):
    """The parser's stderr is captured only to keep ANTLR's line out of a failed parse's error."""
    from qmosaic.qasmio import qasm2, parse_qasm

    real = qasm2.loads
    monkeypatch.setattr(qasm2, "loads", lambda *a, **k: print("a parser warning", file=sys.stderr) or real(*a, **k))
    parse_qasm('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nh q[0];\n', where="<text>")
    assert "a parser warning" in capsys.readouterr().err


def test_malformed_qasm3_is_a_parse_error():
    with pytest.raises(CircuitParseError, match=r"<qasm text>: invalid OpenQASM"):
        qmosaic.load_circuit(QASM3_HEAD + "h q[0]\ncx q[0], q[1];\n")


@pytest.mark.parametrize("head", [QASM2_HEAD, QASM3_HEAD], ids=["qasm2", "qasm3"])
def test_unknown_gate_is_named(head):
    with pytest.raises(CircuitParseError, match=r"frobnicate.*(not defined|undefined)"):
        qmosaic.compile(head + "h q[0];\nfrobnicate q[0], q[1];\n", "pair-2x4", options=FAST)


def test_a_comment_before_the_openqasm_3_header_is_read_as_openqasm_3():
    """OpenQASM 3 allows comments of either kind before its header: a block comment first made
    the file read as OpenQASM 2 and fail on its first line (found by fuzzing)."""
    for lead in ("/* block\ncomment */\n", "// hi\n/* x */ "):
        circuit = qmosaic.load_circuit(lead + QASM3_HEAD + "h q[0];\ncx q[0], q[1];\n")
        assert dict(circuit.count_ops()) == {"h": 1, "cx": 1}


def test_a_qubit_indexed_by_a_loop_variable_is_refused_as_such():
    """``for int i in [1:1] { cx q[0], q[i]; }`` is valid OpenQASM 3; it was called "invalid
    OpenQASM 3: index must be int, slice or list" (the importer's TypeError; found by fuzzing)."""
    with pytest.raises(CircuitParseError, match=r"<qasm text>: a qubit indexed by a value known only at run time "
                                                r"\(a loop variable, as q\[i\] in a for loop\) is not supported: .*"
                                                r"write the indices out \(unroll the loop\)"):
        qmosaic.load_circuit(QASM3_HEAD + "for int i in [1:1] {\n  cx q[0], q[i];\n}\n")


def test_a_byte_order_mark_is_dropped(tmp_path):
    """Some editors write a UTF-8 byte-order mark first; it was refused as a non-ASCII byte."""
    path = tmp_path / "bom.qasm"
    path.write_bytes(b"\xef\xbb\xbf" + (QASM2_HEAD + "h q[0];\ncx q[0], q[1];\n").encode())
    assert_verified(qmosaic.compile(path, "pair-2x4", options=FAST))


@pytest.mark.parametrize("text", ["", " \n\n", "// nothing\n/* at all */\n"], ids=["empty", "blank", "comments"])
def test_a_text_with_no_statement_is_refused(tmp_path, text):
    """An empty file compiled to an empty circuit, exit 0 (found by fuzzing): most likely the wrong file."""
    path = tmp_path / "empty.qasm"
    path.write_text(text)
    with pytest.raises(CircuitParseError, match=r"empty\.qasm has no OpenQASM statement .*give an OpenQASM 2 or 3 "
                                                r"program"):
        qmosaic.load_circuit(path)


def test_missing_circuit_file():
    with pytest.raises(CircuitParseError, match=r"cannot read circuit file .*nope\.qasm"):
        qmosaic.compile("does/not/exist/nope.qasm", "pair-2x4", options=FAST)


def test_not_a_circuit():
    with pytest.raises(CircuitParseError, match=r"expected a QuantumCircuit.*got int"):
        qmosaic.compile(12, "pair-2x4", options=FAST)


def test_circuit_wider_than_the_network_names_both_numbers():
    qc = QuantumCircuit(10)
    qc.h(range(10))
    with pytest.raises(CapacityError, match=r"10 qubits.*'line-3x3'.* 9 data qubits.*larger network"):
        qmosaic.compile(qc, "line-3x3", options=FAST)


def test_unbound_parameters_are_refused():
    qc = QuantumCircuit(2)
    qc.rx(Parameter("theta"), 0)
    qc.cx(0, 1)
    with pytest.raises(UnsupportedOperationError) as info:
        qmosaic.compile(qc, "pair-2x4", options=FAST)
    assert re.search(r"unbound parameters \['theta'\].*assign_parameters", message(info))


def test_classical_control_flow_in_the_input_is_refused():
    """Conditioned one-qubit blocks are supported; a block over several qubits is refused."""
    qc = QuantumCircuit(3, 1)
    qc.h(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(1)
        qc.h(2)
    with pytest.raises(UnsupportedOperationError) as info:
        qmosaic.compile(qc, "pair-2x4", options=FAST)
    assert "classical control flow (if_else on 2 qubits)" in message(info)
    assert "split the block" in message(info)


def test_loops_are_refused_with_the_fix_for_a_loop():
    """A loop said "split the block", the fix for an if-block (found by fuzzing)."""
    qc = QuantumCircuit(3)
    with qc.for_loop(range(2)):
        qc.cx(0, 1)
    with pytest.raises(UnsupportedOperationError) as info:
        qmosaic.compile(qc, "pair-2x4", options=FAST)
    assert "classical control flow (for_loop on 2 qubits)" in message(info)
    assert message(info).endswith("unroll the loop (write its iterations out)")


def test_a_gate_defined_on_fewer_qubits_than_it_acts_on_is_refused():
    """Qiskit's ``mcx(..., mode="v-chain-dirty")`` makes a 5-qubit gate defined on 4 qubits; it
    ended in Qiskit's ``DAGCircuitError: bit mapping invalid`` (found by fuzzing).  Qiskit's own
    transpile fails on it too."""
    qc = QuantumCircuit(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # mode= is deprecated
        qc.mcx([0, 1, 2], 3, ancilla_qubits=[4], mode="v-chain-dirty")
    if qc.data[0].operation.definition.num_qubits == 5:
        pytest.skip("this Qiskit defines the gate on all its qubits")
    with pytest.raises(UnsupportedOperationError) as info:
        qmosaic.compile(qc, "pair-2x4", options=dataclasses.replace(FAST, effort="fast"))
    assert re.search(r"gate 'mcx_vchain' on 5 qubits is defined on 4, so it cannot be written out; give it a "
                     r"definition on all its qubits", message(info))


@pytest.mark.parametrize("angle", [math.inf, -math.inf, math.nan])
def test_angles_that_are_not_finite_are_refused(angle):
    """An angle of inf or nan (OpenQASM's ``1e999`` reads as inf) crashed native translation, or
    compiled to a circuit whose fidelity was nan."""
    qc = QuantumCircuit(2)
    qc.rz(angle, 0)
    qc.cx(0, 1)
    with pytest.raises(UnsupportedOperationError, match=r"gate rz has a parameter that is not a finite number "
                                                         r"\((-?inf|nan)\); give finite angles"):
        qmosaic.compile(qc, "pair-2x4", options=FAST)
    text = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nU(0, 0, 1e999) q[0];\ncx q[0], q[1];\n'
    with pytest.raises(UnsupportedOperationError, match=r"gate u has a parameter that is not a finite number"):
        qmosaic.compile(text, "pair-2x4", options=FAST)


@pytest.mark.parametrize("phase", [Parameter("g"), math.nan, math.inf], ids=["unbound", "nan", "inf"])
def test_a_global_phase_unbound_or_not_finite_is_refused(phase):
    """The global phase went into the output unchecked: unbound, verification then crashed in Aer;
    nan or inf (OpenQASM's ``gphase(1e400)``), it reported a fidelity of nan, which passed (found
    by fuzzing).  Refused as a gate's angle is."""
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.global_phase = phase
    pattern = r"unbound parameters \['g'\]; bind them" if isinstance(phase, Parameter) else r"not a finite number"
    with pytest.raises(UnsupportedOperationError, match=r"the circuit's global phase (has|is) " + pattern):
        qmosaic.compile(qc, "pair-2x4", options=FAST)
    text = QASM3_HEAD + "gphase(1e400);\nh q[0];\ncx q[0], q[1];\n"
    with pytest.raises(UnsupportedOperationError, match=r"global phase is not a finite number"):
        qmosaic.compile(text, "pair-2x4", options=FAST)


def test_a_fidelity_of_nan_is_an_error_not_a_pass():
    """``qmosaic verify`` of an input whose global phase is nan (``gphase(1e400)``) against a compiled
    circuit simulated to a fidelity of nan, and ``nan < 1 - tolerance`` is false: the check passed."""
    from qmosaic.verify import process_fidelity

    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    broken = qc.copy()
    broken.global_phase = math.nan
    with pytest.raises(VerificationError, match=r"process fidelity of nan: .*not a finite number"):
        process_fidelity(broken, qc, [0, 1], [0, 1])


def test_an_integer_angle_beyond_any_float_is_refused():
    qc = QuantumCircuit(1)
    qc.rz(10**400, 0)  # OverflowError converting it
    with pytest.raises(UnsupportedOperationError, match=r"not a finite number \(10{20}\.\.\.\)"):
        qmosaic.compile(qc, "pair-2x4", options=FAST)


def test_classical_variables_are_refused_in_one_line():
    """A circuit with a classical variable raised Qiskit's CircuitError from deep inside the
    normalisation; the passes order operations by qubits and classical bits only."""
    from qiskit.circuit.classical import expr

    qc = QuantumCircuit(2, 1)
    flag = qc.add_var("flag", expr.lift(False))
    qc.h(0)
    qc.measure(0, 0)
    qc.store(flag, expr.lift(qc.clbits[0]))
    with qc.if_test(flag):
        qc.x(1)
    with pytest.raises(UnsupportedOperationError) as info:
        qmosaic.compile(qc, "pair-2x4", options=FAST)
    assert "classical variables (flag)" in message(info)
    assert "\n" not in message(info)


# --- networks --------------------------------------------------------------------------------------------------
def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(NetworkError, match=r"unknown network preset 'moon-base'.*line-3x3.*toml"):
        qmosaic.compile(QuantumCircuit(2), "moon-base", options=FAST)


NET_HEAD = '[[qpu]]\nname = "a"\ndevice = "quantinuum-h2"\n'
TWO_QPUS = NET_HEAD + '[[qpu]]\nname = "b"\ndevice = "quantinuum-h2"\n'


@pytest.mark.parametrize("text, cls, pattern", [
    (NET_HEAD + "qubits = -3\n", NetworkFileError, r"bad\.toml: qpu\[0\].*qubits must be an integer >= 0, got -3"),
    (NET_HEAD + 'colour = "red"\n', NetworkFileError, r"bad\.toml: qpu\[0\]: unknown field\(s\) \['colour'\]"),
    (NET_HEAD + 'device = "quantinuum-h2"\n', NetworkFileError, r"bad\.toml: not valid TOML"),
    ('[[qpu]]\nname = "a"\ndevice = "warp-core"\n', NetworkFileError, r"unknown device 'warp-core'.*ionq-forte"),
    ('[[qpu]]\nname = "a"\nqubits = 3\n', NetworkFileError, r"qpu\[0\]: missing field\(s\).*device"),
    (TWO_QPUS + "[[link]]\nepr_rate_hz = 1.0\nepr_fidelity = 0.9\n", NetworkFileError,
     r"link\[0\]: missing field\(s\) \['between'\]"),
    (TWO_QPUS + '[[link]]\nbetween = ["a", "c"]\nepr_rate_hz = 1.0\nepr_fidelity = 0.9\n', NetworkFileError,
     r"no QPU named 'c' \(QPUs: a, b\)"),
    (TWO_QPUS + '[[link]]\nbetween = ["a"]\nepr_rate_hz = 1.0\nepr_fidelity = 0.9\n', NetworkFileError,
     r"between must list two QPU names"),
    (TWO_QPUS + '[[link]]\nbetween = ["a", "b"]\nepr_rate_hz = 1.0\nepr_fidelity = 0.3\n', NetworkFileError,
     r"epr_fidelity must be in \(0\.5, 1\], got 0\.3"),
    (TWO_QPUS + '[[link]]\nbetween = ["a", "b"]\nepr_fidelity = 0.9\nspeed = 3\n', NetworkFileError,
     r"link\[0\]: unknown field\(s\) \['speed'\]"),
    (TWO_QPUS, NetworkFileError, r"QPUs \['b'\] are unreachable from 'a'.*add a \[\[link\]\]"),
    ('name = "x"\n', NetworkFileError, r"'qpu' must list at least one QPU"),
    (NET_HEAD + 'gate_2q = "magic"\n', NetworkFileError, r"gate_2q 'magic' not one of"),
    ('nodes = 3\n' + NET_HEAD, NetworkFileError, r"unknown top-level field\(s\) \['nodes'\]"),
    ('[[qpu]]\nname = "a"\ndevice = ["ionq-forte"]\n', NetworkFileError,
     r"qpu\[0\]\.device: unknown device \['ionq-forte'\]; known: .*ionq-forte"),
    (TWO_QPUS + '[[link]]\nbetween = ["a", "b"]\nepr_fidelity = 0.9\ndistance_m = 1e9\n', NetworkFileError,
     r"link a-b: distance_m 1e\+09 leaves no EPR pairs \(derived rate 0/s: 1e\+05 dB of fibre loss per arm\); "
     r"give a shorter distance_m or the measured epr_rate_hz"),
], ids=["negative-qubits", "unknown-field", "bad-toml", "unknown-device", "missing-fields", "missing-between",
        "unknown-qpu", "one-end", "bad-fidelity", "unknown-link-field", "unreachable", "no-qpus", "bad-gate",
        "unknown-top-level", "device-not-a-name", "no-pairs-at-that-distance"])
def test_invalid_network_file(tmp_path, text, cls, pattern):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(cls, match=pattern):
        qmosaic.load_network(str(path))
    with pytest.raises(cls, match=pattern):  # and through compile, unchanged
        qmosaic.compile(QuantumCircuit(1), str(path), options=FAST)


def test_invalid_json_network_file(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"qpu": [{"name": "a", "device": "quantinuum-h2", "qubits": -3}]')  # truncated
    with pytest.raises(NetworkFileError, match=r"bad\.json: not valid JSON"):
        qmosaic.load_network(str(path))
    path.write_text(json.dumps({"qpu": [{"name": "a", "device": "quantinuum-h2", "qubits": -3}]}))
    with pytest.raises(NetworkFileError, match=r"qubits must be an integer >= 0, got -3"):
        qmosaic.load_network(str(path))


def test_missing_network_file(tmp_path):
    with pytest.raises(NetworkFileError, match=r"cannot read network file .*absent\.toml"):
        qmosaic.load_network(str(tmp_path / "absent.toml"))


def test_unreachable_qpus_in_code():
    with pytest.raises(NetworkError, match=r"QPUs \['b'\] are unreachable from 'a'"):
        Network("split", (_qpu("a"), _qpu("b")))


def test_network_model_validation():
    with pytest.raises(NetworkError, match=r"qubits must be an integer >= 0, got -3"):
        _qpu("a", qubits=-3)
    with pytest.raises(NetworkError, match=r"must join two different QPUs"):
        _link("a", "a")
    with pytest.raises(NetworkError, match=r"max_ebits must be an integer >= 0 \(omit it for unbounded\), got -1"):
        _link("a", "b", max_ebits=-1)
    with pytest.raises(NetworkError, match=r"QPU 'b' has comm_qubits = 0"):
        Network("n", (_qpu("a"), _qpu("b", comm_qubits=0)), (_link("a", "b"),))
    with pytest.raises(NetworkError, match=r"duplicate QPU names \['a'\]"):
        Network("n", (_qpu("a"), _qpu("a")))
    with pytest.raises(NetworkError, match=r"linked twice"):
        Network("n", (_qpu("a"), _qpu("b")), (_link("a", "b"), _link("b", "a")))
    with pytest.raises(NetworkError, match=r"has no QPUs"):
        Network("n", ())
    with pytest.raises(NetworkError, match=r"qpu 'a': 100001 physical qubits \(qubits 100000 \+ comm_qubits 1\); "
                                           r"qmosaic models at most 2048 per QPU"):
        _qpu("a", qubits=100_000, comm_qubits=1, coupling="line")  # aborted allocating 80 GB


@pytest.mark.parametrize("gates", [("rz",), ("rz", "x")])
def test_one_qubit_gate_set_must_be_universal(gates):
    with pytest.raises(NetworkError, match=r"gates_1q \[.*\] is not universal.*add one of r, rx, ry, sx, u"):
        _qpu("a", gates_1q=gates)


def test_one_qubit_gate_set_must_be_a_list():
    """A network file's ``gates_1q = "rz sx"`` is named as such, not spelled out letter by letter."""
    with pytest.raises(NetworkError, match=r"gates_1q must be a list of gate names such as \['rz', 'sx', 'x'\], "
                                           r"got 'rz sx'"):
        _qpu("a", gates_1q="rz sx")


def test_relay_with_one_communication_qubit_is_refused():
    """A middle QPU that must relay (Bell-measure two EPR halves) needs two communication qubits."""
    relay = QPU(name="m", device="diamond-memory", **{**device_fields("diamond-memory"), "comm_qubits": 1})
    net = Network("relay", (_qpu("a", qubits=3), relay, _qpu("b", qubits=3)), (_link("a", "m"), _link("m", "b")))
    qc = QuantumCircuit(6)
    qc.h(range(6))
    for i in range(3):
        for j in range(3, 6):
            qc.cp(0.3, i, j)
    with pytest.raises(NetworkError) as info:
        qmosaic.compile(qc, net, options=FAST)
    assert re.search(r"QPU 'm' has 1 communication qubit\(s\).*at least 2 \(comm_qubits\)", message(info))


def test_a_move_home_through_a_full_relay_names_the_route():
    """A TeleData move whose way home passes a QPU with one communication qubit and no free data
    qubit said only "QPU 'p0' has nowhere to park an EPR half"; it names the route and the fixes
    like a copy's relay (found by fuzzing: a star around a one-qubit neutral-atom hub)."""
    from qmosaic.targets.netfile import network_from_mapping

    net = network_from_mapping({"qpu": [
        {"name": "p0", "device": "quera-gemini", "qubits": 1, "comm_qubits": 1},
        {"name": "p1", "device": "ionq-forte", "qubits": 4, "comm_qubits": 2},
        {"name": "p2", "device": "ionq-forte", "qubits": 1, "comm_qubits": 2},
        {"name": "p3", "device": "ionq-forte", "qubits": 1, "comm_qubits": 1}],
        "link": [{"between": ["p0", other], "epr_fidelity": 0.99, "epr_rate_hz": 10.0}
                 for other in ("p1", "p2", "p3")]})
    qc = QuantumCircuit(7)
    qc.cz(0, 4)
    qc.ryy(-1.9425279601068963, 1, 3)
    qc.sx(0)
    qc.cy(2, 3)
    qc.ch(0, 4)
    qc.cswap(2, 1, 4)
    qc.ch(6, 1)
    qc.rxx(0, 0, 6)
    qc.rxx(0.5777964977872387, 0, 2)
    qc.ryy(-math.pi / 4, 1, 2)
    qc.ryy(0, 2, 1)
    qc.cp(-0.5959104779494213, 3, 0)
    qc.ccx(4, 1, 6)
    route = r"QPU 'p0' has 1 communication qubit\(s\), too few to relay entanglement from 'p1' to 'p3'.*leave one"
    for effort in ("fast", "full"):
        with pytest.raises(RelayError, match=route):
            qmosaic.compile(qc, net, options=dataclasses.replace(FAST, effort=effort, time_limit=1))


def test_impossible_budget_is_a_budget_error():
    net = Network("capped", (_qpu("a", qubits=2), _qpu("b", qubits=2)), (_link("a", "b", max_ebits=0),))
    qc = QuantumCircuit(4)
    qc.h(range(4))
    for i in range(3):
        qc.cx(i, i + 1)
    with pytest.raises(BudgetError, match=r"link a-b: .*needs \d+ ebits but max_ebits is 0"):
        qmosaic.compile(qc, net, options=FAST)


# --- options and solvers -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, pattern", [
    ({"time_limit": 0}, r"time_limit must be a number of seconds > 0 and at most 1e\+06 \(11.6 days\), got 0"),
    ({"time_limit": float("inf")}, r"time_limit must be a number of seconds > 0 and at most 1e\+06 .*, got inf"),
    ({"time_limit": 1e9}, r"time_limit must be a number of seconds > 0 and at most 1e\+06 .*, got 1000000000.0"),
    ({"seed": -1}, r"seed must be an integer from 0 to 2147483647 \(HiGHS's range\), got -1"),
    ({"seed": True}, r"seed must be an integer from 0 to 2147483647 .*, got True"),
    # HiGHS kept its previous seed for a larger one, silently: every such seed was another's
    ({"seed": 2**31}, r"seed must be an integer from 0 to 2147483647 .*, got 2147483648"),
    ({"use_ilp": "no"}, r"use_ilp must be True or False, got 'no'"),
    ({"solver": "gurobi"}, r"unknown solver 'gurobi'; choose one of highs, cbc"),
])
def test_bad_options(kwargs, pattern):
    with pytest.raises(QmosaicError, match=pattern):
        qmosaic.CompileOptions(**kwargs)


def test_numpy_numbers_are_taken_as_plain_ones():
    """NumPy integers and floats (from ``np.arange``, a data frame) were refused as if the value
    were wrong ("seed must be an integer >= 0, got np.int64(3)"; found by fuzzing): options and
    network fields hold them as plain numbers, and the compile is the plain one's."""
    import numpy as np

    options = qmosaic.CompileOptions(seed=np.int64(3), time_limit=np.float32(2.0), effort="fast")
    assert (type(options.seed), type(options.time_limit)) == (int, float) and options.seed == 3
    net = Network.from_modules(list(np.array([3, 3])), [(0, 1)], comm_qubits=np.int64(2))
    assert [type(q.qubits) for q in net.qpus] == [int, int] and net.qpus[0].comm_qubits == 2
    qc = QuantumCircuit(5)
    qc.h(0)
    for i in range(4):
        qc.cx(i, i + 1)
    plain = qmosaic.compile(qc, Network.from_modules([3, 3], [(0, 1)], comm_qubits=2),
                            options=qmosaic.CompileOptions(seed=3, time_limit=2.0, effort="fast"))
    result = qmosaic.compile(qc, net, options=options)
    assert result.qasm() == plain.qasm()
    assert_verified(result)
    with pytest.raises(QmosaicError, match=r"seed must be an integer from 0 to 2147483647 .*, got .*2\.5"):
        qmosaic.CompileOptions(seed=np.float64(2.5))


def test_an_unknown_device_in_from_modules_names_the_known_ones():
    """A bare ``KeyError: 'quantinuum-h1'`` before (found by fuzzing); a network file says so too."""
    with pytest.raises(NetworkError, match=r"unknown device 'quantinuum-h1'; known: .*quantinuum-h2"):
        Network.from_modules([3, 3], [(0, 1)], device="quantinuum-h1")


def test_unknown_solver_in_options_is_a_solver_error():
    with pytest.raises(SolverError):
        qmosaic.CompileOptions(solver="gurobi")


def _dag(n: int = 4):
    qc = QuantumCircuit(n)
    for i in range(n - 1):
        qc.cx(i, i + 1)
    return circuit_to_dag(qc)


def test_unknown_solver_in_the_placer_is_a_solver_error():
    from qmosaic.passes.placement import place

    with pytest.raises(SolverError, match=r"unknown solver 'gurobi'; choose one of highs, cbc"):
        place(_dag(), qmosaic.load_network("pair-2x4"), solver="gurobi")


def test_highs_not_installed_is_a_solver_error(monkeypatch):
    from qmosaic.passes.placement import place

    monkeypatch.setitem(sys.modules, "highspy", None)  # `import highspy` now raises ImportError
    with pytest.raises(SolverError, match=r"highspy.*not installed.*solver='cbc'"):
        place(_dag(), qmosaic.load_network("pair-2x4"), time_limit=1)
    qc = QuantumCircuit(6)
    qc.h(range(6))
    for i in range(5):
        qc.cx(i, i + 1)
    with pytest.raises(SolverError, match=r"highspy"):
        qmosaic.compile(qc, "pair-2x4", options=FAST)


def test_cbc_binary_missing_is_a_solver_error(monkeypatch):
    import pulp

    from qmosaic.passes.placement import place

    monkeypatch.setattr(pulp.PULP_CBC_CMD, "available", lambda self: False)
    net = qmosaic.load_network("line-3x3")
    qc = QuantumCircuit(7)
    qc.h(range(7))
    for i in range(7):
        qc.cp(0.2, i, (i + 3) % 7)
    with pytest.raises(SolverError, match=r"solver 'cbc' is not available"):
        place(circuit_to_dag(qc), net, solver="cbc", time_limit=1)


# --- verification ------------------------------------------------------------------------------------------
def test_verifying_a_mid_circuit_measurement_is_refused():
    qc = QuantumCircuit(2, 1)
    qc.h(0)
    qc.measure(0, 0)
    qc.cx(0, 1)
    result = qmosaic.compile(qc, "pair-2x4", options=FAST)
    with pytest.raises(VerificationError, match=r"mid-circuit or non-unitary operations \(measure\)"):
        result.verify()


def test_verifying_a_circuit_with_initialize_is_refused():
    """``Initialize`` resets its qubits: no process to compare (Qiskit raised CircuitError inverting it).
    The output is checked by sampling instead: |1> on qubit 0, copied onto qubit 1, reads 11."""
    from qiskit import transpile
    from qiskit_aer import AerSimulator

    qc = QuantumCircuit(2)
    qc.initialize([0, 1], 0)
    qc.cx(0, 1)
    qc.measure_all()
    result = qmosaic.compile(qc, "pair-2x4", options=FAST)
    with pytest.raises(VerificationError, match=r"the input circuit has mid-circuit or non-unitary operations "
                                                r"\(initialize\)"):
        result.verify()
    sim = AerSimulator(seed_simulator=3)
    counts = sim.run(transpile(result.circuit, sim), shots=200).result().get_counts()
    meas = [reg.name for reg in result.circuit.cregs].index("meas")
    order = list(reversed(range(len(result.circuit.cregs))))  # Qiskit prints the last register first
    assert {key.split()[order.index(meas)] for key in counts} == {"11"}


def test_verifying_an_input_with_a_unitary_instruction_still_works():
    """Refusing ``Initialize`` must not refuse a sub-circuit appended as an instruction."""
    bell = QuantumCircuit(2, name="bell")
    bell.h(0)
    bell.cx(0, 1)
    qc = QuantumCircuit(3)
    qc.append(bell.to_instruction(), [0, 2])
    qc.cx(2, 1)
    result = qmosaic.compile(qc, "pair-2x4", options=FAST)
    assert result.verify() > 1 - 1e-9


def test_verifying_an_isometry_does_not_kill_the_process():
    """The inverse of an ``Isometry`` reached Aer as its ``multiplexer`` instruction, and Aer died
    of a segmentation fault simulating it (found by fuzzing); run in a child process so that a
    crash fails this test only."""
    code = ("import qmosaic\nfrom qiskit import QuantumCircuit\nfrom qiskit.circuit.library import Isometry\n"
            "from qiskit.quantum_info import random_unitary\nqc = QuantumCircuit(2)\n"
            "qc.append(Isometry(random_unitary(4, seed=1).data[:, :2], 0, 0), [0, 1])\nqc.cx(0, 1)\n"
            "opts = qmosaic.CompileOptions(effort='fast', time_limit=5)\n"
            "print(qmosaic.compile(qc, 'pair-2x4', options=opts).verify())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-500:]
    assert float(done.stdout.split()[-1]) > 1 - 1e-9


def test_verifying_too_wide_a_circuit_is_refused():
    from qmosaic.verify import MAX_VERIFY_QUBITS, process_fidelity

    n = 15
    qc = QuantumCircuit(n)
    qc.h(range(n))
    with pytest.raises(VerificationError, match=rf"needs {2 * n} simulated qubits.*limit {MAX_VERIFY_QUBITS}"):
        process_fidelity(qc, qc, list(range(n)), list(range(n)))


def test_verifying_a_wide_circuit_warns_that_it_is_slow(monkeypatch):
    """Near the limit one check took minutes with no word (found by fuzzing): above
    ``SLOW_VERIFY_QUBITS`` a warning says how many qubits are simulated; the answer is unchanged."""
    import qmosaic.verify as verify

    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    monkeypatch.setattr(verify, "SLOW_VERIFY_QUBITS", 5)
    with pytest.warns(UserWarning, match=r"verifying by simulation on 6 qubits \(3 active .* \+ 3 references\)"):
        assert verify.process_fidelity(qc, qc, [0, 1, 2], [0, 1, 2]) == pytest.approx(1.0)


def test_verifying_with_a_mismatched_layout_is_refused():
    from qmosaic.verify import process_fidelity

    qc = QuantumCircuit(3)
    with pytest.raises(VerificationError, match=r"layout names 2 logical qubits but the input has 3"):
        process_fidelity(qc, qc, [0, 1], [0, 1])


def test_verifying_with_a_layout_outside_the_circuit_is_refused():
    from qmosaic.verify import process_fidelity

    qc = QuantumCircuit(2)
    with pytest.raises(VerificationError, match=r"layout names qubit 999 but the compiled circuit has qubits 0..1"):
        process_fidelity(qc, qc, [0, 999], [0, 1])
    with pytest.raises(VerificationError, match=r"shots must be an integer from 1 to 1000000, got 0"):
        process_fidelity(qc, qc, [0, 1], [0, 1], shots=0)


def test_verification_shots_and_seed_out_of_range_are_refused_and_numpy_layouts_taken():
    """``verify(shots=2**32)`` ended in ``KeyError: 'probs'`` from Aer, ``verify(seed=2**70)`` in a
    ``TypeError``, and a NumPy layout was refused as if it listed no qubit indices (found by
    fuzzing).  A negative seed is Aer's "random": refused too."""
    import numpy as np

    from qmosaic.verify import process_fidelity

    result = qmosaic.compile(qft_cp(4), "pair-2x4", options=dataclasses.replace(FAST, effort="fast"))
    for kwargs, pattern in (({"shots": 2**32}, r"shots must be an integer from 1 to 1000000, got 4294967296"),
                            ({"seed": 2**70}, r"seed must be an integer from 0 to 2147483647, got 1180591620717411"),
                            ({"seed": -1}, r"seed must be an integer from 0 to 2147483647, got -1")):
        with pytest.raises(VerificationError, match=pattern):
            result.verify(**kwargs)
    layout = result.report["layout"]
    fidelity = process_fidelity(result.logical, result.circuit, np.array(layout["initial"]),
                                [np.int64(p) for p in layout["final"]], seed=np.int64(7))
    assert fidelity > 1 - 1e-9


def test_an_empty_circuit_compiles_and_verifies():
    result = qmosaic.compile(QuantumCircuit(0), "pair-2x4", options=FAST)
    assert result.report["ebits"]["total"] == 0 and result.verify() == 1.0


@pytest.mark.parametrize("bad", [None, 5])
def test_a_network_that_is_neither_name_nor_file_nor_network(bad):
    with pytest.raises(QmosaicError, match=r"network must be a qmosaic Network, a preset name or a .toml/.json path"):
        qmosaic.compile(QuantumCircuit(2), bad, options=FAST)


def test_options_that_are_not_compile_options():
    with pytest.raises(QmosaicError, match=r"options must be a qmosaic.CompileOptions, got dict"):
        qmosaic.compile(QuantumCircuit(2), "pair-2x4", options={"time_limit": 1})


def test_relay_through_a_full_chiplet_names_the_route():
    """QFT on 32 qubits fills all four chiplets of ``cepheus-chiplets`` (8 data qubits and one
    communication qubit each, in a ring), so qubits on opposite chiplets interact: the copy must
    pass a chiplet whose one communication qubit holds it already, with no data qubit free to
    park on and none to leave free.  The error names the route and the three ways out."""
    from conftest import qft_cp

    with pytest.raises(NetworkError) as info:
        qmosaic.compile(qft_cp(32), "cepheus-chiplets", options=qmosaic.CompileOptions(effort="fast"))
    assert re.search(r"QPU 'chip\d' has 1 communication qubit\(s\), too few to relay entanglement from 'chip\d' to "
                     r"'chip\d' .* give it at least 2 \(comm_qubits\), or link 'chip\d' and "
                     r"'chip\d' directly, or leave one of its data qubits free", message(info))


def test_a_relay_error_at_the_fast_effort_advises_the_full_one():
    """A ladder of six qubits on a star of three two-qubit ion modules with one communication
    qubit each: the circuit fills the network, so no data qubit can be left free for the hub to
    relay through.  The full effort places otherwise from its first placement on, and in a
    fuzzing round it compiled 4 of 80 such circuits the fast effort refused: the fast effort's
    error says so, the full effort's does not."""
    qc = QuantumCircuit(6)
    for layer in range(3):
        for q in range(6):
            qc.ry(0.3 + q + layer, q)
        for q in range(layer % 2, 5, 2):
            qc.cx(q, q + 1)
        qc.cx(5, 0)
    net = Network.from_modules([2, 2, 2], [(0, 1), (0, 2)], comm_qubits=1, name="star3x2")
    with pytest.raises(RelayError, match=r"QPU 'm0' .*too few to relay.*; effort='full' places otherwise"):
        qmosaic.compile(qc, net, options=dataclasses.replace(FAST, effort="fast"))
    with pytest.raises(RelayError) as refused:
        qmosaic.compile(qc, net, options=dataclasses.replace(FAST, time_limit=1))
    assert "effort='full'" not in str(refused.value)


def test_the_placer_and_its_pass_refuse_a_seed_highs_cannot_take():
    """``place`` and ``ILPPlacement`` took any seed; HiGHS kept its previous one beyond 2**31 - 1."""
    from qmosaic.passes import ILPPlacement
    from qmosaic.passes.placement import place

    with pytest.raises(QmosaicError, match=r"seed must be an integer from 0 to 2147483647 .*, got 2147483648"):
        ILPPlacement(Network.preset("pair-2x4"), seed=2**31)
    with pytest.raises(QmosaicError, match=r"seed must be an integer from 0 to 2147483647 .*, got -3"):
        place(circuit_to_dag(QuantumCircuit(2)), Network.preset("pair-2x4"), seed=-3)

"""The benchmark harness: its compiler-independent bound (can a circuit cost 0 ebits without qubit
reuse?), and the speed reference against Qiskit."""

from pathlib import Path

from qiskit import QuantumCircuit

import qmosaic
from benchmarks.bounds import interaction_components, packs, reuse_free_bound
from benchmarks.cases import Case
from benchmarks.jobs import _qiskit_reference, _timed, make_options
from benchmarks.run import _record, _row, format_summary, summarise
from conftest import check_compiled
from test_reuse import bernstein_vazirani


def test_components_follow_multi_qubit_gates_and_control_flow_bodies():
    qc = QuantumCircuit(6, 1)
    qc.cx(0, 1)
    qc.ccx(1, 2, 3)
    qc.measure(4, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.cz(4, 5)
    qc.barrier()  # a barrier joins nothing
    assert interaction_components(qc) == [4, 2]


def test_packing_is_exact_not_just_the_largest_component():
    assert packs([3, 1, 1], [3, 2]) is True
    assert packs([4, 4, 4], [6, 6]) is False  # each fits alone, three do not
    assert packs([5, 3], [6, 4]) is True
    assert packs([1] * 9, [4, 4]) is False  # more qubits than slots
    assert packs([2] * 20, [40]) is None  # too many components to search


def test_three_pairs_into_two_modules_of_three_do_not_pack():
    # 2 + 2 > 3, so at most one pair per module: the third pair has nowhere to go.
    assert packs([2, 2, 2], [3, 3]) is False
    assert packs([2, 2, 2, 1, 1], [4, 4]) is True


def test_bound_matches_what_the_compiler_spends_without_reuse():
    qc = bernstein_vazirani()  # 5 ones + ancilla: 6 interacting qubits, pair-2x4 holds 4 per QPU
    bound = reuse_free_bound(qc, [4, 4])
    assert bound == {"bound": 1, "reason": "a component of 6 interacting qubits, modules of at most 4"}
    without = qmosaic.compile(qc, "pair-2x4", options=qmosaic.CompileOptions(time_limit=3, reuse=False))
    with_reuse = qmosaic.compile(qc, "pair-2x4", options=qmosaic.CompileOptions(time_limit=3))
    assert without.report["ebits"]["total"] >= bound["bound"]
    assert with_reuse.report["ebits"]["total"] == 0  # reuse is what the bound leaves out
    check_compiled(without)
    check_compiled(with_reuse)
    assert reuse_free_bound(bernstein_vazirani("1100000"), [4, 4])["bound"] == 0


def _case(best: float) -> Case:
    return Case(id="bv-x", circuit_path=Path("bv.qasm"), modules=(4, 4), edges=((0, 1),), best_published=best,
                published=({"tool": "some tool", "ebits": best},))


def test_a_published_figure_below_the_bound_is_compared_on_the_file_and_named():
    res = {"ebits": 0, "without_reuse": {"ebits": 1, "check": "sim"}, "check": "sim",
           "reuse_free_bound": {"bound": 1, "reason": "a component of 6 interacting qubits, modules of at most 4"}}
    below = _record(_case(0.0), dict(res))
    assert below["compared_ebits"] == 0
    assert _row(below)[3:5] == ["0 (1‡)", "0§"]
    normal = _record(_case(1.0), dict(res))
    assert normal["compared_ebits"] == 1
    assert _row(normal)[3:5] == ["1‡ (0)", "1"]
    summary = summarise([below, normal])
    assert summary["losses"] == 0 and summary["wins_or_ties"] == 2
    assert [b["id"] for b in summary["published_below_bound"]] == ["bv-x"]
    assert summary["without_reuse"] == ["bv-x"]  # only the normal record
    worse = _record(_case(0.0), {**res, "ebits": 1})  # the file itself costs more: still a loss
    assert summarise([worse])["losses"] == 1


def test_the_speed_reference_times_qiskit_on_circuits_with_measurements_and_if_blocks():
    qc = bernstein_vazirani()
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(0)
    ref = _qiskit_reference(qc, 8)
    assert ref["qiskit_o1_seconds"] > 0, ref
    assert "qiskit_o1_error" in _qiskit_reference(qc, 4)  # 8 qubits do not fit a 4-qubit device


def test_the_summary_counts_cases_no_slower_than_qiskit():
    res = {"ebits": 1, "check": "sim", "reuse_free_bound": {"bound": 0, "reason": "components pack"}}
    fast = _record(_case(1.0), {**res, "compile_seconds": 0.1, "qiskit_o1_seconds": 0.2})
    slow = _record(_case(1.0), {**res, "compile_seconds": 3.0, "qiskit_o1_seconds": 0.1})
    untimed = _record(_case(1.0), {**res, "compile_seconds": 3.0})
    summary = summarise([fast, slow, untimed])
    assert (summary["qiskit_timed"], summary["not_slower_than_qiskit"]) == (2, 1)
    assert summary["median_time_ratio_vs_qiskit"] == 30.0
    assert _row(fast)[8] == "0.20" and _row(untimed)[8] == "-"


def test_alternating_timing_runs_report_each_sides_fastest_and_keep_the_first_result():
    """Two runs of each side, alternating: the fastest of each is the record's time, every run is
    listed, the stages are the fastest run's, and the compiled result is the first run's (fast
    effort: the same circuit both times).  The output is simulated."""
    qc = bernstein_vazirani()
    options = make_options(time_limit=5, translate=False, effort="fast")
    result, timing = _timed(qc, "line-3x3", options, 9, 2)
    runs, reference = timing["compile_seconds_runs"], timing["qiskit_o1_seconds_runs"]
    assert len(runs) == len(reference) == 2
    assert timing["compile_seconds"] == min(runs) and timing["qiskit_o1_seconds"] == min(reference)
    assert timing["stage_seconds"]["total"] <= max(runs)
    assert result.report["ebits"]["total"] == qmosaic.compile(qc, "line-3x3", options=options).report["ebits"]["total"]
    check_compiled(result)
    one = _timed(qc, "line-3x3", options, None, 1)[1]
    assert "compile_seconds_runs" not in one and "qiskit_o1_seconds" not in one


def test_the_summary_counts_first_runs_apart():
    """Each side's first run alone (qmosaic cold in a fresh worker) is counted too."""
    res = {"ebits": 1, "check": "sim", "reuse_free_bound": {"bound": 0, "reason": "components pack"}}
    warm = _record(_case(1.0), {**res, "compile_seconds": 0.1, "qiskit_o1_seconds": 0.15,
                                "compile_seconds_runs": [0.3, 0.1], "qiskit_o1_seconds_runs": [0.2, 0.15]})
    single = _record(_case(1.0), {**res, "compile_seconds": 0.1, "qiskit_o1_seconds": 0.2})
    summary = summarise([warm, single])
    assert (summary["not_slower_than_qiskit"], summary["first_runs_timed"], summary["first_runs_not_slower"]) == (2, 1, 0)
    assert "their first runs alone: no slower on 0 of 1" in format_summary(summary)


def test_the_summary_compares_with_the_published_tools_own_times():
    """A case whose published figures carry seconds is compared on time with the timed tool of
    fewest ebits (then the fastest); one without seconds is not."""
    res = {"check": "sim", "reuse_free_bound": {"bound": 0, "reason": "components pack"}}
    timed = Case(id="qft-x", circuit_path=Path("qft.qasm"), modules=(4, 4), edges=((0, 1),), best_published=7,
                 published=({"tool": "slow", "ebits": 7, "seconds": 25.0}, {"tool": "fast", "ebits": 7, "seconds": 2.0},
                            {"tool": "worse", "ebits": 9, "seconds": 0.5}, {"tool": "paper", "ebits": 6}))
    wins = _record(timed, {**res, "ebits": 7, "compile_seconds": 0.1})
    loses = _record(timed, {**res, "ebits": 8, "compile_seconds": 0.01})
    untimed = _record(_case(1.0), {**res, "ebits": 1, "compile_seconds": 0.1})
    summary = summarise([wins, loses, untimed])
    assert [(t["tool"], t["ebits"], t["seconds"], t["speedup"]) for t in summary["tools_timed"]] == \
        [("fast", 7, 2.0, 20.0), ("fast", 7, 2.0, 200.0)]
    assert summary["no_more_ebits_and_faster"] == 1 and summary["geomean_speedup_vs_tools"] == 63.2
    assert "no more ebits and at least 20x faster on 1 of 2 cases" in format_summary(summary)


def test_the_scarce_benchmark_checks_outputs_and_records_errors_on_one_line():
    """``python -m benchmarks scarce``: four networks of 32 data qubits, one communication qubit
    per QPU; a Clifford output is checked with stim, a case that cannot relay is a row with its
    one-line error, not a crash of the run."""
    from benchmarks.jobs import make_options
    from benchmarks.scarce import _compile, scarce_networks
    from conftest import qft_cp

    nets = scarce_networks()
    assert list(nets) == ["ions-line", "ions-ring", "ions-star", "cepheus-chiplets"]
    for net in nets.values():
        assert sum(q.qubits for q in net.qpus) == 32 and {q.comm_qubits for q in net.qpus} == {1}
    ghz = QuantumCircuit(20)
    ghz.h(0)
    for i in range(19):
        ghz.cx(i, i + 1)
    row = _compile(ghz, nets["ions-ring"], make_options(effort="fast"), check=True)
    assert row["check"] == "stim" and row["ebits"] >= 2 and row["evictions"] == 0
    row = _compile(qft_cp(32), nets["ions-line"], make_options(effort="fast"), check=False)
    assert row["error"].startswith("RelayError: QPU ") and "\n" not in row["error"]

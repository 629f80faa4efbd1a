"""The Qiskit stage plugins: ``transpile(qc, target=net.target(), layout_method="qmosaic", routing_method="qmosaic")``.

Every compiled circuit is checked by simulation (process fidelity through
``result.layout``), for optimisation levels 0-3, on several networks.
"""

from __future__ import annotations

import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest
from qiskit import QuantumCircuit, qasm3, transpile
from qiskit.circuit import ControlFlowOp
from qiskit.providers.fake_provider import GenericBackendV2
from qiskit.transpiler import PassManager, TranspilerError, generate_preset_pass_manager
from qiskit.transpiler.basepasses import BasePass, TransformationPass
from qiskit.transpiler.preset_passmanagers.plugin import list_stage_plugins

import qmosaic.passes
import qmosaic.plugin
from qmosaic import BudgetError, CapacityError, CompileOptions, Network, PassError, QmosaicError
from qmosaic.passes import NormalizeForDistribution, PlacementStatus
from qmosaic.plugin import QmosaicEmbedding, QmosaicRouting, placer_options
from qmosaic.targets import network_target
from qmosaic.verify import process_fidelity

ROOT = Path(__file__).resolve().parents[1]
OPTIONS = CompileOptions(time_limit=2.0, seed=0)
PLUGINS = {"layout_method": "qmosaic", "routing_method": "qmosaic"}
NETWORKS = ["line-3x3", "pair-2x4", "cepheus-chiplets", "hetero-small"]
LEVELS = [0, 1, 2, 3]


@lru_cache(maxsize=None)
def network(name: str) -> Network:
    if name == "hetero-small":  # ions, heavy-hex superconducting, atoms, memory hub
        return Network.from_file(str(ROOT / "examples" / "hetero.toml"))
    return Network.preset(name)


def target(name: str, options: CompileOptions | None = OPTIONS):
    return network_target(network(name), qmosaic_options=options)


def mixed_circuit(n: int = 6) -> QuantumCircuit:
    """GHZ fan-out, controlled phases, a Toffoli, a SWAP (ElidePermutations at L2/3), measure_all."""
    qc = QuantumCircuit(n, name="mixed")
    qc.h(0)
    for i in range(1, n):
        qc.cx(0, i)
    qc.cp(0.7, n - 1, 1)
    qc.ccx(0, 1, 2)
    qc.rzz(0.4, 2, n - 1)
    qc.swap(1, n - 2)
    qc.t(3)
    qc.ry(0.3, n - 1)
    qc.cx(3, 0)
    qc.cz(n - 1, 2)
    qc.measure_all()
    return qc


def teledata_circuit() -> QuantumCircuit:
    """Two qubits that talk to three others with non-diagonal gates (a TeleData candidate)."""
    qc = QuantumCircuit(6, name="teledata")
    for i in range(6):
        qc.h(i)
    for i in range(4):
        qc.cx(i, i + 1)
        qc.cx(i + 1, i)
    for a in (4, 5):
        for b in (0, 1, 2):
            qc.cx(a, b)
            qc.h(a)
            qc.cx(b, a)
            qc.ry(0.3, a)
    return qc


def owners(net: Network) -> list[int]:
    """QPU index of every physical qubit (from ``net.offsets``)."""
    return [k for k in range(len(net.qpus)) for _ in range(net.offsets[k], net.offsets[k + 1])]


def assert_local(out: QuantumCircuit, net: Network) -> None:
    """No SWAP anywhere; every multi-qubit operation other than ``epr`` stays inside one QPU."""
    owner = owners(net)
    assert out.num_qubits == net.num_qubits
    assert [reg.name for reg in out.qregs] == [q.name for q in net.qpus]

    def walk(circuit: QuantumCircuit, qubits: list[int]) -> None:
        for inst in circuit.data:
            op = inst.operation
            where = [qubits[circuit.find_bit(q).index] for q in inst.qubits]
            assert op.name != "swap", "a SWAP survived translation"
            if isinstance(op, ControlFlowOp):
                for block in op.blocks:
                    walk(block, where)
                continue
            if op.name == "barrier":
                continue
            qpus = {owner[p] for p in where}
            if op.name == "epr":
                assert len(qpus) == 2, f"epr inside one QPU on {where}"
            else:
                assert len(qpus) == 1, f"{op.name} on {where} spans QPUs {sorted(qpus)}"

    walk(out, list(range(out.num_qubits)))


def check(original: QuantumCircuit, out: QuantumCircuit, net: Network) -> float:
    """Process fidelity of ``out`` against ``original`` through ``out.layout``."""
    n = original.num_qubits
    initial = out.layout.initial_index_layout(filter_ancillas=True)
    final = out.layout.final_index_layout(filter_ancillas=True)
    assert len(initial) == len(final) == n
    assert sorted(out.layout.routing_permutation()) == list(range(net.num_qubits))
    assert_local(out, net)
    return process_fidelity(original, out, initial, final)


# --- registration ------------------------------------------------------------------------------------
@pytest.mark.parametrize("stage", ["layout", "routing", "scheduling"])
def test_plugins_are_registered(stage):
    assert "qmosaic" in list_stage_plugins(stage)


# --- correctness by simulation -------------------------------------------------------------------------
def test_user_gate_named_like_a_standard_gate_is_transpiled_by_its_definition():
    """Qiskit's translation goes by name: a user's one-qubit ``h`` defined as an x came out as an h.
    The layout stage's normalisation expands such a gate into its definition first."""
    x = QuantumCircuit(1, name="h")
    x.x(0)
    qc = QuantumCircuit(4)
    qc.append(x.to_gate(), [0])
    qc.cx(0, 3)
    out = transpile(qc, target=target("line-3x3"), optimization_level=1, seed_transpiler=11, **PLUGINS)
    assert check(qc.decompose(), out, network("line-3x3")) > 1 - 1e-6


def test_user_gate_named_like_a_standard_gate_in_an_if_block_or_nested_is_transpiled_by_its_definition():
    """The same in an if-block and nested in another user gate (both kept whole by the normalisation,
    then read by name by Qiskit's translation): every shot must read 111 (an h would give 1 in 2)."""
    from qiskit_aer import AerSimulator

    x = QuantumCircuit(1, name="h")
    x.x(0)
    wrapper = QuantumCircuit(1, name="wrapper")
    wrapper.append(x.to_gate(), [0])
    qc = QuantumCircuit(4, 3)
    qc.x(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.append(x.to_gate(), [1])
    qc.append(wrapper.to_gate(), [2])
    qc.cx(1, 3)
    qc.cx(2, 3)
    qc.cx(3, 0)
    qc.measure(1, 1)
    qc.measure(2, 2)
    out = transpile(qc, target=target("line-3x3"), optimization_level=1, seed_transpiler=11, **PLUGINS)
    assert out.count_ops().get("epr", 0) > 0
    sim = AerSimulator()
    counts = sim.run(transpile(out, sim), shots=64, seed_simulator=3).result().get_counts()
    assert {key.split()[-1] for key in counts} == {"111"}


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("name", NETWORKS)
def test_transpile_is_correct(name, level):
    qc = mixed_circuit()
    out = transpile(qc, target=target(name), optimization_level=level, seed_transpiler=11, **PLUGINS)
    assert check(qc, out, network(name)) > 1 - 1e-6
    if network(name).data_capacity // len(network(name).qpus) < qc.num_qubits:
        assert out.count_ops().get("epr", 0) > 0  # the circuit had to be distributed
    assert out.count_ops()["measure"] >= qc.num_qubits


@pytest.mark.parametrize("level", LEVELS)
def test_generate_preset_pass_manager_with_scheduling(level):
    qc = teledata_circuit()
    pm = generate_preset_pass_manager(level, target=target("pair-2x4"), scheduling_method="qmosaic",
                                      seed_transpiler=3, **PLUGINS)
    out = pm.run(qc)
    assert check(qc, out, network("pair-2x4")) > 1 - 1e-6
    ps = pm.property_set
    routing = ps["qmosaic_routing"]
    assert list(routing.final) == out.layout.final_index_layout()
    assert ps["qmosaic_comm_plan"].ebits == out.count_ops()["epr"]
    schedule = ps["qmosaic_schedule"]
    link = network("pair-2x4").links[0]
    assert schedule.makespan >= 1.0 / link.epr_rate_hz  # at least one EPR pair's generation time
    # the scheduling stage is analysis only: the circuit is the same without it
    plain = generate_preset_pass_manager(level, target=target("pair-2x4"), seed_transpiler=3, **PLUGINS).run(qc)
    assert plain == out


def test_qubit_that_ends_on_another_qpu_is_tracked():
    """TeleData may leave a qubit in a communication qubit of another QPU; final_layout follows it."""
    qc = teledata_circuit()
    pm = generate_preset_pass_manager(1, target=target("pair-2x4"), seed_transpiler=3, **PLUGINS)
    out = pm.run(qc)
    routing, plan = pm.property_set["qmosaic_routing"], pm.property_set["qmosaic_comm_plan"]
    assert plan.final_wires, "no qubit ends away from home any more: pick a circuit that still makes one"
    owner = owners(network("pair-2x4"))
    assert any(owner[a] != owner[b] for a, b in zip(routing.initial, routing.final))
    assert out.layout.initial_index_layout(filter_ancillas=True) == list(routing.initial)
    assert out.layout.final_index_layout() == list(routing.final)
    assert check(qc, out, network("pair-2x4")) > 1 - 1e-6


def test_passes_between_layout_and_routing_are_respected():
    """A pass that adds a gate after layout: routing re-reads the circuit instead of a stale copy."""
    net = network("line-3x3")
    qc = QuantumCircuit(6)
    qc.h(0)
    for i in range(1, 6):
        qc.cx(0, i)

    class AddCZ(TransformationPass):
        """Append cz between the physical homes of logical qubits 1 and 5."""

        def run(self, dag):
            layout = self.property_set["layout"]
            a, b = (dag.qubits[layout[qc.qubits[i]]] for i in (1, 5))
            from qiskit.circuit.library import CZGate

            dag.apply_operation_back(CZGate(), (a, b), ())
            return dag

    pm = generate_preset_pass_manager(1, target=target("line-3x3"), seed_transpiler=2, **PLUGINS)
    pm.pre_routing = PassManager([AddCZ()])
    out = pm.run(qc)
    expected = qc.copy()
    expected.cz(1, 5)
    assert check(expected, out, net) > 1 - 1e-6


def test_checker_catches_a_wrong_layout():
    """Mutation check of the test itself: a wrong final layout must fail."""
    qc = mixed_circuit()
    out = transpile(qc, target=target("line-3x3"), optimization_level=1, seed_transpiler=11, **PLUGINS)
    initial = out.layout.initial_index_layout(filter_ancillas=True)
    final = out.layout.final_index_layout()
    wrong = [final[1], final[0], *final[2:]]
    assert process_fidelity(qc, out, initial, wrong) < 0.9


def test_same_seed_same_output():
    qc = mixed_circuit()
    runs = [transpile(qc, target=target("line-3x3"), optimization_level=2, seed_transpiler=5, **PLUGINS)
            for _ in range(2)]
    assert qasm3.dumps(runs[0]) == qasm3.dumps(runs[1])
    other = transpile(mixed_circuit(5), target=target("line-3x3"), optimization_level=2, seed_transpiler=5,
                      **PLUGINS)
    assert qasm3.dumps(other) != qasm3.dumps(runs[0])


# --- options ---------------------------------------------------------------------------------------------
def test_options_travel_on_the_target():
    t = target("line-3x3", CompileOptions(time_limit=1.5, seed=4, use_ilp=False))
    assert placer_options(t, seed_transpiler=99) is t.qmosaic_options
    pm = generate_preset_pass_manager(1, target=t, seed_transpiler=99, **PLUGINS)
    pm.run(mixed_circuit())
    assert pm.property_set["qmosaic_partition"].status is PlacementStatus.HEURISTIC


def test_fast_effort_reaches_the_placer(monkeypatch):
    import qmosaic.passes.placement as placement

    monkeypatch.setattr(placement, "build_model", lambda *a, **k: pytest.fail("exact model built at effort='fast'"))
    qc = mixed_circuit()
    t = target("line-3x3", CompileOptions(effort="fast"))
    pm = generate_preset_pass_manager(1, target=t, seed_transpiler=1, **PLUGINS)
    out = pm.run(qc)
    assert pm.property_set["qmosaic_partition"].solver == "heuristic"
    assert check(qc, out, network("line-3x3")) > 1 - 1e-6


@pytest.mark.parametrize("level, effort", [(0, "fast"), (1, "fast"), (2, "full"), (3, "full")])
def test_the_optimization_level_chooses_the_effort_without_options(monkeypatch, level, effort):
    """Without qmosaic options, levels 0 and 1 place with the fast effort, 2 and 3 with the full
    one (here it proves 1 ebit optimal; the fast effort stops at 3); options on the target decide
    it themselves."""
    import qmosaic.passes.placement as placement

    fast = []
    real = placement._fast
    monkeypatch.setattr(placement, "_fast", lambda *a, **k: fast.append(1) or real(*a, **k))
    t = target("line-3x3", None)
    assert placer_options(t, 3, level).effort == effort
    assert placer_options(target("line-3x3"), 3, 1).effort == "full"  # OPTIONS say full
    qc = mixed_circuit()
    pm = generate_preset_pass_manager(level, target=t, seed_transpiler=1, **PLUGINS)
    out = pm.run(qc)
    assert bool(fast) == (effort == "fast")
    assert (pm.property_set["qmosaic_partition"].status is PlacementStatus.OPTIMAL) == (effort == "full")
    assert check(qc, out, network("line-3x3")) > 1 - 1e-6


@pytest.mark.parametrize("effort, device", [("fast", "ionq-tempo"), ("full", "ionq-tempo"),
                                            ("fast", "rigetti-cepheus")])
def test_the_layout_stage_leaves_room_for_a_relay_as_compile_does(effort, device):
    """Three ion traps (all-to-all) or square-lattice chiplets in a line with one communication
    qubit each: QFT-7 needs copies between the ends through b, which can relay only by parking an
    EPR half on a free data qubit.  The layout stage places again with one of b's data qubits
    left free (it raised RelayError in the routing stage); the output is simulated."""
    from test_issue4_limits import _one_comm_network

    from conftest import qft_cp

    net = _one_comm_network(device, {"a": 3, "b": 3, "c": 3}, [("a", "b"), ("b", "c")])
    qc = qft_cp(7)
    pm = generate_preset_pass_manager(
        2, target=network_target(net, qmosaic_options=CompileOptions(time_limit=2, seed=0, effort=effort)),
        seed_transpiler=0, **PLUGINS)
    out = pm.run(qc)
    partition = pm.property_set["qmosaic_partition"]
    assert partition.narrowed == (("b", 2),) and partition.placement.count(1) == 2
    assert out.count_ops()["epr"] <= 6
    assert check(qc, out, net) > 1 - 1e-6


def test_the_layout_stage_fixes_a_placement_whose_copies_go_around():
    """The ring of four two-qubit modules with one communication qubit each, six qubits all
    interacting (``test_a_copy_goes_around_a_qpu_that_cannot_relay``): no placement leaves
    room for every relay, so the layout stage fixes one whose copies go around, and the routing
    stage lowers it so (it raised RelayError there); the output is simulated."""
    from test_issue4_limits import all_pairs_on_a_ring

    qc, net = all_pairs_on_a_ring()
    pm = generate_preset_pass_manager(
        2, target=network_target(net, qmosaic_options=CompileOptions(time_limit=2, seed=0, effort="fast")),
        seed_transpiler=0, **PLUGINS)
    out = pm.run(qc)
    assert out.count_ops()["epr"] <= 8
    assert check(qc, out, net) > 1 - 1e-6


def test_relay_room_does_nothing_where_no_qpu_parks(monkeypatch):
    """Networks without a QPU of one communication qubit are not lowered in the layout stage
    (every relay has two there: placing again cannot help)."""
    import qmosaic.passes.relay as relay

    monkeypatch.setattr(relay, "lower_relaying", lambda *a, **k: pytest.fail("lowered in the layout stage"))
    qc = mixed_circuit()
    assert min(q.comm_qubits for q in network("line-3x3").qpus) == 2
    pm = generate_preset_pass_manager(1, target=target("line-3x3"), seed_transpiler=1, **PLUGINS)
    assert check(qc, pm.run(qc), network("line-3x3")) > 1 - 1e-6


@pytest.mark.parametrize("objective", ["fidelity", "latency"])
def test_objective_reaches_the_placer(objective):
    qc = mixed_circuit()
    t = target("line-3x3", CompileOptions(objective=objective, time_limit=2.0, seed=0))
    pm = generate_preset_pass_manager(1, target=t, scheduling_method="qmosaic", seed_transpiler=1, **PLUGINS)
    out = pm.run(qc)
    assert pm.property_set["qmosaic_partition"].objective_name == objective
    assert check(qc, out, network("line-3x3")) > 1 - 1e-6


def test_seed_transpiler_seeds_the_placer_without_options():
    t = target("line-3x3", None)
    assert placer_options(t, seed_transpiler=7) == CompileOptions(seed=7)
    assert placer_options(t, seed_transpiler=None) == CompileOptions()
    # Qiskit takes any seed, HiGHS those below 2**31 (CompileOptions refuses larger ones)
    assert placer_options(t, seed_transpiler=2**31 + 7) == CompileOptions(seed=7)
    with pytest.raises(PassError, match="qmosaic_options must be a qmosaic.CompileOptions"):
        placer_options(network_target(network("line-3x3"), qmosaic_options={"seed": 1}))


# --- errors ----------------------------------------------------------------------------------------------
def test_plain_target_is_refused():
    qc = mixed_circuit(4)
    with pytest.raises(PassError, match=r"network\.target\(\)") as info:
        transpile(qc, target=GenericBackendV2(8, seed=1).target, **PLUGINS)
    assert isinstance(info.value, TranspilerError) and isinstance(info.value, QmosaicError)
    with pytest.raises(PassError, match=r"network\.target\(\)"):
        transpile(qc, basis_gates=["cx", "u"], coupling_map=[[0, 1], [1, 2], [2, 3]], **PLUGINS)
    with pytest.raises(PassError, match=r"network\.target\(\)"):
        generate_preset_pass_manager(1, target=GenericBackendV2(8, seed=1).target, scheduling_method="qmosaic")


def test_circuit_wider_than_the_network_is_refused():
    qc = QuantumCircuit(9)  # pair-2x4: 8 data qubits (+ 4 communication qubits)
    qc.h(range(9))
    with pytest.raises(CapacityError, match=r"9 qubits but network 'pair-2x4' has only 8 data qubits") as info:
        transpile(qc, target=target("pair-2x4"), **PLUGINS)
    assert isinstance(info.value, TranspilerError)


@pytest.mark.parametrize("methods, match", [
    ({"layout_method": "qmosaic", "routing_method": "sabre"},
     r"layout_method='qmosaic' needs routing_method='qmosaic'"),
    ({"layout_method": "qmosaic"}, r"needs routing_method='qmosaic' too \(got None\)"),
    ({"routing_method": "qmosaic"}, r"routing_method='qmosaic' needs layout_method='qmosaic'"),
])
def test_layout_and_routing_come_as_a_pair(methods, match):
    with pytest.raises(PassError, match=match):
        transpile(mixed_circuit(4), target=target("line-3x3"), **methods)


def test_initial_layout_is_refused():
    with pytest.raises(PassError, match="drop initial_layout"):
        transpile(mixed_circuit(4), target=target("line-3x3"), initial_layout=[0, 1, 2, 5], **PLUGINS)


def test_qiskit_alone_cannot_distribute():
    """Without the plugins a circuit that needs two QPUs fails in translation (SWAPs/CXs over ``epr`` edges)."""
    qc = mixed_circuit()  # 6 qubits; a line-3x3 QPU has 3 data + 2 communication qubits
    for level in LEVELS:
        with pytest.raises(TranspilerError, match="Unable to translate") as info:
            transpile(qc, target=target("line-3x3"), optimization_level=level, seed_transpiler=1)
        assert not isinstance(info.value, QmosaicError)


def test_qiskit_asap_cannot_time_feed_forward():
    with pytest.raises(TranspilerError, match="Duration of if_else"):
        transpile(mixed_circuit(), target=target("line-3x3"), scheduling_method="asap", **PLUGINS)


# --- documentation contract ---------------------------------------------------------------------------------
def test_every_pass_documents_its_property_set():
    passes = [getattr(qmosaic.passes, name) for name in qmosaic.passes.__all__]
    passes += [QmosaicEmbedding, QmosaicRouting]
    passes = [p for p in passes if isinstance(p, type) and issubclass(p, BasePass)]
    assert len(passes) >= 8
    for cls in passes:
        doc = " ".join((cls.__doc__ or "").split())
        assert "Property set fields read" in doc and "Property set values written" in doc, cls.__name__
    assert "qmosaic_schedule" in qmosaic.plugin.QmosaicSchedulingPlugin.__doc__


def test_normalize_is_a_workaround_for_sparse_three_qubit_gates():
    """Qiskit's init stage cannot unroll a Toffoli on virtual qubits that share no coupler of the
    target (it reads virtual indices as physical); normalising first avoids that stage's work."""
    qc = QuantumCircuit(5)
    qc.h(0)
    qc.ccz(0, 3, 4)  # qubits 0, 3, 4 of a Cepheus chiplet share no coupler
    qc.cx(4, 1)
    with pytest.raises(TranspilerError, match="ccz"):
        transpile(qc, target=target("cepheus-chiplets"), **PLUGINS)
    flat = NormalizeForDistribution()(qc)
    out = transpile(flat, target=target("cepheus-chiplets"), seed_transpiler=1, **PLUGINS)
    assert check(qc, out, network("cepheus-chiplets")) > 1 - 1e-6
    out = transpile(qc, target=target("cepheus-chiplets"), init_method="qmosaic", seed_transpiler=1, **PLUGINS)
    assert check(qc, out, network("cepheus-chiplets")) > 1 - 1e-6
    assert "qmosaic" in list_stage_plugins("init")


def test_hand_built_pass_manager():
    """The README's hand-built pipeline from the individual passes."""
    from qmosaic.passes import ILPPlacement, InteractionAnalysis, LocalRouting, NativeTranslation, TeleportLowering

    net = network("line-3x3")
    qc = mixed_circuit()
    pm = PassManager([NormalizeForDistribution(), InteractionAnalysis(), ILPPlacement(net, time_limit=2.0),
                      TeleportLowering(net), LocalRouting(net), NativeTranslation(net.target())])
    out = pm.run(qc)
    routing = pm.property_set["qmosaic_routing"]
    assert_local(out, net)
    assert process_fidelity(qc, out, list(routing.initial), list(routing.final)) > 1 - 1e-6


# --- example ---------------------------------------------------------------------------------------------------
def test_example_runs():
    run = subprocess.run([sys.executable, str(ROOT / "examples" / "qiskit_plugin.py")], capture_output=True,
                         text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert "process fidelity 1.000000" in run.stdout
    assert "makespan" in run.stdout


@pytest.mark.parametrize("effort", ["fast", "full"])
def test_the_layout_stage_places_as_if_unbudgeted_where_the_lowering_fits_the_budgets(effort):
    """Two modules of 1 and 3 qubits: one TeleData move (1 ebit) where the placer's model counts
    2.  A link budget of 1 was refused by the layout stage, which kept within budgets by the
    model's count; it now places again as if unbudgeted and keeps that placement when its
    lowering fits, as ``qmosaic.compile`` does.  The output is simulated."""
    from test_issue4_limits import _teledata_and_reuse_circuits, _with_budgets

    qc = _teledata_and_reuse_circuits()[0]
    qc.remove_final_measurements()
    net = _with_budgets(Network.from_modules([1, 3], [(0, 1)], comm_qubits=2), (1,))
    pm = generate_preset_pass_manager(
        1, target=network_target(net, qmosaic_options=CompileOptions(time_limit=2, seed=0, effort=effort)),
        seed_transpiler=0, **PLUGINS)
    out = pm.run(qc)
    assert pm.property_set["qmosaic_partition"].objective == 2  # the model's count, over the budget
    assert out.count_ops()["epr"] == 1
    assert check(qc, out, net) > 1 - 1e-6
    with pytest.raises(BudgetError, match=r"link m0-m1: .*needs 2 ebits but max_ebits is 0; without budgets the "
                                          r"compile spends m0-m1 1 on the links over them"):
        generate_preset_pass_manager(1, target=network_target(_with_budgets(net, (0,)), qmosaic_options=CompileOptions(
            time_limit=2, seed=0, effort=effort)), seed_transpiler=0, **PLUGINS).run(qc)


def test_basis_and_coupling_overrides_beside_a_network_target_are_ignored():
    """What the README says of them: with a network target, Qiskit 2.6 ignores ``basis_gates=`` and
    ``coupling_map=`` without a warning, and the output is in the QPUs' native gates (the README
    said they made Qiskit build a plain ``Target``, refused; found by fuzzing).  Simulated."""
    from qiskit.transpiler import CouplingMap

    net = network("line-3x3")
    qc = mixed_circuit(6)
    qc.remove_final_measurements()
    for override in ({"basis_gates": ["cx", "u"]}, {"coupling_map": CouplingMap.from_line(net.num_qubits)}):
        out = transpile(qc, target=target("line-3x3"), seed_transpiler=0, init_method="qmosaic", **override,
                        **PLUGINS)
        assert not {"cx", "u"} & set(out.count_ops()) and "rzz" in out.count_ops()
        assert check(qc, out, net) > 1 - 1e-6

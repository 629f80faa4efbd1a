"""The machine model: presets, the network Target, lattices, serialisation, network files, devices."""

from __future__ import annotations

import dataclasses
import json

import pytest
import rustworkx as rx

import qmosaic
from conftest import EXAMPLES
from qmosaic.targets import DEVICES, QPU, Link, Network, device_names, preset, preset_names
from qmosaic.targets.coupling import COUPLINGS, coupling_edges, heron_lattice
from qmosaic.targets.devices import device_fields

PRESETS = preset_names()


@pytest.fixture(scope="module", params=PRESETS)
def net(request) -> Network:
    return preset(request.param)


def test_the_presets_the_project_needs_exist():
    for name in ("tempo-pair", "harq-hetero", "cepheus-chiplets", "pair-2x4", "line-3x3", "ring-4x4", "star-5x4"):
        assert name in PRESETS


def test_preset_builds_and_is_consistent(net):
    assert net.name in PRESETS
    assert len(net.qpus) >= 2
    assert net.offsets[0] == 0 and net.offsets[-1] == net.num_qubits
    assert net.num_qubits == sum(q.total_qubits for q in net.qpus)
    assert net.data_capacity == sum(q.qubits for q in net.qpus)
    assert rx.is_connected(net.graph)
    for k, qpu in enumerate(net.qpus):
        data, comm = net.data_indices(k), net.comm_indices(k)
        assert len(data) == qpu.qubits and len(comm) == qpu.comm_qubits
        assert not set(data) & set(comm)
        assert all(net.offsets[k] <= i < net.offsets[k + 1] for i in data + comm)
    for a in range(len(net.qpus)):
        for b in range(len(net.qpus)):
            path = net.route(a, b)
            assert path[0] == a and path[-1] == b
            assert all(net.link_index(x, y) is not None for x, y in zip(path, path[1:]))


def test_preset_via_constructor_and_load_network():
    assert Network.preset("line-3x3") == preset("line-3x3") == qmosaic.load_network("line-3x3")
    built = preset("ring-4x4")
    assert qmosaic.load_network(built) is built


def test_line_routes_through_the_middle():
    line = preset("line-3x3")
    assert line.route(0, 2) == (0, 1, 2)
    assert line.link_index(0, 2) is None
    assert not line.is_complete
    assert preset("pair-2x4").is_complete


def _owner(net: Network, index: int) -> int:
    return next(k for k in range(len(net.qpus)) if index < net.offsets[k + 1])


def test_target_epr_only_on_linked_communication_qubits(net):
    target = net.target()
    assert target.num_qubits == net.num_qubits
    comm = {c for k in range(len(net.qpus)) for c in net.comm_indices(k)}
    epr = set(target["epr"])
    assert epr, "a network with links must offer epr"
    for a, b in epr:
        assert a in comm and b in comm, f"epr on data qubit in {(a, b)}"
        ka, kb = _owner(net, a), _owner(net, b)
        assert ka != kb and net.link_index(ka, kb) is not None
    # and every linked pair of communication qubits has it, in both directions
    for link in net.links:
        ka, kb = (net.index[x] for x in link.between)
        for ca in net.comm_indices(ka):
            for cb in net.comm_indices(kb):
                assert (ca, cb) in epr and (cb, ca) in epr
        props = target["epr"][(net.comm_indices(ka)[0], net.comm_indices(kb)[0])]
        assert props.error == pytest.approx(1 - link.epr_fidelity)


def test_target_local_gates_stay_inside_qpus(net):
    target = net.target()
    assert "if_else" in target.operation_names
    for k, qpu in enumerate(net.qpus):
        base = net.offsets[k]
        pairs = set(target[qpu.gate_2q])
        for a, b in qpu.edges():
            assert (base + a, base + b) in pairs and (base + b, base + a) in pairs
        for name in qpu.gates_1q:
            assert (base,) in target[name]
    for name in target.operation_names:
        if name in ("epr", "if_else") or target.operation_from_name(name).num_qubits != 2:
            continue
        for a, b in target[name]:
            assert _owner(net, a) == _owner(net, b), f"{name} on {(a, b)} crosses QPUs"


def test_target_remembers_its_network():
    net = preset("pair-2x4")
    assert net.target().network is net


def test_heavy_hex_lattice():
    edges = heron_lattice()
    nodes = {q for e in edges for q in e}
    assert len(nodes) == 156 and nodes == set(range(156))
    assert len(edges) == 176 and len(set(map(frozenset, edges))) == 176
    graph = rx.PyGraph()
    graph.add_nodes_from(range(156))
    graph.add_edges_from_no_data(edges)
    assert rx.is_connected(graph)
    assert max(graph.degree(i) for i in range(156)) == 3


@pytest.mark.parametrize("kind", COUPLINGS)
@pytest.mark.parametrize("data, comm", [(1, 1), (4, 1), (7, 2), (12, 2)])
def test_coupling_pieces_are_connected(kind, data, comm):
    edges = coupling_edges(kind, data, comm)
    total = data + comm
    assert all(0 <= a < b < total for a, b in edges)
    graph = rx.PyGraph()
    graph.add_nodes_from(range(total))
    graph.add_edges_from_no_data(edges)
    assert rx.is_connected(graph)
    data_graph = graph.subgraph(list(range(data)))
    assert data <= 1 or rx.is_connected(data_graph)  # data qubits route among themselves


def test_dict_round_trip(net):
    data = net.to_dict()
    assert json.loads(json.dumps(data)) == data  # JSON-serialisable
    assert Network.from_dict(json.loads(json.dumps(data))) == net


def test_qpu_and_link_round_trip():
    net = preset("harq-hetero")
    for qpu in net.qpus:
        assert QPU.from_dict(qpu.to_dict()) == qpu
    for link in net.links:
        assert Link.from_dict(link.to_dict()) == link


def test_models_are_frozen():
    net = preset("pair-2x4")
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.qpus[0].qubits = 3  # type: ignore[misc]
    variant = dataclasses.replace(net.qpus[0], qubits=3)
    assert variant.qubits == 3 and net.qpus[0].qubits == 4


def test_toml_network_file():
    net = qmosaic.load_network(str(EXAMPLES / "hetero.toml"))
    assert net.name == "hetero-small"
    assert [q.name for q in net.qpus] == ["ion", "sc", "atoms", "hub"]
    assert net.qpu("sc").coupling == "heavy-hex" and net.qpu("sc").qubits == 3
    assert net.qpu("hub").qubits == 0 and net.qpu("hub").comm_qubits == 4
    assert net.links[1].max_ebits == 50 and net.links[0].max_ebits is None
    assert Network.from_file(str(EXAMPLES / "hetero.toml")) == net


def test_json_network_file(tmp_path):
    source = preset("star-5x4")
    path = tmp_path / "star.json"
    path.write_text(json.dumps(source.to_dict(), indent=2))
    assert qmosaic.load_network(str(path)) == source


def test_json_network_file_with_devices(tmp_path):
    data = {"name": "mini", "qpus": [{"name": "a", "device": "ionq-forte", "qubits": 3},
                                     {"name": "b", "device": "quera-gemini", "qubits": 3}],
            "links": [{"between": ["a", "b"], "epr_rate_hz": 20.0, "epr_fidelity": 0.9}]}
    path = tmp_path / "mini.json"
    path.write_text(json.dumps(data))
    net = qmosaic.load_network(path)
    assert net.name == "mini"
    assert net.qpu("a").gate_2q == device_fields("ionq-forte")["gate_2q"]
    assert net.qpu("b").modality == "neutral-atom"
    result = qmosaic.compile(str(EXAMPLES / "ghz_qft6.qasm"), path, options=qmosaic.CompileOptions(time_limit=2))
    assert result.report["network"] == "mini"


def test_file_name_is_the_default_network_name(tmp_path):
    path = tmp_path / "unnamed.toml"
    path.write_text('[[qpu]]\nname = "a"\ndevice = "quantinuum-h2"\nqubits = 2\n')
    assert qmosaic.load_network(path).name == "unnamed"


def test_device_catalogue():
    names = set(device_names())
    for name in ("ionq-tempo", "ionq-forte", "quantinuum-h2", "quera-gemini", "ibm-heron", "rigetti-cepheus",
                 "diamond-memory"):
        assert name in names
    for name in names:
        fields = device_fields(name)
        qpu = QPU(name="x", device=name, **fields)  # every catalogue entry is a valid QPU
        assert qpu.modality in ("trapped-ion", "neutral-atom", "superconducting", "memory")
    assert device_fields("ibm-heron")["coupling"] == "heavy-hex"
    with pytest.raises(TypeError):
        DEVICES["ionq-forte"]["qubits"] = 1  # type: ignore[index]  # read-only catalogue


def test_device_fields_are_a_fresh_copy():
    fields = device_fields("ionq-forte")
    fields["qubits"] = -1
    assert device_fields("ionq-forte")["qubits"] > 0


def test_from_modules_builds_benchmark_networks():
    net = Network.from_modules([2, 2, 3], [(0, 1), (1, 2)], comm_qubits=2)
    assert [q.qubits for q in net.qpus] == [2, 2, 3]
    assert all(q.coupling == "all-to-all" and q.comm_qubits == 2 for q in net.qpus)
    assert net.route(0, 2) == (0, 1, 2)

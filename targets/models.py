"""Frozen, validated models of the machine: ``QPU``, ``Link``, ``Network``.

Physical qubit numbering: the network's qubits are the QPUs' qubits in QPU order;
inside a QPU, local indices ``0..qubits-1`` are data qubits and
``qubits..qubits+comm_qubits-1`` are communication qubits (at the photonic interface).
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cached_property
from typing import Any, Mapping

import rustworkx as rx

from .coupling import COUPLINGS, coupling_edges
from .errors import NetworkError

__all__ = ["QPU", "Link", "Network", "MODALITIES", "LINK_KINDS"]

ROUTE_OBJECTIVES = ("ebits", "fidelity", "latency")
MODALITIES = ("trapped-ion", "neutral-atom", "superconducting", "memory")
LINK_KINDS = ("fibre", "converted-fibre", "chiplet", "memory")
GATES_1Q = ("rz", "r", "rx", "ry", "sx", "x", "u")
GATES_2Q = ("cz", "cx", "rzz", "rxx", "ecr")
_TURNS_OFF_Z = ("r", "rx", "ry", "sx", "u")  # with rz, any one of these makes every one-qubit gate
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
LIGHT_IN_FIBRE_M_PER_S = 2.0e8  # HARDWARE.md: distance / (2e8 m/s)
FIBRE_LOSS_DB_PER_KM = 0.2  # telecom wavelengths after conversion (HARDWARE.md)


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise NetworkError(message)


def plain_number(value: Any) -> Any:
    """``value`` as a Python int or float where it is another integer or real number (NumPy's:
    what ``np.arange`` or a data frame hands over), else unchanged: fields hold plain numbers."""
    if isinstance(value, (bool, int, float)) or not isinstance(value, numbers.Real):
        return value
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def _plain_fields(obj: Any, names: tuple[str, ...]) -> None:
    for name in names:
        object.__setattr__(obj, name, plain_number(getattr(obj, name)))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# Physical qubits of one QPU: its target lists every coupled pair (all-to-all: 1,000 qubits took
# 0.7 GB and 3 s for a 6-qubit circuit; 100,000 on a line aborted allocating 80 GB)
MAX_QPU_QUBITS = 2048


@dataclass(frozen=True)
class QPU:
    """One quantum processor: data qubits, communication qubits, native gates and figures."""

    name: str
    modality: str
    qubits: int
    comm_qubits: int
    coupling: str
    gates_1q: tuple[str, ...]
    gate_2q: str
    time_1q: float
    time_2q: float
    time_measure: float
    error_1q: float
    error_2q: float
    error_measure: float
    t1: float
    t2: float
    device: str | None = None

    def __post_init__(self) -> None:
        _plain_fields(self, ("qubits", "comm_qubits", "time_1q", "time_2q", "time_measure", "error_1q", "error_2q",
                             "error_measure", "t1", "t2"))
        where = f"qpu {self.name!r}"
        _check(isinstance(self.name, str) and bool(_NAME.match(self.name)),
               f"qpu name {self.name!r} must be an identifier (letters, digits, _; starts with a letter)")
        _check(self.modality in MODALITIES, f"{where}: modality {self.modality!r} not one of {', '.join(MODALITIES)}")
        _check(_is_int(self.qubits) and self.qubits >= 0, f"{where}: qubits must be an integer >= 0, got {self.qubits!r}")
        _check(_is_int(self.comm_qubits) and self.comm_qubits >= 0,
               f"{where}: comm_qubits must be an integer >= 0, got {self.comm_qubits!r}")
        _check(self.coupling in COUPLINGS, f"{where}: coupling {self.coupling!r} not one of {', '.join(COUPLINGS)}")
        _check(self.qubits + self.comm_qubits <= MAX_QPU_QUBITS,
               f"{where}: {self.qubits + self.comm_qubits} physical qubits (qubits {self.qubits} + comm_qubits "
               f"{self.comm_qubits}); qmosaic models at most {MAX_QPU_QUBITS} per QPU (memory grows with every "
               "coupled pair): declare only the qubits circuits will use there")
        _check(isinstance(self.gates_1q, (list, tuple)) and all(isinstance(g, str) for g in self.gates_1q),
               f"{where}: gates_1q must be a list of gate names such as ['rz', 'sx', 'x'], got {self.gates_1q!r}")
        object.__setattr__(self, "gates_1q", tuple(self.gates_1q))
        bad = [g for g in self.gates_1q if g not in GATES_1Q]
        _check(not bad and "rz" in self.gates_1q,
               f"{where}: gates_1q {list(self.gates_1q)} must include 'rz' and use only {', '.join(GATES_1Q)}")
        _check(any(g in _TURNS_OFF_Z for g in self.gates_1q),
               f"{where}: gates_1q {list(self.gates_1q)} is not universal (rz and x never take a qubit out of "
               f"the Z basis); add one of {', '.join(_TURNS_OFF_Z)}")
        _check(self.gate_2q in GATES_2Q, f"{where}: gate_2q {self.gate_2q!r} not one of {', '.join(GATES_2Q)}")
        for name in ("time_1q", "time_2q", "time_measure", "t1", "t2"):
            value = getattr(self, name)
            _check(_is_num(value) and value > 0, f"{where}: {name} must be a number > 0, got {value!r}")
        for name in ("error_1q", "error_2q", "error_measure"):
            value = getattr(self, name)
            _check(_is_num(value) and 0 <= value < 1, f"{where}: {name} must be in [0, 1), got {value!r}")
        try:
            coupling_edges(self.coupling, self.qubits, self.comm_qubits)
        except ValueError as exc:
            raise NetworkError(f"{where}: {exc}; lower qubits + comm_qubits or use coupling='all-to-all'") from None

    @property
    def total_qubits(self) -> int:
        """Data plus communication qubits."""
        return self.qubits + self.comm_qubits

    def edges(self) -> list[tuple[int, int]]:
        """Local coupling edges over ``0..total_qubits-1`` (undirected, ``i < j``)."""
        return coupling_edges(self.coupling, self.qubits, self.comm_qubits)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["gates_1q"] = list(self.gates_1q)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "QPU":
        return cls(**dict(data))


@dataclass(frozen=True)
class Link:
    """A photonic (or chiplet / memory) link that generates EPR pairs between two QPUs."""

    between: tuple[str, str]
    epr_rate_hz: float | None
    epr_fidelity: float
    kind: str = "fibre"
    distance_m: float = 2.0
    latency_s: float | None = None
    max_ebits: int | None = None
    conversion_efficiency: float = 1.0
    photon_efficiency: float = 0.02
    attempt_rate_hz: float = 1.0e6

    def __post_init__(self) -> None:
        object.__setattr__(self, "between", tuple(self.between))
        _plain_fields(self, ("epr_rate_hz", "epr_fidelity", "distance_m", "latency_s", "max_ebits",
                             "conversion_efficiency", "photon_efficiency", "attempt_rate_hz"))
        _check(len(self.between) == 2 and all(isinstance(x, str) for x in self.between),
               f"link {self.between!r}: 'between' must name two QPUs")
        where = f"link {self.between[0]}-{self.between[1]}"
        _check(self.between[0] != self.between[1], f"{where}: a link must join two different QPUs")
        _check(self.epr_rate_hz is None or (_is_num(self.epr_rate_hz) and self.epr_rate_hz > 0),
               f"{where}: epr_rate_hz must be a number > 0 (or omitted to derive it from distance_m and "
               f"conversion_efficiency), got {self.epr_rate_hz!r}")
        for name in ("conversion_efficiency", "photon_efficiency"):
            value = getattr(self, name)
            _check(_is_num(value) and 0 < value <= 1, f"{where}: {name} must be in (0, 1], got {value!r}")
        _check(_is_num(self.attempt_rate_hz) and self.attempt_rate_hz > 0,
               f"{where}: attempt_rate_hz must be a number > 0, got {self.attempt_rate_hz!r}")
        _check(_is_num(self.epr_fidelity) and 0.5 < self.epr_fidelity <= 1,
               f"{where}: epr_fidelity must be in (0.5, 1], got {self.epr_fidelity!r}")
        _check(self.kind in LINK_KINDS, f"{where}: kind {self.kind!r} not one of {', '.join(LINK_KINDS)}")
        _check(_is_num(self.distance_m) and self.distance_m >= 0,
               f"{where}: distance_m must be a number >= 0, got {self.distance_m!r}")
        if self.epr_rate_hz is None:
            rate = self.rate_hz
            _check(rate > 0 and math.isfinite(1.0 / rate),
                   f"{where}: distance_m {self.distance_m:g} leaves no EPR pairs (derived rate {rate:.3g}/s: "
                   f"{FIBRE_LOSS_DB_PER_KM * self.distance_m / 2000:.3g} dB of fibre loss per arm); give a "
                   "shorter distance_m or the measured epr_rate_hz")
        _check(self.latency_s is None or (_is_num(self.latency_s) and self.latency_s >= 0),
               f"{where}: latency_s must be a number >= 0, got {self.latency_s!r}")
        _check(self.max_ebits is None or (_is_int(self.max_ebits) and self.max_ebits >= 0),
               f"{where}: max_ebits must be an integer >= 0 (omit it for unbounded), got {self.max_ebits!r}")

    @property
    def name(self) -> str:
        """``"a-b"``, the key used in reports."""
        return f"{self.between[0]}-{self.between[1]}"

    @property
    def rate_hz(self) -> float:
        """EPR pairs per second: ``epr_rate_hz`` if given, else from the link physics.

        Two-photon heralding at a midpoint station: each arm carries a photon over
        ``distance_m / 2`` of fibre at 0.2 dB/km, through frequency conversion
        (``conversion_efficiency``) and collection/detection (``photon_efficiency``):
        ``eta = photon * conversion * 10**(-0.2 * km / 2 / 10)``; an attempt succeeds with
        ``p = eta**2 / 2``; attempts repeat at ``min(attempt_rate_hz, 1 / herald round trip)``.
        """
        if self.epr_rate_hz is not None:
            return self.epr_rate_hz
        arm_km = self.distance_m / 2000.0
        eta = self.photon_efficiency * self.conversion_efficiency * 10 ** (-FIBRE_LOSS_DB_PER_KM * arm_km / 10)
        round_trip = self.distance_m / LIGHT_IN_FIBRE_M_PER_S
        attempts = self.attempt_rate_hz if round_trip == 0 else min(self.attempt_rate_hz, 1.0 / round_trip)
        return attempts * eta * eta / 2

    @property
    def classical_latency_s(self) -> float:
        """One-way classical latency: the given value, else distance / speed of light in fibre."""
        if self.latency_s is not None:
            return self.latency_s
        return self.distance_m / LIGHT_IN_FIBRE_M_PER_S

    def weight(self, objective: str = "ebits") -> float:
        """Routing weight of one EPR pair on this link under ``objective``.

        ``ebits``: 1 per hop, infidelity as a tie-break; ``fidelity``: -ln F; ``latency``:
        generation time plus classical latency.  (Memory and chiplet links differ through
        their figures.)
        """
        if objective == "fidelity":
            return -math.log(self.epr_fidelity) + 1e-9
        if objective == "latency":
            return 1.0 / self.rate_hz + self.classical_latency_s
        return 1.0 - 0.01 * math.log(self.epr_fidelity)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["between"] = list(self.between)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Link":
        return cls(**dict(data))


@dataclass(frozen=True)
class Network:
    """QPUs joined by links; build with ``Network.preset``, ``Network.from_file`` or directly."""

    name: str
    qpus: tuple[QPU, ...]
    links: tuple[Link, ...] = field(default=())
    objective: str = "ebits"  # whose link weights routes and Steiner trees minimise (see Link.weight)

    def __post_init__(self) -> None:
        _check(self.objective in ROUTE_OBJECTIVES,
               f"network objective {self.objective!r} not one of {', '.join(ROUTE_OBJECTIVES)}")
        object.__setattr__(self, "qpus", tuple(self.qpus))
        object.__setattr__(self, "links", tuple(self.links))
        _check(len(self.qpus) > 0, f"network {self.name!r} has no QPUs; add at least one [[qpu]]")
        names = [q.name for q in self.qpus]
        dupes = sorted({n for n in names if names.count(n) > 1})
        _check(not dupes, f"network {self.name!r}: duplicate QPU names {dupes}")
        seen: set[frozenset[str]] = set()
        for link in self.links:
            for end in link.between:
                _check(end in names, f"link {link.name}: no QPU named {end!r} (QPUs: {', '.join(names)})")
            key = frozenset(link.between)
            _check(key not in seen, f"link {link.name}: QPUs {link.between[0]} and {link.between[1]} linked twice")
            seen.add(key)
            for end in link.between:
                _check(self.qpu(end).comm_qubits > 0,
                       f"link {link.name}: QPU {end!r} has comm_qubits = 0; give it at least 1 to use the link")
        self._check_connected()

    def _check_connected(self) -> None:
        if len(self.qpus) < 2:
            return
        components = rx.connected_components(self.graph)
        if len(components) > 1:
            first = {self.qpus[i].name for i in components[0]}
            lost = sorted(q.name for q in self.qpus if q.name not in first)
            raise NetworkError(
                f"network {self.name!r}: QPUs {lost} are unreachable from {self.qpus[0].name!r} "
                "(no chain of links joins them); add a [[link]] or remove them")

    # --- indices -----------------------------------------------------------------
    @cached_property
    def index(self) -> dict[str, int]:
        """QPU name -> QPU index."""
        return {q.name: i for i, q in enumerate(self.qpus)}

    def qpu(self, name: str) -> QPU:
        """The QPU called ``name``."""
        return self.qpus[self.index[name]]

    @cached_property
    def offsets(self) -> tuple[int, ...]:
        """Global index of each QPU's local qubit 0 (one more entry: the total)."""
        out = [0]
        for q in self.qpus:
            out.append(out[-1] + q.total_qubits)
        return tuple(out)

    @property
    def num_qubits(self) -> int:
        """All physical qubits, data and communication."""
        return self.offsets[-1]

    @cached_property
    def owners(self) -> tuple[int, ...]:
        """QPU index of every global physical qubit."""
        return tuple(k for k, q in enumerate(self.qpus) for _ in range(q.total_qubits))

    @cached_property
    def has_budgets(self) -> bool:
        """True if some link caps its EPR pairs (``max_ebits``)."""
        return any(link.max_ebits is not None for link in self.links)

    @property
    def data_capacity(self) -> int:
        """Total data qubits over all QPUs."""
        return sum(q.qubits for q in self.qpus)

    def comm_indices(self, qpu: int) -> list[int]:
        """Global indices of QPU ``qpu``'s communication qubits."""
        q = self.qpus[qpu]
        start = self.offsets[qpu] + q.qubits
        return list(range(start, start + q.comm_qubits))

    def data_indices(self, qpu: int) -> list[int]:
        """Global indices of QPU ``qpu``'s data qubits."""
        return list(range(self.offsets[qpu], self.offsets[qpu] + self.qpus[qpu].qubits))

    def link_index(self, a: int, b: int) -> int | None:
        """Index of the link between QPUs ``a`` and ``b`` (``None`` if not linked)."""
        return self._link_lookup.get((a, b))

    @cached_property
    def _link_lookup(self) -> dict[tuple[int, int], int]:
        out = {}
        for i, link in enumerate(self.links):
            a, b = (self.index[x] for x in link.between)
            out[(a, b)] = out[(b, a)] = i
        return out

    # --- graph queries -------------------------------------------------------------
    @cached_property
    def graph(self) -> rx.PyGraph:
        """rustworkx graph: node i = QPU i, edge payload = link index."""
        g = rx.PyGraph(multigraph=False)
        g.add_nodes_from(range(len(self.qpus)))
        for i, link in enumerate(self.links):
            g.add_edge(self.index[link.between[0]], self.index[link.between[1]], i)
        return g

    @cached_property
    def routes(self) -> dict[tuple[int, int], tuple[int, ...]]:
        """Best entanglement route (QPU indices, ends included) between every pair of QPUs."""
        weights = [link.weight(self.objective) for link in self.links]
        paths = rx.all_pairs_dijkstra_shortest_paths(self.graph, lambda e: weights[e])
        out: dict[tuple[int, int], tuple[int, ...]] = {}
        for a in range(len(self.qpus)):
            out[(a, a)] = (a,)
            for b, path in paths[a].items():
                out[(a, int(b))] = tuple(int(x) for x in path)
        return out

    def route(self, a: int, b: int) -> tuple[int, ...]:
        """QPU indices from ``a`` to ``b`` along the best route."""
        return self.routes[(a, b)]

    def steiner(self, terminals: frozenset[int]) -> tuple[tuple[int, int], ...]:
        """Links (QPU index pairs) of a minimum tree joining the QPUs ``terminals`` (cached)."""
        cache = self.__dict__.setdefault("_steiner_cache", {})
        if terminals not in cache:
            from .steiner import steiner_tree

            weights = [link.weight(self.objective) for link in self.links]
            cache[terminals] = steiner_tree(self.graph, terminals, weights)
        return cache[terminals]

    def for_objective(self, objective: str) -> "Network":
        """The same machine, routing by ``objective``'s link weights."""
        return self if objective == self.objective else replace(self, objective=objective)

    def without_budgets(self) -> "Network":
        """The same machine with no link capping its EPR pairs."""
        if not self.has_budgets:
            return self
        return replace(self, links=tuple(replace(link, max_ebits=None) for link in self.links))

    @cached_property
    def is_complete(self) -> bool:
        """True if every two QPUs share a link."""
        k = len(self.qpus)
        return len(self.links) == k * (k - 1) // 2

    # --- serialisation / constructors ------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "qpus": [q.to_dict() for q in self.qpus],
                "links": [link.to_dict() for link in self.links]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Network":
        return cls(name=data["name"], qpus=tuple(QPU.from_dict(q) for q in data["qpus"]),
                   links=tuple(Link.from_dict(x) for x in data.get("links", ())))

    @classmethod
    def preset(cls, name: str) -> "Network":
        """A built-in network by name (see ``qmosaic networks``)."""
        from .presets import preset

        return preset(name)

    @classmethod
    def from_file(cls, path: str) -> "Network":
        """Read a network from a .toml or .json file."""
        from .netfile import read_network_file

        return read_network_file(path)

    @classmethod
    def from_modules(cls, modules: list[int], edges: list[tuple[int, int]], *, name: str = "modules",
                     device: str = "quantinuum-h2", comm_qubits: int = 1) -> "Network":
        """Homogeneous all-to-all modules of the given capacities joined by ``edges`` (benchmark form)."""
        from .devices import DEVICES, device_fields

        _check(isinstance(device, str) and device in DEVICES,
               f"unknown device {device!r}; known: {', '.join(sorted(DEVICES))}")
        base = device_fields(device)
        base.update(coupling="all-to-all", comm_qubits=comm_qubits)
        qpus = tuple(QPU(name=f"m{i}", device=device, **{**base, "qubits": cap}) for i, cap in enumerate(modules))
        links = tuple(Link(between=(f"m{a}", f"m{b}"), epr_rate_hz=200.0, epr_fidelity=0.97) for a, b in edges)
        return cls(name=name, qpus=qpus, links=links)

    def target(self):
        """One Qiskit ``Target`` for the whole machine (see ``qmosaic.targets.target``)."""
        from .target import network_target

        return network_target(self)

    def __repr__(self) -> str:
        return f"Network({self.name!r}, qpus={[q.name for q in self.qpus]}, links={[x.name for x in self.links]})"


QPU_FIELDS = tuple(f.name for f in fields(QPU))
LINK_FIELDS = tuple(f.name for f in fields(Link))

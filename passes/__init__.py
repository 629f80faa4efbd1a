"""qmosaic's Qiskit passes (DAG in, DAG out), usable in a hand-built ``PassManager``.

Order: ``NormalizeForDistribution`` -> ``InteractionAnalysis`` -> ``ILPPlacement`` -> ``RelayRoom`` ->
``TeleportLowering`` -> ``LocalRouting`` -> ``NativeTranslation``.
"""

from .interactions import InteractionAnalysis, Interactions, analyse_interactions
from .lowering import CommPlan, TeleportLowering, lower
from .normalize import NormalizeForDistribution
from .placement import ILPPlacement, Partition, PlacementStatus, place
from .relay import RelayRoom
from .reuse import Reuse, reuse_qubits, share_slots
from .routing import LocalRouting, RoutingResult, route
from .translate import NativeTranslation

__all__ = [
    "InteractionAnalysis", "Interactions", "analyse_interactions", "CommPlan", "TeleportLowering", "lower",
    "NormalizeForDistribution", "ILPPlacement", "Partition", "PlacementStatus", "place", "LocalRouting",
    "RoutingResult", "route", "NativeTranslation", "RelayRoom", "Reuse", "reuse_qubits", "share_slots",
]

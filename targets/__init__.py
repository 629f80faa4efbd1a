"""The machine model: QPUs, links, networks, the device catalogue and presets."""

from .devices import DEVICES, device_names
from .errors import NetworkError, NetworkFileError, QmosaicError
from .gates import EPRGate
from .models import QPU, Link, Network
from .netfile import read_network_file
from .presets import describe_presets, preset, preset_names
from .target import QmosaicTarget, network_target

__all__ = [
    "DEVICES", "device_names", "NetworkError", "NetworkFileError", "QmosaicError", "EPRGate", "QPU", "Link",
    "Network", "read_network_file", "describe_presets", "preset", "preset_names", "QmosaicTarget",
    "network_target",
]

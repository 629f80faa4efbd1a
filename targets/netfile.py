"""Network files (.toml / .json): read, validate with messages naming file and field."""

from __future__ import annotations

import json
import os
import tomllib
from typing import Any, Mapping

from .devices import DEVICES, device_fields
from .errors import NetworkError, NetworkFileError
from .models import LINK_FIELDS, QPU_FIELDS, QPU, Link, Network

__all__ = ["read_network_file", "network_from_mapping"]

_QPU_KEYS = set(QPU_FIELDS)
_LINK_KEYS = set(LINK_FIELDS)


def read_network_file(path: str | os.PathLike[str]) -> Network:
    """Parse and validate a network file; errors name the file and the field."""
    path = os.fspath(path)
    where = os.path.basename(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise NetworkFileError(f"cannot read network file {path}: {exc.strerror}") from None
    try:
        if path.endswith(".json"):
            data = json.loads(raw.decode("utf-8"))
        elif path.endswith(".toml"):
            data = tomllib.loads(raw.decode("utf-8"))
        else:
            raise NetworkFileError(f"network file {where}: unknown extension; use .toml or .json")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise NetworkFileError(f"network file {where}: not valid {path.rsplit('.', 1)[-1].upper()}: {exc}") from None
    return network_from_mapping(data, where=where, default_name=os.path.splitext(where)[0])


def _qpu(entry: Any, i: int, where: str) -> QPU:
    ctx = f"network file {where}: qpu[{i}]"
    if not isinstance(entry, Mapping):
        raise NetworkFileError(f"{ctx} must be a table with at least 'name' and 'device' (or every field)")
    unknown = sorted(set(entry) - _QPU_KEYS)
    if unknown:
        raise NetworkFileError(f"{ctx}: unknown field(s) {unknown}; allowed: {sorted(_QPU_KEYS)}")
    fields: dict[str, Any] = {}
    device = entry.get("device")
    if device is not None:
        if not isinstance(device, str) or device not in DEVICES:
            raise NetworkFileError(f"{ctx}.device: unknown device {device!r}; known: {', '.join(sorted(DEVICES))}")
        fields.update(device_fields(device))
    fields.update(entry)
    missing = sorted(_QPU_KEYS - {"device"} - set(fields))
    if missing:
        raise NetworkFileError(f"{ctx}: missing field(s) {missing}; name a 'device' from the catalogue or give them")
    try:
        return QPU(**fields)
    except NetworkError as exc:
        raise NetworkFileError(f"network file {where}: qpu[{i}]: {exc}") from None
    except TypeError as exc:
        raise NetworkFileError(f"{ctx}: {exc}") from None


def _link(entry: Any, i: int, where: str) -> Link:
    ctx = f"network file {where}: link[{i}]"
    if not isinstance(entry, Mapping):
        raise NetworkFileError(f"{ctx} must be a table with 'between', 'epr_rate_hz', 'epr_fidelity'")
    unknown = sorted(set(entry) - _LINK_KEYS)
    if unknown:
        raise NetworkFileError(f"{ctx}: unknown field(s) {unknown}; allowed: {sorted(_LINK_KEYS)}")
    missing = sorted({"between", "epr_fidelity"} - set(entry))
    if missing:
        raise NetworkFileError(f"{ctx}: missing field(s) {missing}")
    between = entry["between"]
    if not isinstance(between, (list, tuple)) or len(between) != 2:
        raise NetworkFileError(f"{ctx}.between must list two QPU names, got {between!r}")
    try:
        return Link(**{"epr_rate_hz": None, **entry, "between": tuple(between)})
    except NetworkError as exc:
        raise NetworkFileError(f"{ctx}: {exc}") from None


def network_from_mapping(data: Any, *, where: str = "<mapping>", default_name: str = "network") -> Network:
    """Build a ``Network`` from the parsed file contents (keys ``name``, ``qpu``/``qpus``, ``link``/``links``)."""
    if not isinstance(data, Mapping):
        raise NetworkFileError(f"network file {where}: top level must be a table/object")
    unknown = sorted(set(data) - {"name", "qpu", "qpus", "link", "links"})
    if unknown:
        raise NetworkFileError(f"network file {where}: unknown top-level field(s) {unknown}; allowed: name, qpu, link")
    qpus_raw = data.get("qpu", data.get("qpus"))
    if not isinstance(qpus_raw, list) or not qpus_raw:
        raise NetworkFileError(f"network file {where}: 'qpu' must list at least one QPU ([[qpu]] tables)")
    links_raw = data.get("link", data.get("links", []))
    if not isinstance(links_raw, list):
        raise NetworkFileError(f"network file {where}: 'link' must be a list of [[link]] tables")
    name = data.get("name", default_name)
    if not isinstance(name, str):
        raise NetworkFileError(f"network file {where}: name must be a string, got {name!r}")
    qpus = tuple(_qpu(e, i, where) for i, e in enumerate(qpus_raw))
    links = tuple(_link(e, i, where) for i, e in enumerate(links_raw))
    try:
        return Network(name=name, qpus=qpus, links=links)
    except NetworkError as exc:
        raise NetworkFileError(f"network file {where}: {exc}") from None

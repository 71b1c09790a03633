"""The custom resource catalog, decoded from CRDs without building their schemas.

CRD objects are large (each embeds an OpenAPI schema); the wire Structs below
declare only names, scope, versions and printer columns, so msgspec skips the
schemas while decoding instead of materialising them as dicts.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from periscope_core.services.jsonpath import cell_value
from periscope_core.services.projections import ListPage, Meta, Summary, common

__all__ = [
    "CrdInfo",
    "CrdVersion",
    "CustomListPage",
    "CustomSummary",
    "PrinterColumn",
    "custom_row",
    "decode_crd",
    "decode_crd_list",
]


class PrinterColumn(msgspec.Struct, rename="camel", frozen=True):
    """An ``additionalPrinterColumns`` entry, as the CRD declares it."""

    name: str
    json_path: str
    type: str = "string"
    description: str = ""
    format: str = ""
    priority: int = 0


class CrdVersion(msgspec.Struct, rename="camel", frozen=True):
    name: str
    served: bool = False
    storage: bool = False
    deprecated: bool = False
    printer_columns: list[PrinterColumn] = []


class CrdInfo(msgspec.Struct, rename="camel", frozen=True):
    """One catalog entry (the original product's ``/crds`` shape)."""

    name: str
    group: str
    kind: str
    plural: str
    singular: str
    short_names: list[str]
    scope: str
    versions: list[CrdVersion]
    served_version: str
    storage_version: str
    created_at: str

    @property
    def namespaced(self) -> bool:
        return self.scope == "Namespaced"

    def version(self, name: str) -> CrdVersion | None:
        return next((v for v in self.versions if v.name == name), None)


class _WireVersion(msgspec.Struct, rename="camel"):
    name: str
    served: bool = False
    storage: bool = False
    deprecated: bool = False
    additional_printer_columns: list[PrinterColumn] | None = None


class _WireNames(msgspec.Struct, rename="camel"):
    plural: str
    kind: str
    singular: str = ""
    short_names: list[str] | None = None


class _WireSpec(msgspec.Struct):
    group: str
    names: _WireNames
    scope: str = "Namespaced"
    versions: list[_WireVersion] = []


class _WireCrd(msgspec.Struct):
    spec: _WireSpec
    metadata: Meta = msgspec.field(default_factory=Meta)


class _WireCrdList(msgspec.Struct):
    items: list[_WireCrd] | None = None


_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")
_STABILITY = {"alpha": 0, "beta": 1, None: 2}


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Kubernetes' version order: GA over beta over alpha, then higher numbers; others last."""
    match = _VERSION.match(version)
    if match is None:
        return (-1, 0, 0, version)
    major, stability, minor = match.groups()
    return (_STABILITY[stability], int(major), int(minor or 0), "")


def _info(crd: _WireCrd) -> CrdInfo | None:
    spec = crd.spec
    served = [v.name for v in spec.versions if v.served]
    if not served:
        return None
    storage = next((v.name for v in spec.versions if v.storage), "")
    return CrdInfo(
        name=crd.metadata.name,
        group=spec.group,
        kind=spec.names.kind,
        plural=spec.names.plural,
        singular=spec.names.singular or spec.names.kind.lower(),
        short_names=spec.names.short_names or [],
        scope=spec.scope,
        versions=[
            CrdVersion(v.name, v.served, v.storage, v.deprecated, v.additional_printer_columns or [])
            for v in spec.versions
        ],
        served_version=max(served, key=version_priority),
        storage_version=storage,
        created_at=crd.metadata.creation_timestamp or "",
    )


def decode_crd_list(body: bytes) -> list[CrdInfo]:
    """The catalog from a CRD list body, sorted by name; CRDs serving no version are skipped."""
    crds = msgspec.json.decode(body, type=_WireCrdList).items or []
    return sorted((info for crd in crds if (info := _info(crd)) is not None), key=lambda c: c.name)


def decode_crd(body: bytes) -> CrdInfo | None:
    """One CRD; None when it serves no version."""
    return _info(msgspec.json.decode(body, type=_WireCrd))


class CustomSummary(Summary):
    columns: dict[str, Any] = {}
    """Printer-column cells by column name; None where the path selects nothing."""


class CustomListPage(ListPage):
    """The list envelope plus what a table of this custom kind needs."""

    columns: list[PrinterColumn] = []
    scope: str = "Namespaced"


def custom_row(obj: dict[str, Any], columns: list[PrinterColumn]) -> CustomSummary:
    meta = msgspec.convert(obj.get("metadata") or {}, type=Meta)
    return CustomSummary(**common(meta), columns={c.name: cell_value(c.json_path, obj) for c in columns})

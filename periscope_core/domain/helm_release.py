"""Helm v3 releases as Helm stores them, read without the Helm SDK.

Helm keeps one object per revision, named ``sh.helm.release.v1.<name>.v<revision>`` and
labelled ``owner=helm, name, status, version``. Its ``release`` value is
base64(gzip(JSON)); in a Secret that string is stored as bytes, so the apiserver shows it
base64-encoded once more, while a ConfigMap holds it as it is. Helm reads JSON that was
stored uncompressed too, and so does this module.

The JSON is attacker-sized: anyone who may write a Secret in a namespace can plant a
release. Decompression therefore stops at ``MAX_RELEASE_BYTES`` instead of inflating
first and measuring after (the original product's gzip bomb), and manifests are read
without YAML aliases, which would expand without bound once walked.

Errors added here, under the tree in ``periscope_core.domain.errors``:

    PeriscopeError
    ├── ReleaseTooLarge         E_TOO_LARGE          502  (the stored release inflates past the bound)
    ├── ReleaseUndecodable      E_RELEASE_UNDECODABLE 502 (not base64, gzip, JSON or YAML as Helm writes them)
    └── ReleaseNotFound         E_NOT_FOUND          404
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from typing import Any, Literal

import msgspec
import yaml

from periscope_core.domain.editing import load_documents
from periscope_core.domain.errors import PeriscopeError
from periscope_core.domain.resources import KINDS

__all__ = [
    "MAX_RELEASE_BYTES",
    "Chart",
    "ChartMetadata",
    "Release",
    "ReleaseInfo",
    "ReleaseNotFound",
    "ReleaseResource",
    "ReleaseTooLarge",
    "ReleaseUndecodable",
    "StorageDriver",
    "decode_release",
    "is_release_name",
    "manifest_objects",
    "resource_of",
    "storage_name",
    "values_yaml",
]

MAX_RELEASE_BYTES = 8 << 20
"""The most a release may inflate to; Helm itself refuses objects over 1 MiB compressed."""

StorageDriver = Literal["secret", "configmap"]

_GZIP_MAGIC = b"\x1f\x8b\x08"
# Helm's own rule (pkg/chartutil ValidateReleaseName): a DNS-1123 subdomain of at most 53 characters.
_RELEASE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_NAMESPACED = {(spec.gvr.group, spec.kind): spec.namespaced for spec in KINDS}


class ReleaseTooLarge(PeriscopeError):
    code = "E_TOO_LARGE"
    http_status = 502

    def __init__(self) -> None:
        super().__init__(f"the stored release inflates to more than {MAX_RELEASE_BYTES >> 20} MiB; not read")


class ReleaseUndecodable(PeriscopeError):
    code = "E_RELEASE_UNDECODABLE"
    http_status = 502


class ReleaseNotFound(PeriscopeError):
    code = "E_NOT_FOUND"
    http_status = 404

    def __init__(self, namespace: str, name: str, revision: int = 0) -> None:
        which = f" revision {revision}" if revision else ""
        super().__init__(f"no Helm release {namespace}/{name}{which}")


class ChartMetadata(msgspec.Struct, frozen=True, rename="camel"):
    name: str = ""
    version: str = ""
    app_version: str = ""
    icon: str = ""
    description: str = ""
    api_version: str = ""


class Chart(msgspec.Struct, frozen=True):
    metadata: ChartMetadata = ChartMetadata()


class ReleaseInfo(msgspec.Struct, frozen=True):
    first_deployed: str = ""
    last_deployed: str = ""
    deleted: str = ""
    description: str = ""
    status: str = ""
    notes: str = ""


class Release(msgspec.Struct, frozen=True):
    """The fields of Helm's release JSON that the browser shows; the chart's files are skipped."""

    name: str = ""
    namespace: str = ""
    version: int = 0
    info: ReleaseInfo = ReleaseInfo()
    chart: Chart = Chart()
    config: dict[str, Any] | None = None
    """The user-supplied values (``helm get values``), not the chart's defaults merged in."""
    manifest: str = ""


_RELEASE = msgspec.json.Decoder(Release)


class ReleaseResource(msgspec.Struct, frozen=True, rename="camel"):
    """One object a release's manifest declares."""

    api_version: str
    kind: str
    namespace: str
    name: str


def is_release_name(name: str) -> bool:
    return len(name) <= 53 and _RELEASE_NAME.fullmatch(name) is not None


def storage_name(name: str, revision: int) -> str:
    """The Secret or ConfigMap holding one revision."""
    return f"sh.helm.release.v1.{name}.v{revision}"


def _b64(value: str | bytes, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ReleaseUndecodable(f"the stored release is not base64 ({what})") from None


def _inflate(data: bytes) -> bytes:
    """gunzip, stopping one byte past the bound so a bomb is never inflated further."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, MAX_RELEASE_BYTES + 1)
    except zlib.error as exc:
        raise ReleaseUndecodable(f"the stored release is not valid gzip: {exc}") from None
    if len(out) > MAX_RELEASE_BYTES:
        raise ReleaseTooLarge
    if not inflater.eof:
        raise ReleaseUndecodable("the stored release is truncated gzip")
    return out


def decode_release(value: str | bytes, *, stored_in: StorageDriver) -> Release:
    """The release in a storage object's ``data.release`` value, as the apiserver returned it."""
    encoded = _b64(value, "Secret data") if stored_in == "secret" else value
    raw = _b64(encoded, "Helm encoding")
    if raw.startswith(_GZIP_MAGIC):
        raw = _inflate(raw)
    elif len(raw) > MAX_RELEASE_BYTES:
        raise ReleaseTooLarge
    try:
        return _RELEASE.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ReleaseUndecodable(f"the stored release is not Helm's release JSON: {exc}") from None


def values_yaml(release: Release) -> str:
    """The user-supplied values as YAML; empty when none were given."""
    if not release.config:
        return ""
    return yaml.safe_dump(release.config, sort_keys=False, allow_unicode=True, default_flow_style=False)


def manifest_objects(manifest: str) -> list[dict[str, Any]]:
    """The objects of a rendered manifest, in order; ReleaseUndecodable if it is not YAML mappings."""
    try:
        documents = load_documents(manifest)
    except yaml.YAMLError as exc:
        raise ReleaseUndecodable(f"the release manifest is not valid YAML: {exc}") from None
    if not all(isinstance(d, dict) for d in documents):
        raise ReleaseUndecodable("the release manifest holds a document that is not an object")
    return documents


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def resource_of(obj: dict[str, Any], release_namespace: str) -> ReleaseResource:
    """Where an object of the manifest lives once installed.

    Helm puts namespaced objects without a namespace into the release's namespace. Only
    built-in kinds are known to be namespaced; other kinds keep what the manifest says.
    """
    api_version, kind = _text(obj.get("apiVersion")), _text(obj.get("kind"))
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    namespace = _text(meta.get("namespace"))
    group = api_version.rpartition("/")[0]
    if not namespace and _NAMESPACED.get((group, kind)):
        namespace = release_namespace
    return ReleaseResource(api_version=api_version, kind=kind, namespace=namespace, name=_text(meta.get("name")))

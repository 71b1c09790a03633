"""Helm's stored releases: the real encoding both drivers use, the inflation bound, and what a manifest declares."""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from typing import Any

import pytest

from periscope_core.domain.helm_release import (
    MAX_RELEASE_BYTES,
    ReleaseTooLarge,
    ReleaseUndecodable,
    decode_release,
    is_release_name,
    manifest_objects,
    resource_of,
    values_yaml,
)

MANIFEST = """---
# Source: web/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
---
# Source: web/templates/clusterrole.yaml
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: web-reader
rules: []
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: elsewhere
spec:
  replicas: 2
"""

# Helm's release JSON as `json.Marshal` writes it, chart files and hooks included.
RELEASE: dict[str, Any] = {
    "name": "web",
    "info": {
        "first_deployed": "2025-03-01T10:00:00.123456789+01:00",
        "last_deployed": "2025-03-02T11:30:00.5+01:00",
        "deleted": "0001-01-01T00:00:00Z",
        "description": "Upgrade complete",
        "status": "deployed",
        "notes": "Visit http://web.local",
    },
    "chart": {
        "metadata": {"name": "web", "version": "1.2.3", "appVersion": "4.5.6", "icon": "https://example.com/i.png",
                     "description": "A web app", "apiVersion": "v2", "keywords": ["web"], "type": "application"},
        "lock": None,
        "templates": [{"name": "templates/deployment.yaml", "data": base64.b64encode(b"kind: Deployment").decode()}],
        "values": {"replicaCount": 1, "image": {"tag": "latest"}},
        "schema": None,
        "files": [],
    },
    "config": {"replicaCount": 2, "auth": {"password": "hunter2"}},
    "manifest": MANIFEST,
    "hooks": [{"name": "web-test", "kind": "Pod", "path": "web/templates/tests/test.yaml", "manifest": "kind: Pod",
               "events": ["test"], "last_run": {"started_at": "", "completed_at": "", "phase": ""}}],
    "version": 7,
    "namespace": "shop",
}


def helm_encoding(release: dict[str, Any]) -> str:
    """What Helm's encodeRelease returns: base64(gzip(JSON)) at best compression."""
    return base64.b64encode(gzip.compress(json.dumps(release).encode(), compresslevel=9)).decode()


def in_secret(helm_string: str | bytes) -> str:
    """A Secret stores Helm's string as bytes, which the apiserver shows base64-encoded."""
    raw = helm_string.encode() if isinstance(helm_string, str) else helm_string
    return base64.b64encode(raw).decode()


def test_a_secret_release_decodes_to_helm_s_fields() -> None:
    release = decode_release(in_secret(helm_encoding(RELEASE)), stored_in="secret")
    assert (release.name, release.namespace, release.version) == ("web", "shop", 7)
    assert (release.info.status, release.info.description) == ("deployed", "Upgrade complete")
    assert release.info.last_deployed == "2025-03-02T11:30:00.5+01:00"
    assert release.info.notes == "Visit http://web.local"
    chart = release.chart.metadata
    assert (chart.name, chart.version, chart.app_version, chart.icon) == ("web", "1.2.3", "4.5.6",
                                                                          "https://example.com/i.png")
    assert release.config == {"replicaCount": 2, "auth": {"password": "hunter2"}}
    assert release.manifest == MANIFEST


def test_a_configmap_release_is_encoded_once() -> None:
    assert decode_release(helm_encoding(RELEASE), stored_in="configmap").version == 7
    with pytest.raises(ReleaseUndecodable):  # read as a Secret, the gzip header is not base64 text
        decode_release(helm_encoding(RELEASE), stored_in="secret")


def test_uncompressed_json_is_read_as_helm_reads_it() -> None:
    plain = base64.b64encode(json.dumps(RELEASE).encode()).decode()
    assert decode_release(in_secret(plain), stored_in="secret").name == "web"


def _gzip_stream(prefix: bytes, filler: int, suffix: bytes) -> bytes:
    """gzip of prefix + filler spaces + suffix, compressed a MiB at a time (never held inflated)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(prefix)]
    chunk = b" " * (1 << 20)
    for _ in range(filler // len(chunk)):
        parts.append(packer.compress(chunk))
    parts.append(packer.compress(b" " * (filler % len(chunk)) + suffix))
    parts.append(packer.flush())
    return b"".join(parts)


def _sized(total: int) -> str:
    """A release whose JSON is exactly ``total`` bytes, as a Secret's data value."""
    prefix, suffix = b'{"name": "big", "version": 1, "manifest": "', b'"}'
    compressed = _gzip_stream(prefix, total - len(prefix) - len(suffix), suffix)
    return in_secret(base64.b64encode(compressed))


def test_a_gzip_bomb_stops_at_the_bound() -> None:
    bomb = _sized(256 << 20)  # 256 MiB of JSON in a third of a MiB
    assert len(bomb) < 512 << 10
    with pytest.raises(ReleaseTooLarge) as caught:
        decode_release(bomb, stored_in="secret")
    assert (caught.value.code, caught.value.http_status) == ("E_TOO_LARGE", 502)
    assert "8 MiB" in caught.value.message


def test_the_bound_is_exact() -> None:
    assert decode_release(_sized(MAX_RELEASE_BYTES), stored_in="secret").name == "big"
    with pytest.raises(ReleaseTooLarge):
        decode_release(_sized(MAX_RELEASE_BYTES + 1), stored_in="secret")


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("not base64 at all!", "not base64"),
        (in_secret("%%%"), "not base64"),
        (in_secret(base64.b64encode(b"\x1f\x8b\x08garbage")), "not valid gzip"),
        (in_secret(base64.b64encode(gzip.compress(b'{"name": "web"}')[:-12])), "truncated"),
        (in_secret(base64.b64encode(gzip.compress(b"<html>502 Bad Gateway</html>"))), "not Helm's release JSON"),
        (in_secret(base64.b64encode(b'{"name": "web", "version": "seven"}')), "not Helm's release JSON"),
    ],
    ids=["outer-base64", "helm-base64", "gzip", "truncated-gzip", "not-json", "wrong-shape"],
)
def test_garbage_is_a_clear_error(value: str, says: str) -> None:
    with pytest.raises(ReleaseUndecodable) as caught:
        decode_release(value, stored_in="secret")
    assert caught.value.code == "E_RELEASE_UNDECODABLE"
    assert says in caught.value.message


def test_values_are_the_user_supplied_ones_only() -> None:
    release = decode_release(in_secret(helm_encoding(RELEASE)), stored_in="secret")
    assert values_yaml(release) == "replicaCount: 2\nauth:\n  password: hunter2\n"
    bare = decode_release(in_secret(helm_encoding({**RELEASE, "config": None})), stored_in="secret")
    assert values_yaml(bare) == ""


def test_manifest_objects_land_where_helm_puts_them() -> None:
    objects = manifest_objects(MANIFEST)
    assert [(r.kind, r.namespace, r.name) for r in (resource_of(o, "shop") for o in objects)] == [
        ("ServiceAccount", "shop", "web"),  # namespaced, no namespace written: the release's
        ("ClusterRole", "", "web-reader"),  # cluster-scoped
        ("Deployment", "elsewhere", "web"),  # written explicitly
    ]
    custom = {"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer", "metadata": {"name": "letsencrypt"}}
    assert resource_of(custom, "shop").namespace == ""  # scope unknown: as the manifest says


@pytest.mark.parametrize(
    ("manifest", "says"),
    [
        ("a: &x [1]\nb: *x\n", "aliases"),
        ("kind: [unclosed\n", "not valid YAML"),
        ("---\n- just\n- a list\n", "not an object"),
    ],
)
def test_a_manifest_helm_could_not_have_applied_is_refused(manifest: str, says: str) -> None:
    with pytest.raises(ReleaseUndecodable, match=says):
        manifest_objects(manifest)


def test_release_names_follow_helm_s_rule() -> None:
    assert is_release_name("ingress-nginx")
    assert is_release_name("a.b-c")
    assert is_release_name("x" * 53)
    assert not is_release_name("x" * 54)
    for bad in ("", "Upper", "a,owner!=helm", "a b", "-lead", "trail-", "../x"):
        assert not is_release_name(bad), bad

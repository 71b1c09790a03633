"""BrowseService over a scripted apiserver: what it asks for, and what it makes of the answers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import pytest

from periscope_core.domain.clusters import ClusterEntry, ClusterRegistry
from periscope_core.domain.errors import ClusterNotFound, Forbidden, UnknownKind
from periscope_core.domain.identity import Impersonation
from periscope_core.ports.transport import (
    BufferedResponse,
    ChannelSocket,
    ClusterTransport,
    KubeRequest,
    KubeResponse,
)
from periscope_core.services.browse import BrowseService
from periscope_core.services.directory import ClusterDirectory
from periscope_core.testing.backends import StaticBackend

Handler = Callable[[KubeRequest], tuple[int, Any]]


class ScriptedTransport(ClusterTransport):
    """Answers each request from a path table and remembers what was asked."""

    def __init__(self, routes: dict[str, Handler | Any]) -> None:
        self.routes = routes
        self.requests: list[KubeRequest] = []

    async def send(self, request: KubeRequest) -> KubeResponse:
        self.requests.append(request)
        route = self.routes.get(request.path)
        if route is None:
            status, body = 404, {"kind": "Status", "code": 404, "reason": "NotFound", "message": "not found"}
        elif callable(route):
            status, body = route(request)
        else:
            status, body = 200, route
        return BufferedResponse(status, msgspec.json.encode(body), {"content-type": "application/json"})

    async def websocket(self, request: KubeRequest, subprotocols: Sequence[str]) -> ChannelSocket:
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


def _service(routes: dict[str, Any]) -> tuple[BrowseService, ScriptedTransport]:
    transport = ScriptedTransport(routes)
    registry = ClusterRegistry(clusters=(ClusterEntry(name="prod", backend="scripted"),), source="test")
    directory = ClusterDirectory(registry, {"scripted": StaticBackend(transport, name="scripted")})
    return BrowseService(directory), transport


def _query(request: KubeRequest) -> dict[str, str]:
    return dict(request.query)


def _event(name: str, when: str, kind: str = "Pod") -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "shop"}, "type": "Normal", "reason": "Pulled",
            "involvedObject": {"kind": kind, "name": "web", "namespace": "shop"}, "lastTimestamp": when}


async def test_list_passes_paging_and_selectors_through_as_the_caller() -> None:
    browse, transport = _service({"/api/v1/namespaces/shop/pods": {"metadata": {"continue": "tok2"}, "items": []}})
    alice = Impersonation(user="alice@example.com", groups=("dev",))
    page = await browse.list_kind(
        "prod", "pods", namespace="shop", limit=50, continue_token="tok1", label_selector="app=web", as_=alice
    )
    assert page.continue_ == "tok2"
    (request,) = transport.requests
    assert _query(request) == {"limit": "50", "continue": "tok1", "labelSelector": "app=web"}
    assert ("Impersonate-User", "alice@example.com") in request.headers


async def test_cluster_scoped_kinds_ignore_a_namespace_and_pvcs_map_to_their_resource() -> None:
    browse, transport = _service({
        "/api/v1/nodes": {"items": []},
        "/api/v1/persistentvolumeclaims": {"items": []},
    })
    await browse.list_kind("prod", "nodes", namespace="shop")
    await browse.list_kind("prod", "pvcs")
    assert [r.path for r in transport.requests] == ["/api/v1/nodes", "/api/v1/persistentvolumeclaims"]


async def test_unknown_kind_and_cluster() -> None:
    browse, _ = _service({})
    with pytest.raises(UnknownKind):
        await browse.list_kind("prod", "widgets")
    with pytest.raises(ClusterNotFound):
        await browse.list_kind("staging", "pods")


async def test_events_for_an_object_use_an_involved_object_selector_newest_first() -> None:
    events = {"items": [_event("a", "2024-05-01T10:00:00Z"), _event("b", "2024-05-01T12:00:00Z"),
                        _event("c", "2024-05-01T11:00:00Z")]}
    browse, transport = _service({"/api/v1/namespaces/shop/events": events, "/api/v1/events": events})
    page = await browse.events_for("prod", "pods", "web", namespace="shop")
    assert [e.name for e in page.items] == ["b", "c", "a"]
    assert _query(transport.requests[0])["fieldSelector"] == (
        "involvedObject.kind=Pod,involvedObject.name=web,involvedObject.namespace=shop"
    )
    await browse.events_for("prod", "nodes", "ip-10-0-1-5")
    assert transport.requests[1].path == "/api/v1/events"
    assert _query(transport.requests[1])["fieldSelector"] == "involvedObject.kind=Node,involvedObject.name=ip-10-0-1-5"


def _crd(columns: list[dict[str, Any]]) -> dict[str, Any]:
    return {"metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced", "names": {"plural": "widgets", "kind": "Widget"},
                     "versions": [{"name": "v1", "served": True, "storage": True,
                                   "additionalPrinterColumns": columns},
                                  {"name": "v0", "served": False}]}}


WIDGETS = {"metadata": {"continue": ""}, "items": [
    {"metadata": {"name": "w1", "namespace": "shop", "creationTimestamp": "2024-05-01T10:00:00Z"},
     "spec": {"size": 3}}]}
CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com"


async def test_custom_list_uses_the_crd_printer_columns() -> None:
    columns = [{"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
               {"name": "Debug", "type": "string", "jsonPath": ".spec.debug", "priority": 1}]
    browse, _ = _service({CRD_PATH: _crd(columns), "/apis/example.com/v1/namespaces/shop/widgets": WIDGETS})
    page = await browse.list_custom("prod", "example.com", "v1", "widgets", namespace="shop")
    assert [c.name for c in page.columns] == ["Size"]
    assert page.scope == "Namespaced"
    assert page.items[0].columns == {"Size": 3}
    with pytest.raises(UnknownKind):
        await browse.list_custom("prod", "example.com", "v0", "widgets")


async def test_custom_kind_falls_back_to_discovery_when_crds_are_forbidden() -> None:
    forbidden = (403, {"kind": "Status", "code": 403, "reason": "Forbidden", "message": "no"})
    browse, _ = _service({
        CRD_PATH: lambda _: forbidden,
        "/api": {"versions": ["v1"]},
        "/api/v1": {"resources": []},
        "/apis": {"groups": [{"name": "example.com",
                              "versions": [{"groupVersion": "example.com/v1", "version": "v1"}]}]},
        "/apis/example.com/v1": {"resources": [{"name": "widgets", "kind": "Widget", "namespaced": True}]},
        "/apis/example.com/v1/widgets": WIDGETS,
        "/api/v1/namespaces/shop/events": {"items": [_event("e", "2024-05-01T10:00:00Z", "Widget")]},
    })
    page = await browse.list_custom("prod", "example.com", "v1", "widgets")
    assert (page.columns, page.items[0].name) == ([], "w1")
    events = await browse.custom_events("prod", "example.com", "v1", "widgets", "web", namespace="shop")
    assert [e.name for e in events.items] == ["e"]
    with pytest.raises(UnknownKind):
        await browse.list_custom("prod", "example.com", "v1", "gadgets")


async def test_crds_forbidden_surfaces_as_forbidden() -> None:
    forbidden = (403, {"kind": "Status", "code": 403, "reason": "Forbidden", "message": "cannot list"})
    browse, _ = _service({"/apis/apiextensions.k8s.io/v1/customresourcedefinitions": lambda _: forbidden})
    with pytest.raises(Forbidden) as caught:
        await browse.crds("prod")
    assert caught.value.status.reason == "Forbidden"

"""A tiny client that drives `ApiServer.handle` the way the HTTP listener does, for the engine tests."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio

from periscope_adapters.sandbox._engine import ApiServer, SandboxRequest, SandboxResponse
from periscope_adapters.sandbox._rbac import UserInfo

ADMIN = UserInfo(name="admin", groups=("system:masters", "system:authenticated"))
BOB = UserInfo(name="bob", groups=("system:authenticated",))
TABLE = ("application/json;as=Table;v=v1;g=meta.k8s.io,"
         "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")
AGGREGATED = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
              "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")
START = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


class Clock:
    """A settable clock for deterministic timestamps."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Reply:
    def __init__(self, response: SandboxResponse) -> None:
        self.response = response
        self.status = response.status

    @property
    def json(self) -> Any:
        return json.loads(self.response.body)

    @property
    def text(self) -> str:
        return self.response.body.decode()

    def header(self, name: str) -> str:
        return next((v for k, v in self.response.headers if k.lower() == name.lower()), "")

    async def lines(self, count: int, timeout: float = 2.0) -> list[Any]:
        """The next `count` JSON lines of a streamed (watch) response."""
        assert self.response.stream is not None
        out: list[Any] = []
        with anyio.fail_after(timeout):
            while len(out) < count:
                chunk = await anext(self.response.stream)
                out.extend(json.loads(line) for line in chunk.splitlines() if line.strip())
        return out

    async def rest(self, timeout: float = 3.0) -> bytes:
        """Everything left on the stream, until the server ends it."""
        assert self.response.stream is not None
        data = b""
        with anyio.fail_after(timeout):
            async for chunk in self.response.stream:
                data += chunk
        return data

    async def close(self) -> None:
        if self.response.stream is not None:
            await self.response.stream.aclose()  # type: ignore[attr-defined]


class Client:
    """Requests to one ApiServer as one authenticated user."""

    def __init__(self, api: ApiServer, user: UserInfo = ADMIN) -> None:
        self.api = api
        self.user = user

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Iterable[tuple[str, str]] = (),
        body: Any = None,
        content_type: str = "application/json",
        headers: dict[str, str | list[str]] | None = None,
        accept: str = "application/json",
    ) -> Reply:
        lowered: dict[str, list[str]] = {"accept": [accept], "user-agent": ["engine-test/1.0"]}
        for key, value in (headers or {}).items():
            lowered[key.lower()] = value if isinstance(value, list) else [value]
        raw = b""
        if body is not None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            lowered["content-type"] = [content_type]
        request = SandboxRequest(method=method, path=path, query=list(query), headers=lowered, body=raw,
                                 user=self.user)
        return Reply(await self.api.handle(request))

    async def get(self, path: str, **kwargs: Any) -> Reply:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, body: Any, **kwargs: Any) -> Reply:
        return await self.request("POST", path, body=body, **kwargs)

    async def put(self, path: str, body: Any, **kwargs: Any) -> Reply:
        return await self.request("PUT", path, body=body, **kwargs)

    async def patch(self, path: str, body: Any, content_type: str, **kwargs: Any) -> Reply:
        return await self.request("PATCH", path, body=body, content_type=content_type, **kwargs)

    async def delete(self, path: str, body: Any = None, **kwargs: Any) -> Reply:
        return await self.request("DELETE", path, body=body, **kwargs)


def pod(name: str, namespace: str = "default", *, labels: dict[str, str] | None = None,
        containers: tuple[str, ...] = ("app",), **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": {"containers": [{"name": c, "image": "nginx"} for c in containers], **extra},
    }


def configmap(name: str, namespace: str = "default", **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": data}


def deployment(name: str, replicas: int = 1, namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [{"name": "app", "image": "nginx:1"}]}},
        },
    }

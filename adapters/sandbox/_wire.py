"""Request and response shapes of the engine, and the HTTP details every handler shares.

The listener (or an in-process transport) builds a SandboxRequest per HTTP request and
writes back the SandboxResponse; `stream`, when set, is sent chunked after `body`, one
chunk per item, and closed (`aclose`) when the client goes away.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

import msgspec
import yaml

from ._catalog import ResourceType
from ._rbac import UserInfo
from ._routes import RequestInfo
from ._status import ApiError, bad_request, status, unsupported_media_type

JSON = "application/json"
_encoder = msgspec.json.Encoder()


class SandboxRequest(msgspec.Struct):
    """One HTTP request: `path` without the query, `headers` with lower-case names."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, list[str]]
    body: bytes
    user: UserInfo

    def header(self, name: str) -> str:
        values = self.headers.get(name)
        return values[0] if values else ""

    def params(self) -> dict[str, str]:
        """First value of each query parameter."""
        params: dict[str, str] = {}
        for key, value in self.query:
            params.setdefault(key, value)
        return params

    def param_list(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]


class SandboxResponse(msgspec.Struct):
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None


class ClosingStream:
    """A response stream whose `aclose` releases its resources even if it was never iterated.

    (Closing an async generator that never started skips its `finally`; the listener may
    close a stream before reading it when the client is already gone.)
    """

    def __init__(self, chunks: AsyncGenerator[bytes, None], release: Callable[[], None]) -> None:
        self._chunks = chunks
        self._release = release

    def __aiter__(self) -> ClosingStream:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self._chunks.__anext__()
        except StopAsyncIteration:
            self._release()
            raise

    async def aclose(self) -> None:
        try:
            await self._chunks.aclose()
        finally:
            self._release()


class ExecTarget(msgspec.Struct, frozen=True):
    """An authorized exec or attach: the pod as stored, the chosen container and the options."""

    pod: dict[str, Any]
    container: str
    command: list[str]
    stdin: bool
    stdout: bool
    stderr: bool
    tty: bool
    user: UserInfo


class Call(msgspec.Struct, frozen=True):
    """One authorized request for a served resource, on its way through the handlers."""

    request: SandboxRequest
    info: RequestInfo
    user: UserInfo
    rt: ResourceType
    params: dict[str, str]

    @property
    def namespace(self) -> str:
        return self.info.namespace if self.rt.namespaced else ""


def encode(body: Any) -> bytes:
    return _encoder.encode(body)


def json_response(code: int, body: Any, *, content_type: str = JSON) -> SandboxResponse:
    headers = [("Content-Type", content_type), ("Cache-Control", "no-cache, private")]
    return SandboxResponse(code, headers, encode(body))


def error_response(error: ApiError) -> SandboxResponse:
    return json_response(error.code, error.body)


def text_response(code: int, text: str) -> SandboxResponse:
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")]
    return SandboxResponse(code, headers, text.encode())


def media_type(request: SandboxRequest) -> str:
    return request.header("content-type").split(";")[0].strip().lower()


def decode_object(request: SandboxRequest) -> dict[str, Any]:
    """The body of a create or update: JSON or YAML, and a JSON object."""
    kind = media_type(request)
    if kind in ("", JSON):
        try:
            body = msgspec.json.decode(request.body)
        except msgspec.DecodeError as exc:
            raise bad_request(f"couldn't get version/kind; json parse error: {exc}") from exc
    elif kind in ("application/yaml", "application/x-yaml"):
        body = decode_yaml(request.body)
    else:
        raise unsupported_media_type(kind, [JSON, "application/yaml"])
    if not isinstance(body, dict):
        raise bad_request("Object 'Kind' is missing in '" + request.body.decode(errors="replace")[:64] + "'")
    return body


def decode_yaml(raw: bytes) -> Any:
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise bad_request(f"error converting YAML to JSON: {exc}") from exc


class Wanted(msgspec.Struct, frozen=True):
    """The representation an Accept header asks for: plain JSON, a Table or object metadata."""

    form: str = "json"  # "json" | "Table" | "PartialObjectMetadata"
    version: str = "v1"

    @property
    def content_type(self) -> str:
        if self.form == "json":
            return JSON
        return f"{JSON};as={self.form};v={self.version};g=meta.k8s.io"


def negotiate(accept: str) -> Wanted:
    """The first media range the server can produce, in the client's order; 406 if none."""
    if not accept.strip():
        return Wanted()
    for media_range in accept.split(","):
        kind, *raw = (part.strip() for part in media_range.split(";"))
        params = dict(p.split("=", 1) for p in raw if "=" in p)
        if kind not in (JSON, "application/*", "*/*"):
            continue
        form = params.get("as")
        if form is None:
            return Wanted()
        if form in ("Table", "PartialObjectMetadata", "PartialObjectMetadataList") and params.get(
                "g") == "meta.k8s.io" and params.get("v") in ("v1", "v1beta1"):
            return Wanted(form.removesuffix("List"), params["v"])
    message = "only the following media types are accepted: application/json"
    raise ApiError(status(406, message))

"""Non-resource paths: version, discovery, OpenAPI and health checks.

Discovery answers the aggregated document (apidiscovery.k8s.io/v2) when the Accept header
prefers it, as kubectl 1.32 does, and the legacy documents otherwise. `/openapi/v2` is
JSON only: a protobuf-only Accept gets 406, on which client-go falls back cleanly.
"""

from __future__ import annotations

from ._catalog import Catalog
from ._discovery import (
    AGGREGATED_CONTENT_TYPE,
    accepts_aggregated,
    aggregated_discovery,
    api_group_list,
    api_resource_list,
    api_versions,
    version_info,
)
from ._openapi import openapi_v2, openapi_v3_document, openapi_v3_index
from ._routes import split_path
from ._status import ApiError, method_not_allowed, path_not_found, status
from ._wire import JSON, SandboxRequest, SandboxResponse, json_response, text_response

_HEALTH = ("healthz", "livez", "readyz")


def nonresource_response(catalog: Catalog, request: SandboxRequest) -> SandboxResponse:
    parts = split_path(request.path)
    if parts and parts[0] in _HEALTH:
        return text_response(200, "ok")
    if request.method not in ("GET", "HEAD"):
        raise method_not_allowed()
    accept = request.header("accept")
    match parts:
        case ["version"]:
            return json_response(200, version_info())
        case ["api"] | ["apis"]:
            legacy = parts[0] == "api"
            if accepts_aggregated(accept):
                body = aggregated_discovery(catalog, legacy_core=legacy)
                response = json_response(200, body, content_type=AGGREGATED_CONTENT_TYPE)
                response.headers.append(("Vary", "Accept"))
                return response
            response = json_response(200, api_versions() if legacy else api_group_list(catalog))
            response.headers.append(("Vary", "Accept"))
            return response
        case ["api", version]:
            return _resource_list(catalog, "", version)
        case ["apis", group]:
            return _group(catalog, group)
        case ["apis", group, version]:
            return _resource_list(catalog, group, version)
        case ["openapi", "v2"]:
            if not _accepts_json(accept):
                raise ApiError(status(406, "only the following media types are accepted: application/json"))
            return json_response(200, openapi_v2(catalog))
        case ["openapi", "v3"]:
            return json_response(200, openapi_v3_index(catalog))
        case ["openapi", "v3", "api", version]:
            return _openapi_document(catalog, "", version)
        case ["openapi", "v3", "apis", group, version]:
            return _openapi_document(catalog, group, version)
    if parts and parts[0] in ("api", "apis"):
        raise path_not_found()
    return text_response(404, "404 page not found\n")


def _accepts_json(accept: str) -> bool:
    if not accept.strip():
        return True
    kinds = {media.split(";")[0].strip() for media in accept.split(",")}
    return bool(kinds & {JSON, "application/*", "*/*"})


def _resource_list(catalog: Catalog, group: str, version: str) -> SandboxResponse:
    body = api_resource_list(catalog, group, version)
    if body is None:
        raise path_not_found()
    return json_response(200, body)


def _group(catalog: Catalog, group: str) -> SandboxResponse:
    for entry in api_group_list(catalog)["groups"]:
        if entry["name"] == group:
            return json_response(200, {"kind": "APIGroup", "apiVersion": "v1", **entry})
    raise path_not_found()


def _openapi_document(catalog: Catalog, group: str, version: str) -> SandboxResponse:
    body = openapi_v3_document(catalog, group, version)
    if body is None:
        return text_response(404, "404 page not found\n")
    return json_response(200, body)

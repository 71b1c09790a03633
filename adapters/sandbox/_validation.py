"""The checks kube-apiserver makes that kubectl users actually meet, with its exact wording.

Object names (DNS-1123 subdomain for most kinds, labels for namespaces, DNS-1035 for
services, path segments for RBAC objects), the body's kind and apiVersion against the URL,
and which fields each kind allows in a fieldSelector.
"""

from __future__ import annotations

import re
from typing import Any

from ._catalog import Catalog, ResourceType, is_builtin
from ._selectors import FieldRequirement, FieldSelector, SelectorError, parse_field_selector
from ._status import Cause, bad_request, invalid

_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
    "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)


def name_errors(rt: ResourceType, name: str) -> list[str]:
    """What is wrong with `name` for this kind, in the apiserver's words (empty when valid)."""
    if rt.group == "rbac.authorization.k8s.io":
        if name in (".", ".."):
            return [f"may not be '{name}'"]
        return [f"may not contain '{c}'" for c in "/%" if c in name]
    if (rt.group, rt.plural) == ("", "namespaces"):
        return _pattern_errors(name, _LABEL, _LABEL_MSG, 63)
    if (rt.group, rt.plural) == ("", "services"):
        return _pattern_errors(name, _DNS1035, _DNS1035_MSG, 63)
    return _pattern_errors(name, _SUBDOMAIN, _SUBDOMAIN_MSG, 253)


def _pattern_errors(name: str, pattern: re.Pattern[str], message: str, limit: int) -> list[str]:
    errors = [f"must be no more than {limit} characters"] if len(name) > limit else []
    if not pattern.fullmatch(name):
        errors.append(message)
    return errors


def check_name(rt: ResourceType, obj: dict[str, Any]) -> None:
    """422 for a missing or malformed metadata.name."""
    name = obj["metadata"].get("name") or ""
    if not name:
        cause = Cause.required("metadata.name", "name or generateName is required")
        raise invalid(rt.kind, "", [cause], group=rt.group)
    errors = name_errors(rt, name)
    if errors:
        causes = [Cause.invalid("metadata.name", name, e) for e in errors]
        raise invalid(rt.kind, name, causes, group=rt.group)


def check_type(catalog: Catalog, rt: ResourceType, obj: dict[str, Any]) -> None:
    """The body's apiVersion and kind must name the URL's resource (missing ones are filled in)."""
    api_version = obj.setdefault("apiVersion", rt.api_version)
    kind = obj.setdefault("kind", rt.kind)
    if api_version != rt.api_version:
        raise bad_request(f"the API version in the data ({api_version}) does not match the expected API "
                          f"version ({rt.api_version})")
    if kind == rt.kind:
        return
    if not is_builtin(rt):
        name = (obj.get("metadata") or {}).get("name", "")
        raise invalid(rt.kind, name, [Cause.invalid("kind", kind, f"must be {rt.kind}")], group=rt.group)
    version = rt.version
    if catalog.by_kind(rt.group, version, kind) is None:
        why = f'no kind "{kind}" is registered for version "{api_version}" in scheme ' \
              '"k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30"'
    else:
        internal = rt.group.split(".")[0] if rt.group else "core"
        why = f"converting ({version}.{kind}) to ({internal}.{rt.kind}): unknown conversion"
    raise bad_request(f'{kind} in version "{version}" cannot be handled as a {rt.kind}: {why}')


def check_metadata(body: dict[str, Any]) -> dict[str, Any]:
    meta = body.get("metadata")
    if meta is None:
        meta = body["metadata"] = {}
    if not isinstance(meta, dict):
        raise bad_request("metadata must be an object")
    return meta


# Fields beyond metadata.name/namespace that each built-in kind indexes for fieldSelector,
# from the field label conversion functions registered in kube-apiserver.
_FIELDS: dict[tuple[str, str], frozenset[str]] = {
    ("", "pods"): frozenset({
        "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
        "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName",
        "spec.host"}),
    ("", "events"): frozenset({
        "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
        "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
        "reason", "reportingComponent", "source", "type"}),
    ("", "nodes"): frozenset({"spec.unschedulable"}),
    ("", "namespaces"): frozenset({"status.phase"}),
    ("", "secrets"): frozenset({"type"}),
    ("", "replicationcontrollers"): frozenset({"status.replicas"}),
    ("apps", "replicasets"): frozenset({"status.replicas"}),
    ("batch", "jobs"): frozenset({"status.successful"}),
    ("certificates.k8s.io", "certificatesigningrequests"): frozenset({"spec.signerName"}),
}
# Field labels that name a different field of the object than they spell.
_ALIASES = {"spec.host": "spec.nodeName", "source": "source.component"}
_META = frozenset({"metadata.name", "metadata.namespace"})


def field_selector(rt: ResourceType, text: str, selectable: frozenset[str] = frozenset()) -> FieldSelector:
    """Parses and checks a fieldSelector for `rt`; `selectable` adds a CRD's selectableFields."""
    try:
        selector = parse_field_selector(text)
    except SelectorError as exc:
        raise bad_request(str(exc)) from exc
    extra = _FIELDS.get((rt.group, rt.plural))
    allowed = _META | (extra or selectable)
    for key in sorted(selector.keys()):
        if key in allowed:
            continue
        if extra is not None:
            raise bad_request(f"field label not supported: {key}")
        only = '"metadata.name", "metadata.namespace"'
        raise bad_request(f'"{key}" is not a known field selector: only {only}')
    if not any(r.field in _ALIASES for r in selector.requirements):
        return selector
    return FieldSelector(tuple(
        FieldRequirement(_ALIASES.get(r.field, r.field), r.value, r.equal) for r in selector.requirements))


def crd_selectable_fields(crd: dict[str, Any] | None, version: str) -> frozenset[str]:
    """The `selectableFields` a CRD version declares, as field labels (`spec.color`)."""
    for served in ((crd or {}).get("spec") or {}).get("versions") or []:
        if served.get("name") == version:
            paths = (f.get("jsonPath", "") for f in served.get("selectableFields") or [])
            return frozenset(p.lstrip(".") for p in paths if p)
    return frozenset()


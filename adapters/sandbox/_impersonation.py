"""Impersonation as kube-apiserver's impersonation filter performs it.

Every impersonated attribute is one `impersonate` check against the requester's own
permissions, in the apiserver's order: user (or service account), each group, each extra
value, then the uid. The first refusal ends the request with the 403 the apiserver writes;
only when all pass does the request act as the new identity.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple
from urllib.parse import unquote

from periscope_adapters.sandbox._rbac import (
    ANONYMOUS,
    AUTHENTICATED,
    SERVICE_ACCOUNT_PREFIX,
    UNAUTHENTICATED,
    Attributes,
    Authorizer,
    UserInfo,
    forbidden_status,
    go_quote,
    service_account_groups,
)
from periscope_adapters.sandbox._status import ApiError, bad_request

_AUTHENTICATION = "authentication.k8s.io"
_EXTRA_PREFIX = "impersonate-extra-"
_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_NAMESPACE = re.compile(_DNS_LABEL)
_SERVICE_ACCOUNT = re.compile(rf"{_DNS_LABEL}(\.{_DNS_LABEL})*")


class ImpersonationDenied(ApiError):
    """The requester may not impersonate what it asked for; `body` is the apiserver's 403 Status."""


class _Check(NamedTuple):
    """One thing to impersonate, as the resource the requester needs `impersonate` on."""

    resource: str
    name: str
    group: str = ""
    namespace: str = ""
    subresource: str = ""

    def attributes(self, requester: UserInfo) -> Attributes:
        return Attributes(
            user=requester,
            verb="impersonate",
            group=self.group,
            resource=self.resource,
            subresource=self.subresource,
            namespace=self.namespace,
            name=self.name,
        )


def _split_service_account(username: str) -> tuple[str, str] | None:
    """(namespace, name) when `username` is a well-formed service account username."""
    if not username.startswith(SERVICE_ACCOUNT_PREFIX):
        return None
    parts = username[len(SERVICE_ACCOUNT_PREFIX) :].split(":")
    if len(parts) != 2:
        return None
    namespace, name = parts
    if len(namespace) > 63 or not _NAMESPACE.fullmatch(namespace):
        return None
    if len(name) > 253 or not _SERVICE_ACCOUNT.fullmatch(name):
        return None
    return namespace, name


def _first(headers: Mapping[str, Sequence[str]], key: str) -> str:
    values = headers.get(key) or ()
    return values[0] if values else ""


def _extras(headers: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Impersonate-Extra-* values by key; keys travel percent-encoded because headers are ASCII."""
    extra: dict[str, tuple[str, ...]] = {}
    for header in sorted(headers):
        if header.startswith(_EXTRA_PREFIX):
            key = unquote(header[len(_EXTRA_PREFIX) :].lower())
            extra[key] = (*extra.get(key, ()), *headers[header])
    return extra


def resolve_impersonation(
    requester: UserInfo, headers: Mapping[str, Sequence[str]], authorizer: Authorizer
) -> UserInfo:
    """The identity a request acts as, given its lower-cased headers.

    Returns `requester` when no Impersonate-* header is present. Raises ImpersonationDenied
    (403) when the requester lacks a permission, ApiError (400) for groups, extras or a uid
    without a user.
    """
    username = _first(headers, "impersonate-user")
    groups = list(headers.get("impersonate-group") or ())
    extra = _extras(headers)
    uid = _first(headers, "impersonate-uid")

    service_account = _split_service_account(username) if username else None
    checks: list[_Check] = []
    if service_account is not None:
        checks.append(_Check("serviceaccounts", service_account[1], namespace=service_account[0]))
    elif username:
        checks.append(_Check("users", username))
    checks += [_Check("groups", group) for group in groups]
    checks += [
        _Check("userextras", value, group=_AUTHENTICATION, subresource=key)
        for key, values in extra.items()
        for value in values
    ]
    if uid:
        checks.append(_Check("uids", uid, group=_AUTHENTICATION))
    if not checks:
        return requester
    if not username:
        asked = ", ".join(f"{check.resource} {go_quote(check.name)}" for check in checks)
        raise bad_request(f"requested {asked} without impersonating a user")

    for check in checks:
        attrs = check.attributes(requester)
        decision = authorizer.authorize(attrs)
        if not decision.allowed:
            raise ImpersonationDenied(forbidden_status(attrs, decision.reason))

    if service_account is not None and not groups:
        # A service account's groups follow from its name, as its token would carry them.
        groups = list(service_account_groups(service_account[0]))
    # Like the apiserver: add the catch-all group unless one was asked for explicitly.
    if username == ANONYMOUS:
        implied, explicit = UNAUTHENTICATED, {UNAUTHENTICATED}
    else:
        implied, explicit = AUTHENTICATED, {AUTHENTICATED, UNAUTHENTICATED}
    if explicit.isdisjoint(groups):
        groups.append(implied)
    return UserInfo(name=username, groups=tuple(groups), uid=uid, extra=extra)

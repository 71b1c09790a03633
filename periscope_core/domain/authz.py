"""From a verified principal to the identity its Kubernetes calls are made as.

Three modes, as in the original product:

- ``shared``: every call runs as the bridge identity (no Impersonate-* headers);
- ``tier``: ``Impersonate-User: <sub>`` and one group ``periscope-tier:<tier>``, the
  highest tier any of the user's IdP groups maps to, else ``defaultTier`` (else none);
- ``raw``: ``Impersonate-User: <sub>`` and every IdP group behind ``groupPrefix``.

Whatever reaches a header is checked, never repaired: a subject or group with a
control character, a non-ASCII character or a comma rejects the whole identity
(IdentityRejected), and so does a subject in the reserved ``system:`` namespace.
A group that would land in ``system:`` (only possible with an empty prefix) is
dropped, so an IdP cannot hand out ``system:masters``.
"""

from __future__ import annotations

import msgspec

from periscope_core.domain.auth_config import AuthConfig, AuthMode, AuthorizationConfig, header_safe
from periscope_core.domain.errors import IdentityRejected
from periscope_core.domain.identity import BRIDGE, Impersonation, Principal
from periscope_core.domain.tier_rbac import TIERS, tier_group

_RESERVED = "system:"


def group_allowed(principal: Principal, authz: AuthorizationConfig) -> bool:
    """The ``allowedGroups`` gate: empty lets everybody in."""
    return not authz.allowedGroups or not set(authz.allowedGroups).isdisjoint(principal.groups)


def tier_for(principal: Principal, authz: AuthorizationConfig) -> str:
    """The highest tier the principal's groups map to, else ``defaultTier`` ("" for none)."""
    ranks = [TIERS.index(authz.groupTiers[g]) for g in principal.groups if g in authz.groupTiers]
    return TIERS[max(ranks)] if ranks else authz.defaultTier


def _checked_subject(principal: Principal) -> str:
    subject = principal.subject
    if not header_safe(subject):
        raise IdentityRejected("the identity provider's subject cannot be sent safely as a header")
    if subject.lower().startswith(_RESERVED):
        raise IdentityRejected("subjects in the reserved system: namespace cannot be impersonated")
    return subject


def _raw_groups(principal: Principal, prefix: str) -> tuple[str, ...]:
    groups: list[str] = []
    for group in principal.groups:
        if not group:
            continue
        mapped = f"{prefix}{group}"
        if not header_safe(mapped):
            raise IdentityRejected("an identity provider group cannot be sent safely as a header")
        if mapped.lower().startswith(_RESERVED) or mapped in groups:
            continue
        groups.append(mapped)
    return tuple(groups)


def impersonation_for(principal: Principal, authz: AuthorizationConfig) -> Impersonation:
    """The Impersonate-* identity for ``principal``; raises IdentityRejected for unsafe claims."""
    if authz.mode == "shared":
        return BRIDGE
    subject = _checked_subject(principal)
    if authz.mode == "tier":
        tier = tier_for(principal, authz)
        return Impersonation(user=subject, groups=(tier_group(tier),) if tier else ())
    if authz.mode == "raw":
        return Impersonation(user=subject, groups=_raw_groups(principal, authz.groupPrefix))
    raise IdentityRejected(f"unknown authorization mode {authz.mode!r}")


def stream_identity(impersonation: Impersonation, authz: AuthorizationConfig) -> Impersonation:
    """Whom a shared live stream's upstream watch runs as.

    In tier mode the tier decides what a user may read, so every user of one tier can
    share one upstream watch made as the tier itself (a user named after the tier
    group, holding only that group). Raw and shared modes keep the caller's identity:
    a raw identity's rights are its own, and shared mode is one identity already.
    """
    if authz.mode != "tier" or len(impersonation.groups) != 1:
        return impersonation
    (group,) = impersonation.groups
    return Impersonation(user=group, groups=(group,))


def is_audit_admin(principal: Principal, authz: AuthorizationConfig) -> bool:
    """Who sees every audit row.

    An explicit ``auditAdminGroups`` decides alone. Without it the original's rules
    apply: tier mode means the admin tier, shared mode means membership of a
    non-empty ``allowedGroups``, raw mode means nobody.
    """
    if authz.auditAdminGroups:
        return not set(authz.auditAdminGroups).isdisjoint(principal.groups)
    if authz.mode == "tier":
        return tier_for(principal, authz) == "admin"
    if authz.mode == "shared":
        return bool(authz.allowedGroups) and group_allowed(principal, authz)
    return False


class WhoAmI(msgspec.Struct, frozen=True, omit_defaults=True):
    """``GET /api/auth/whoami``; ``tier`` only in tier mode, ``auditScope`` only with audit on."""

    subject: str
    email: str
    groups: tuple[str, ...]
    mode: str
    authzMode: str
    auditEnabled: bool
    expiresAt: int
    tier: str = ""
    auditScope: str = ""


class Actor(msgspec.Struct, frozen=True, omit_defaults=True):
    """``GET /api/whoami``: who the audit log will name."""

    actor: str
    auditEnabled: bool
    mode: str
    tier: str = ""
    auditScope: str = ""


class PublicAuthConfig(msgspec.Struct, frozen=True, omit_defaults=True):
    """``GET /api/auth/config``, readable before sign-in; ``devBanner`` flags the fixed dev identity.

    ``csrfCookie`` and ``csrfHeader`` tell a client other than the console's own pages where
    the CSRF token is read and how it is sent back (the session cookie's name is configurable).
    """

    authMode: str
    providerName: str = ""
    devBanner: bool = False
    csrfCookie: str = ""
    csrfHeader: str = ""


def _scope(principal: Principal, authz: AuthorizationConfig, audit_enabled: bool) -> str:
    if not audit_enabled:
        return ""
    return "all" if is_audit_admin(principal, authz) else "self"


def whoami(
    principal: Principal, authz: AuthorizationConfig, *, mode: AuthMode, audit_enabled: bool, expires_at: float
) -> WhoAmI:
    return WhoAmI(
        subject=principal.subject,
        email=principal.email,
        groups=principal.groups,
        mode=mode,
        authzMode=authz.mode,
        auditEnabled=audit_enabled,
        expiresAt=int(expires_at),
        tier=tier_for(principal, authz) if authz.mode == "tier" else "",
        auditScope=_scope(principal, authz, audit_enabled),
    )


def actor(principal: Principal, authz: AuthorizationConfig, *, audit_enabled: bool) -> Actor:
    return Actor(
        actor=principal.subject,
        auditEnabled=audit_enabled,
        mode=authz.mode,
        tier=tier_for(principal, authz) if authz.mode == "tier" else "",
        auditScope=_scope(principal, authz, audit_enabled),
    )


def public_config(
    config: AuthConfig, *, mode: AuthMode, csrf_cookie: str = "", csrf_header: str = ""
) -> PublicAuthConfig:
    """What anyone may know of sign-in here; dev mode has no session, so no CSRF token either."""
    if mode == "dev":
        return PublicAuthConfig(authMode="dev", devBanner=True)
    return PublicAuthConfig(
        authMode="oidc", providerName=config.provider_label(), csrfCookie=csrf_cookie, csrfHeader=csrf_header
    )

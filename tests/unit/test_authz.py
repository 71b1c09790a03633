"""Principal -> Impersonate-* identity for the three modes, and the checks on what reaches a header."""

from __future__ import annotations

import pytest

from periscope_core.domain.auth_config import AuthConfig, AuthorizationConfig, OidcConfig
from periscope_core.domain.authz import (
    actor,
    group_allowed,
    impersonation_for,
    is_audit_admin,
    public_config,
    tier_for,
    whoami,
)
from periscope_core.domain.errors import IdentityRejected
from periscope_core.domain.identity import BRIDGE, Impersonation, Principal

TIERS = {"sre": "admin", "devs": "write", "support": "triage", "everyone": "read"}
ALICE = Principal(subject="alice", email="alice@example.com", groups=("devs", "everyone"))


def tier(**overrides: object) -> AuthorizationConfig:
    return AuthorizationConfig(mode="tier", groupTiers=TIERS, **overrides)  # type: ignore[arg-type]


def test_shared_mode_calls_as_the_bridge() -> None:
    assert impersonation_for(ALICE, AuthorizationConfig(mode="shared")) is BRIDGE
    assert BRIDGE.headers() == []


def test_tier_mode_impersonates_the_subject_with_the_highest_tier() -> None:
    imp = impersonation_for(ALICE, tier())
    assert imp == Impersonation(user="alice", groups=("periscope-tier:write",))
    assert imp.headers() == [("Impersonate-User", "alice"), ("Impersonate-Group", "periscope-tier:write")]
    # Order of groups does not matter: admin beats read wherever it appears.
    bob = Principal(subject="bob", groups=("everyone", "sre", "support"))
    assert tier_for(bob, tier()) == "admin"


def test_tier_mode_falls_back_to_the_default_tier_or_to_no_group() -> None:
    stranger = Principal(subject="carol", groups=("marketing",))
    assert impersonation_for(stranger, tier(defaultTier="read")).groups == ("periscope-tier:read",)
    nothing = impersonation_for(stranger, tier())
    assert nothing == Impersonation(user="carol", groups=())
    assert nothing.headers() == [("Impersonate-User", "carol")]


def test_raw_mode_forwards_every_group_behind_the_prefix_one_header_each() -> None:
    principal = Principal(subject="alice", groups=("devs", "", "ops", "devs"))
    imp = impersonation_for(principal, AuthorizationConfig(mode="raw"))
    assert imp.groups == ("periscope:devs", "periscope:ops")
    assert [h for h in imp.headers() if h[0] == "Impersonate-Group"] == [
        ("Impersonate-Group", "periscope:devs"), ("Impersonate-Group", "periscope:ops"),
    ]


def test_reserved_groups_are_never_forwarded_verbatim() -> None:
    principal = Principal(subject="alice", groups=("system:masters", "system:authenticated", "devs"))
    prefixed = impersonation_for(principal, AuthorizationConfig(mode="raw"))
    assert prefixed.groups == ("periscope:system:masters", "periscope:system:authenticated", "periscope:devs")
    unprefixed = impersonation_for(principal, AuthorizationConfig(mode="raw", groupPrefix=""))
    assert unprefixed.groups == ("devs",)


@pytest.mark.parametrize(
    "subject",
    [
        "alice\r\nImpersonate-Group: system:masters",
        "alice\nx",
        "alice\x00",
        "ali\tce",
        "alicé",
        "alice,bob",
        " alice",
        "",
        "system:admin",
        "system:serviceaccount:kube-system:default",
    ],
)
@pytest.mark.parametrize("mode", ["tier", "raw"])
def test_unsafe_subjects_reject_the_identity(subject: str, mode: str) -> None:
    with pytest.raises(IdentityRejected) as refused:
        impersonation_for(Principal(subject=subject), AuthorizationConfig(mode=mode))
    assert refused.value.http_status == 403
    assert refused.value.code == "E_IDENTITY_REJECTED"


@pytest.mark.parametrize("group", ["ops\r\nImpersonate-User: root", "a,b", "nul\x00", "Développeurs", "x "])
def test_unsafe_groups_reject_the_identity_in_raw_mode(group: str) -> None:
    with pytest.raises(IdentityRejected):
        impersonation_for(Principal(subject="alice", groups=("ok", group)), AuthorizationConfig(mode="raw"))


def test_tier_mode_never_sends_idp_groups_so_odd_ones_are_harmless() -> None:
    principal = Principal(subject="alice", groups=("Développeurs", "devs"))
    assert impersonation_for(principal, tier()).groups == ("periscope-tier:write",)


def test_allowed_groups_gate() -> None:
    assert group_allowed(ALICE, AuthorizationConfig())
    assert group_allowed(ALICE, AuthorizationConfig(allowedGroups=("devs",)))
    assert not group_allowed(ALICE, AuthorizationConfig(allowedGroups=("sre",)))


def test_audit_admin_groups_are_honoured_in_every_mode() -> None:
    auditors = ("auditors",)
    for mode in ("shared", "tier", "raw"):
        authz = AuthorizationConfig(mode=mode, groupTiers=TIERS, auditAdminGroups=auditors)
        assert is_audit_admin(Principal(subject="a", groups=("auditors",)), authz)
        # An explicit list decides alone: the admin tier is not enough any more.
        assert not is_audit_admin(Principal(subject="b", groups=("sre",)), authz)


def test_audit_admin_falls_back_to_the_original_rules() -> None:
    assert is_audit_admin(Principal(subject="a", groups=("sre",)), tier())
    assert not is_audit_admin(ALICE, tier())
    assert is_audit_admin(ALICE, AuthorizationConfig(mode="shared", allowedGroups=("devs",)))
    assert not is_audit_admin(ALICE, AuthorizationConfig(mode="shared"))
    assert not is_audit_admin(Principal(subject="a", groups=("sre",)), AuthorizationConfig(mode="raw"))


def test_whoami_and_actor_views() -> None:
    view = whoami(ALICE, tier(), mode="oidc", audit_enabled=True, expires_at=1_700_000_000.9)
    assert view.tier == "write"
    assert view.auditScope == "self"
    assert view.expiresAt == 1_700_000_000
    shared = actor(ALICE, AuthorizationConfig(), audit_enabled=False)
    assert (shared.actor, shared.mode, shared.tier, shared.auditScope) == ("alice", "shared", "", "")


def test_public_config_flags_dev_mode_and_names_the_provider() -> None:
    assert public_config(AuthConfig(), mode="dev").devBanner
    config = AuthConfig(oidc=OidcConfig(issuer="https://acme.okta.com/oauth2/default"))
    assert public_config(config, mode="oidc").providerName == "Okta"
    assert not public_config(config, mode="oidc").devBanner


def test_public_config_names_the_csrf_cookie_only_where_there_are_sessions() -> None:
    config = AuthConfig(oidc=OidcConfig(issuer="https://idp.example"))
    signed = public_config(config, mode="oidc", csrf_cookie="ops_csrf", csrf_header="X-CSRF-Token")
    assert (signed.csrfCookie, signed.csrfHeader) == ("ops_csrf", "X-CSRF-Token")
    dev = public_config(config, mode="dev", csrf_cookie="ops_csrf", csrf_header="X-CSRF-Token")
    assert (dev.csrfCookie, dev.csrfHeader) == ("", "")

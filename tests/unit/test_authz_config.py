"""The auth file: the original's shape, its defaults, and validation that reports every problem."""

from __future__ import annotations

import pytest

from periscope_core.domain.auth_config import (
    DEFAULT_SCOPES,
    AuthConfig,
    dev_mode_allowed,
    parse_auth_config,
    parse_duration,
    resolve_auth_mode,
)
from periscope_core.domain.errors import ConfigError

FULL = """
oidc:
  issuer: https://tenant.us.auth0.com/
  clientID: abc123
  clientSecret: ${OIDC_CLIENT_SECRET}
  redirectURL: https://periscope.example.com/api/auth/callback
  audience: https://periscope
  postLogoutRedirect: https://periscope.example.com/api/auth/loggedout
session:
  cookieName: periscope_sid
  idleTimeout: 15m
  absoluteTimeout: 12h
  cookieDomain: example.com
authorization:
  mode: tier
  allowedGroups: [periscope-users]
  groupsClaim: https://periscope/groups
  groupTiers: {sre: admin, devs: write}
  defaultTier: read
  canICacheTTL: 10s
  auditAdminGroups: [auditors]
dev:
  subject: me@local
"""


def test_defaults_are_the_documented_ones() -> None:
    config = parse_auth_config("", source="auth.yaml")
    assert config == AuthConfig()
    assert config.mode == "dev"
    assert config.oidc.scopes == ("openid", "profile", "email", "offline_access", "groups") == DEFAULT_SCOPES
    assert config.session.cookieName == "periscope_session"
    assert config.session.idle_seconds == 30 * 60
    assert config.session.absolute_seconds == 8 * 3600
    assert config.authorization.mode == "shared"
    assert config.authorization.groupPrefix == "periscope:"
    assert config.authorization.can_i_cache_seconds == 30
    assert config.dev.principal().subject == "dev@local"


def test_a_full_file_in_the_original_shape() -> None:
    config = parse_auth_config(FULL, source="auth.yaml")
    assert config.mode == "oidc"
    assert config.oidc.clientSecret == "${OIDC_CLIENT_SECRET}"  # a reference, resolved later
    assert config.session.idle_seconds == 900
    assert config.session.absolute_seconds == 12 * 3600
    assert config.authorization.groupTiers == {"sre": "admin", "devs": "write"}
    assert config.authorization.auditAdminGroups == ("auditors",)
    assert config.authorization.can_i_cache_seconds == 10
    assert config.provider_label() == "Auth0"


def test_every_problem_is_reported_at_once() -> None:
    text = """
oidc: {issuer: "http://idp.example.com", scopes: [profile]}
session: {idleTimeout: soon, cookieName: "bad name", trustedProxies: [10.0.0.0/8, nope]}
authorization: {mode: magic, groupTiers: {x: god}, defaultTier: root, groupPrefix: "system:", canICacheTTL: -5}
"""
    with pytest.raises(ConfigError) as failure:
        parse_auth_config(text, source="auth.yaml")
    fields = {p.field for p in failure.value.problems}
    assert fields >= {
        "oidc.issuer", "oidc.clientID", "oidc.redirectURL", "oidc.scopes", "session.idleTimeout",
        "session.cookieName", "session.trustedProxies", "authorization.mode", "authorization.groupTiers.x",
        "authorization.defaultTier", "authorization.groupPrefix", "authorization.canICacheTTL",
    }
    assert all(p.file == "auth.yaml" for p in failure.value.problems)


def test_unknown_keys_and_wrong_types_are_named() -> None:
    with pytest.raises(ConfigError) as failure:
        parse_auth_config("authorization: {mdoe: tier}", source="auth.yaml")
    assert "mdoe" in str(failure.value)
    with pytest.raises(ConfigError) as failure:
        parse_auth_config("session: {cookieName: [1]}", source="auth.yaml")
    assert failure.value.problems[0].field == "session.cookieName"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("30m", 1800), ("8h", 28800), ("1h30m", 5400), ("500ms", 0.5), ("1.5h", 5400), ("45", 45)],
)
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5 minutes", "m", "10x", "1h 30m", "-5m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("issuer", "label"),
    [
        ("https://acme.okta.com/oauth2/default", "Okta"),
        ("https://login.microsoftonline.com/tid/v2.0", "Microsoft Entra"),
        ("https://accounts.google.com", "Google"),
        ("https://sso.example.com/realms/staff", "Keycloak"),
        ("https://id.example.com", "OIDC"),
    ],
)
def test_provider_label_is_guessed_from_the_issuer(issuer: str, label: str) -> None:
    config = parse_auth_config(f"oidc: {{issuer: '{issuer}', clientID: c, redirectURL: 'https://p/cb'}}",
                               source="a")
    assert config.provider_label() == label


def test_mode_resolution() -> None:
    oidc = parse_auth_config(FULL, source="a")
    assert resolve_auth_mode("", None) == "dev"
    assert resolve_auth_mode("", oidc) == "oidc"
    assert resolve_auth_mode("dev", oidc) == "dev"
    assert resolve_auth_mode("", AuthConfig()) == "dev"
    with pytest.raises(ConfigError):
        resolve_auth_mode("oidc", None)
    with pytest.raises(ConfigError):
        resolve_auth_mode("saml", oidc)


@pytest.mark.parametrize(("host", "allowed"), [
    ("127.0.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True), ("127.0.0.53", True),
    ("0.0.0.0", False), ("10.0.0.1", False), ("periscope.example.com", False), ("::", False),
])
def test_dev_mode_only_on_loopback(host: str, allowed: bool) -> None:
    assert dev_mode_allowed(host) is allowed


def test_forwarded_headers_are_believed_only_from_trusted_proxies() -> None:
    session = parse_auth_config("session: {trustedProxies: [10.0.0.0/8, '::1']}", source="a").session
    assert session.trusts("10.1.2.3")
    assert session.trusts("::1")
    assert not session.trusts("192.168.1.1")
    assert not session.trusts("not-an-ip")
    assert not AuthConfig().session.trusts("127.0.0.1")

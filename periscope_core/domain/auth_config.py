"""The auth file (``PERISCOPE_AUTH_FILE``), in the original product's shape.

    oidc:          {issuer, clientID, clientSecret, redirectURL, scopes, audience,
                    providerName, postLogoutRedirect}
    session:       {cookieName, idleTimeout, absoluteTimeout, cookieDomain,
                    revalidateInterval, trustedProxies}
    authorization: {mode, allowedGroups, groupsClaim, groupTiers, defaultTier,
                    groupPrefix, canICacheTTL, auditAdminGroups}
    dev:           {subject, email, groups}

Durations are Go-style strings (``30m``, ``8h``, ``1h30m``) or plain seconds.
``clientSecret`` is a secret reference (``${ENV}``, ``file://path``, a registered
scheme, or a literal) resolved at start-up by the secrets port. Validation reports
every problem at once.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal
from urllib.parse import urlsplit

import msgspec
import yaml

from periscope_core.domain.errors import ConfigError, ConfigProblem
from periscope_core.domain.identity import Principal
from periscope_core.domain.tier_rbac import TIERS

DEFAULT_SCOPES = ("openid", "profile", "email", "offline_access", "groups")
AUTHZ_MODES = ("shared", "tier", "raw")
AuthMode = Literal["oidc", "dev"]

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_COOKIE_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_PROVIDER_HOSTS = (
    ("auth0.com", "Auth0"),
    ("okta.com", "Okta"),
    ("oktapreview.com", "Okta"),
    ("login.microsoftonline.com", "Microsoft Entra"),
    ("accounts.google.com", "Google"),
)


def header_safe(value: str) -> bool:
    """True when ``value`` can travel as one HTTP header value exactly as it is.

    Printable ASCII only, no surrounding spaces (proxies trim them) and no commas
    (proxies may fold repeated headers into one comma-joined value).
    """
    return bool(value) and value == value.strip() and all(" " <= ch <= "~" and ch != "," for ch in value)


def parse_duration(value: str | int | float) -> float:
    """Seconds in a Go duration (``1h30m``, ``500ms``) or a plain number; raises ValueError."""
    if isinstance(value, bool):
        raise ValueError("expected a duration")
    if isinstance(value, int | float):
        return float(value)
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    position, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if not text or position != len(text):
        raise ValueError(f"not a duration: {value!r} (expected e.g. 30s, 30m, 8h)")
    return total


class OidcConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    issuer: str = ""
    clientID: str = ""
    clientSecret: str = ""
    redirectURL: str = ""
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    audience: str = ""
    providerName: str = ""
    postLogoutRedirect: str = ""


class SessionConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    cookieName: str = "periscope_session"
    idleTimeout: str | int = "30m"
    absoluteTimeout: str | int = "8h"
    cookieDomain: str = ""
    revalidateInterval: str | int = "5m"
    """How often the IdP is asked again (by refresh) whether the user still exists and in which groups."""
    trustedProxies: tuple[str, ...] = ()
    """CIDRs whose X-Forwarded-* headers are believed (for Secure cookies, client IPs, redirects)."""

    @property
    def idle_seconds(self) -> float:
        return parse_duration(self.idleTimeout)

    @property
    def absolute_seconds(self) -> float:
        return parse_duration(self.absoluteTimeout)

    @property
    def revalidate_seconds(self) -> float:
        return parse_duration(self.revalidateInterval)

    def trusts(self, peer: str) -> bool:
        """Whether X-Forwarded-* headers from ``peer`` (an IP address) may be believed."""
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in self.trustedProxies)


class AuthorizationConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    mode: str = "shared"
    allowedGroups: tuple[str, ...] = ()
    groupsClaim: str = "groups"
    groupTiers: dict[str, str] = {}
    defaultTier: str = ""
    groupPrefix: str = "periscope:"
    canICacheTTL: str | int = "30s"
    auditAdminGroups: tuple[str, ...] = ()

    @property
    def can_i_cache_seconds(self) -> float:
        return parse_duration(self.canICacheTTL)


class DevConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    subject: str = "dev@local"
    email: str = "dev@local"
    groups: tuple[str, ...] = ("dev",)

    def principal(self) -> Principal:
        return Principal(subject=self.subject, email=self.email, groups=self.groups)


class AuthConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    oidc: OidcConfig = OidcConfig()
    session: SessionConfig = SessionConfig()
    authorization: AuthorizationConfig = AuthorizationConfig()
    dev: DevConfig = DevConfig()

    @property
    def mode(self) -> AuthMode:
        """oidc when an issuer is configured, dev otherwise (before any environment override)."""
        return "oidc" if self.oidc.issuer else "dev"

    def provider_label(self) -> str:
        """The sign-in button's label: configured, else guessed from the issuer host."""
        if self.oidc.providerName:
            return self.oidc.providerName
        parts = urlsplit(self.oidc.issuer)
        host = (parts.hostname or "").lower()
        for suffix, label in _PROVIDER_HOSTS:
            if host == suffix or host.endswith(f".{suffix}"):
                return label
        return "Keycloak" if "/realms/" in parts.path else "OIDC"


def resolve_auth_mode(env_mode: str, config: AuthConfig | None) -> AuthMode:
    """``PERISCOPE_AUTH_MODE`` wins; no file means dev; a file means oidc when it names an issuer.

    Raises ConfigError for an unknown mode, or oidc without a file or an issuer.
    """
    mode = env_mode.strip().lower()
    if mode not in ("", "oidc", "dev"):
        raise ConfigError([ConfigProblem(file="environment", field="PERISCOPE_AUTH_MODE",
                                         message=f"expected oidc or dev, got {env_mode!r}")])
    if mode == "dev":
        return "dev"
    if mode == "oidc" and (config is None or not config.oidc.issuer):
        raise ConfigError([ConfigProblem(file="environment", field="PERISCOPE_AUTH_MODE",
                                         message="oidc needs an auth file with oidc.issuer")])
    return "dev" if config is None else config.mode


def dev_mode_allowed(host: str) -> bool:
    """Dev mode signs everybody in as one fixed identity, so it only listens on loopback."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_auth_config(text: str, *, source: str) -> AuthConfig:
    """Decode and validate an auth file; raises ConfigError listing every problem."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigProblem(file=source, message=f"not valid YAML: {exc}")]) from exc
    if document is None:
        return AuthConfig()
    if not isinstance(document, dict):
        raise ConfigError([ConfigProblem(file=source, message="expected a mapping")])
    try:
        config = msgspec.convert(document, type=AuthConfig)
    except msgspec.ValidationError as exc:
        match = re.search(r"`\$\.([^`]+)`", str(exc)) or re.search(r"field `([^`]+)`", str(exc))
        raise ConfigError([ConfigProblem(file=source, field=match.group(1) if match else "",
                                         message=str(exc))]) from exc
    problems = [ConfigProblem(file=source, field=field, message=message) for field, message in _problems(config)]
    if problems:
        raise ConfigError(problems)
    return config


def _problems(config: AuthConfig) -> list[tuple[str, str]]:
    return [*_oidc_problems(config.oidc), *_session_problems(config.session),
            *_authorization_problems(config.authorization)]


def _is_url(value: str, *, allow_http_loopback: bool = True) -> bool:
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return True
    return allow_http_loopback and parts.scheme == "http" and dev_mode_allowed(parts.hostname or "")


def _oidc_problems(oidc: OidcConfig) -> list[tuple[str, str]]:
    if not oidc.issuer:
        return []
    problems: list[tuple[str, str]] = []
    if not _is_url(oidc.issuer):
        problems.append(("oidc.issuer", "must be an https URL (http only on loopback)"))
    if not oidc.clientID:
        problems.append(("oidc.clientID", "required when oidc.issuer is set"))
    if not oidc.redirectURL:
        problems.append(("oidc.redirectURL", "required when oidc.issuer is set"))
    elif urlsplit(oidc.redirectURL).scheme not in ("http", "https") or not urlsplit(oidc.redirectURL).hostname:
        problems.append(("oidc.redirectURL", "must be an absolute http(s) URL"))
    if "openid" not in oidc.scopes:
        problems.append(("oidc.scopes", "must include openid"))
    if oidc.postLogoutRedirect and urlsplit(oidc.postLogoutRedirect).scheme not in ("http", "https"):
        problems.append(("oidc.postLogoutRedirect", "must be an absolute http(s) URL"))
    return problems


def _session_problems(session: SessionConfig) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not _COOKIE_NAME.match(session.cookieName):
        problems.append(("session.cookieName", "must be a cookie token (letters, digits and !#$%&'*+-.^_`|~)"))
    for field in ("idleTimeout", "absoluteTimeout", "revalidateInterval"):
        try:
            if parse_duration(getattr(session, field)) <= 0:
                problems.append((f"session.{field}", "must be positive"))
        except ValueError as exc:
            problems.append((f"session.{field}", str(exc)))
    for cidr in session.trustedProxies:
        try:
            ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            problems.append(("session.trustedProxies", f"not an IP address or CIDR: {cidr!r}"))
    return problems


def _authorization_problems(authz: AuthorizationConfig) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if authz.mode not in AUTHZ_MODES:
        problems.append(("authorization.mode", f"expected one of {', '.join(AUTHZ_MODES)}, got {authz.mode!r}"))
    for group, tier in authz.groupTiers.items():
        if tier not in TIERS:
            problems.append((f"authorization.groupTiers.{group}", f"unknown tier {tier!r}; expected one of "
                                                                  f"{', '.join(TIERS)}"))
    if authz.defaultTier and authz.defaultTier not in TIERS:
        problems.append(("authorization.defaultTier", f"unknown tier {authz.defaultTier!r}"))
    if authz.groupPrefix.lower().startswith("system:"):
        problems.append(("authorization.groupPrefix", "must not start with system: (reserved by Kubernetes)"))
    if authz.groupPrefix and not header_safe(authz.groupPrefix):
        problems.append(("authorization.groupPrefix", "must be printable ASCII without commas or edge spaces"))
    if not authz.groupsClaim:
        problems.append(("authorization.groupsClaim", "must not be empty"))
    try:
        if authz.can_i_cache_seconds < 0:
            problems.append(("authorization.canICacheTTL", "must not be negative"))
    except ValueError as exc:
        problems.append(("authorization.canICacheTTL", str(exc)))
    return problems

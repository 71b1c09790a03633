"""Who is calling: the auth file, the sign-in mode, sessions, and the RBAC pre-flight.

The auth file is read and checked when the services are built, so a bad file stops
every command. Everything that needs the network or the disk (OIDC discovery, the
session store, the sealing keys) is opened only by the server that signs people in,
so a CLI command never contacts the identity provider. Dev mode signs everybody in
as one fixed identity and is refused unless the server listens on loopback only.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio

from periscope_adapters.oidc import HttpOidcProvider
from periscope_adapters.sessions import SqliteSessionStore, load_key_ring
from periscope_core.domain.auth_config import (
    AuthConfig,
    AuthMode,
    dev_mode_allowed,
    parse_auth_config,
    resolve_auth_mode,
)
from periscope_core.domain.authz import impersonation_for
from periscope_core.domain.errors import ConfigError, ConfigProblem, IdentityRejected
from periscope_core.domain.identity import Impersonation, Principal
from periscope_core.services.can_i import CanIService
from periscope_core.services.sessions import SessionService
from periscope_entrypoints.secret_resolvers import secret_resolver
from periscope_entrypoints.settings import Settings

__all__ = ["PURGE_INTERVAL", "SESSIONS_DB", "Identity", "load_identity"]

SESSIONS_DB = "sessions.db"
PURGE_INTERVAL = 300.0
"""Seconds between sweeps of expired sessions and login claims."""

_log = logging.getLogger("periscope.auth")


class Identity:
    """The sign-in side of the services; ``open`` it before serving, ``aclose`` it after."""

    def __init__(self, *, config: AuthConfig, mode: AuthMode, settings: Settings) -> None:
        self.config = config
        self.mode: AuthMode = mode
        self.can_i = CanIService(ttl=config.authorization.can_i_cache_seconds)
        self._settings = settings
        self._sessions: SessionService | None = None
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self._dev = self._dev_identity() if mode == "dev" else None

    def _dev_identity(self) -> tuple[Principal, Impersonation]:
        principal = self._settings.dev_principal or self.config.dev.principal()
        if self._settings.dev_impersonation is not None:
            return principal, self._settings.dev_impersonation
        try:
            return principal, impersonation_for(principal, self.config.authorization)
        except IdentityRejected as exc:
            raise ConfigError([ConfigProblem(file=self._settings.auth_file or "settings", field="dev.subject",
                                             message=exc.message)]) from exc

    @property
    def dev_caller(self) -> tuple[Principal, Impersonation]:
        """Dev mode's fixed person and the identity their cluster calls are made as."""
        if self._dev is None:
            raise RuntimeError("not in dev mode")
        return self._dev

    @property
    def sessions(self) -> SessionService:
        """The OIDC sessions; only after ``open`` in oidc mode."""
        if self._sessions is None:
            raise RuntimeError("the identity provider has not been opened")
        return self._sessions

    async def open(self, *, host: str) -> None:
        """Get ready to serve on ``host``; idempotent.

        Raises ConfigError (dev mode off loopback, a short session secret),
        SecretUnresolvable, or IdentityProviderUnavailable when discovery fails.
        """
        if self.mode == "dev":
            if not dev_mode_allowed(host):
                raise ConfigError([ConfigProblem(
                    file=self._settings.auth_file or "environment", field="PERISCOPE_HOST",
                    message=f"dev mode signs everybody in without a password, so it only listens on loopback, "
                            f"not {host}; configure oidc in PERISCOPE_AUTH_FILE",
                )])  # fmt: skip
            return
        if self._sessions is not None:
            return
        oidc, data_dir = self.config.oidc, self._settings.data_dir
        resolver = secret_resolver()  # here, not in __init__: the AWS client takes half a second to import
        try:
            secret = await resolver.resolve(oidc.clientSecret) if oidc.clientSecret else ""
            provider = await HttpOidcProvider.discover(issuer=oidc.issuer, client_id=oidc.clientID,
                                                       client_secret=secret, scopes=oidc.scopes,
                                                       audience=oidc.audience)
            self._closers.append(provider.aclose)
            store = await SqliteSessionStore.open(Path(data_dir) / SESSIONS_DB)
            self._closers.append(store.aclose)
            ring = await load_key_ring(secret=self._settings.session_secret, data_dir=data_dir,
                                       resolver=resolver)
        except BaseException:
            await self.aclose()
            raise
        self._sessions = SessionService(config=self.config, provider=provider, store=store, sealer=ring)

    async def purge_periodically(self, *, interval: float = PURGE_INTERVAL) -> None:
        """Sweep expired sessions every ``interval`` seconds until cancelled (nothing to do in dev mode)."""
        if self._sessions is None:
            return
        while True:
            await anyio.sleep(interval)
            try:
                await self._sessions.purge()
            except Exception:  # a failed sweep is retried next time; it must not stop the server
                _log.warning("auth.purge_failed", exc_info=True)

    async def aclose(self) -> None:
        """Close the store and the provider's client; idempotent."""
        self._sessions = None
        while self._closers:
            await self._closers.pop()()


def load_identity(settings: Settings) -> Identity:
    """Read the auth file named by the settings (none means dev mode); raises ConfigError listing every problem."""
    config = AuthConfig()
    if settings.auth_file:
        try:
            text = Path(settings.auth_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError([ConfigProblem(file=settings.auth_file,
                                             message=f"cannot read: {exc.strerror or exc}")]) from exc
        config = parse_auth_config(text, source=settings.auth_file)
    mode = resolve_auth_mode(settings.auth_mode, config if settings.auth_file else None)
    return Identity(config=config, mode=mode, settings=settings)

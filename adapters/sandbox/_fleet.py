"""A fleet of sandbox clusters on loopback: engines, listeners, controllers and churn.

``async with SandboxFleet.start() as fleet`` seeds every cluster, settles its controllers
(so Deployments already have pods), starts one listener per cluster and runs every
background task in one task group; leaving the block cancels them all and closes the
listeners. The fleet shares one CA; each cluster has an admin token (``system:masters``)
for kubectl and a bridge token for Periscope, which may impersonate and read everything.
"""

from __future__ import annotations

import os
import random
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
from anyio.abc import TaskGroup

from periscope_adapters.sandbox._certs import CertificateAuthority
from periscope_adapters.sandbox._churn import Churn
from periscope_adapters.sandbox._controllers import Controllers
from periscope_adapters.sandbox._demo import DEMO
from periscope_adapters.sandbox._engine import ApiServer
from periscope_adapters.sandbox._events import EventRecorder
from periscope_adapters.sandbox._inprocess import InProcessTransport
from periscope_adapters.sandbox._kubeconfig import (
    KubeconfigEntry,
    RegistryEntry,
    kubeconfig_document,
    write_private,
    write_registry_file,
)
from periscope_adapters.sandbox._manifests import binding, cluster_role
from periscope_adapters.sandbox._objects import Obj, clone
from periscope_adapters.sandbox._rbac import SYSTEM_MASTERS, UserInfo
from periscope_adapters.sandbox._seed import ClusterSpec, ProxyHandler
from periscope_adapters.sandbox._server import SandboxServer

__all__ = ["ADMIN_USER", "BRIDGE_USER", "SandboxCluster", "SandboxFleet"]

ADMIN_USER = UserInfo(name="sandbox-admin", groups=(SYSTEM_MASTERS,))
BRIDGE_USER = UserInfo(name="periscope-bridge")
"""Periscope's identity on each cluster: it may read everything and impersonate anyone."""
_BRIDGE_RULES = [
    # Groups are not here: which groups the bridge may assert is fenced by name in the
    # impersonator role Periscope's chart renders (tier_rbac), seeded per cluster.
    {"apiGroups": [""], "resources": ["users", "serviceaccounts"], "verbs": ["impersonate"]},
    {"apiGroups": ["authentication.k8s.io"], "resources": ["userextras/*", "uids"], "verbs": ["impersonate"]},
    {"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "watch"]},
    {"nonResourceURLs": ["*"], "verbs": ["get"]},
]


class _BackdatedClock:
    """UTC now, minus an offset while a cluster's seed objects are written."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) - self.offset


class _Seeder:
    """Seeds one cluster through the engine's object API."""

    def __init__(self, api: ApiServer, events: EventRecorder) -> None:
        self._api, self._events = api, events

    def create(self, obj: Obj) -> Obj:
        status = obj.get("status")
        created: Obj = self._api.create_object(obj)
        return self.set_status(created, status) if status and created.get("status") != status else created

    def set_status(self, obj: Obj, status: Obj) -> Obj:
        new = clone(obj)
        new["status"] = status
        updated: Obj = self._api.update_object(new)
        return updated

    def add_crd(self, crd: Obj) -> None:
        self._api.add_crd(crd)

    def serve_proxy(self, namespace: str, service: str, port: str, handler: ProxyHandler) -> None:
        self._api.proxy_backends[(namespace, service, port)] = handler

    def now(self) -> str:
        return self._api.store.now()

    def event(
        self, obj: Obj, reason: str, message: str, *, warning: bool, component: str, count: int
    ) -> None:
        kind = "Warning" if warning else "Normal"
        self._events.record(obj, reason, message, type=kind, component=component, count=count)


@dataclass
class SandboxCluster:
    """One running sandbox cluster."""

    spec: ClusterSpec
    api: ApiServer
    server: SandboxServer
    controllers: Controllers
    ca_pem: bytes
    admin_token: str
    bridge_token: str

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def url(self) -> str:
        return self.server.url

    def transport(self, user: UserInfo = BRIDGE_USER) -> InProcessTransport:
        """A socket-free ClusterTransport to this cluster, authenticated as ``user``."""
        return InProcessTransport(self.api, user)


class SandboxFleet:
    """Running sandbox clusters by name; build it with ``SandboxFleet.start``."""

    def __init__(self, ca: CertificateAuthority, tls: bool) -> None:
        self.ca = ca
        self.tls = tls
        self.clusters: dict[str, SandboxCluster] = {}

    @classmethod
    @asynccontextmanager
    async def start(
        cls,
        specs: Sequence[ClusterSpec] = DEMO,
        *,
        host: str = "127.0.0.1",
        tls: bool = True,
        churn: bool = True,
        controller_tick: float = 0.25,
    ) -> AsyncIterator[SandboxFleet]:
        """Start every cluster of ``specs``; the fleet stops when the block is left."""
        fleet = cls(CertificateAuthority(), tls)
        async with anyio.create_task_group() as tg:
            try:
                for spec in specs:
                    await fleet._boot(spec, tg, host=host, churn=churn, tick=controller_tick)
                yield fleet
            finally:
                tg.cancel_scope.cancel()
                with anyio.CancelScope(shield=True):
                    for cluster in fleet.clusters.values():
                        await cluster.server.aclose()

    async def _boot(self, spec: ClusterSpec, tg: TaskGroup, *, host: str, churn: bool, tick: float) -> None:
        clock = _BackdatedClock()
        api = ApiServer(name=spec.name, clock=clock)
        controllers = Controllers(api, now=api.store.now, seed=spec.name, tick=tick)
        clock.offset = spec.age
        api.create_object(cluster_role(BRIDGE_USER.name, _BRIDGE_RULES))
        api.create_object(binding(BRIDGE_USER.name, BRIDGE_USER.name, user=BRIDGE_USER.name))
        spec.seed(_Seeder(api, controllers.events))
        controllers.settle()
        clock.offset = timedelta(0)
        admin_token, bridge_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        server = SandboxServer(api, host=host, tls=self.tls, certs=self.ca,
                               tokens={admin_token: ADMIN_USER, bridge_token: BRIDGE_USER})
        await server.start()
        self.clusters[spec.name] = SandboxCluster(spec, api, server, controllers, self.ca.ca_pem, admin_token,
                                                  bridge_token)
        tg.start_soon(controllers.run, name=f"sandbox {spec.name} controllers")
        if churn:
            driver = Churn(api, controllers.events, rng=random.Random(f"{spec.name}-churn"))
            tg.start_soon(driver.run, name=f"sandbox {spec.name} churn")

    def kubeconfig_entries(self, *, client_certificates: bool = False) -> list[KubeconfigEntry]:
        """Per cluster: context ``<name>`` as the admin, ``<name>-periscope`` as the bridge identity.

        With ``client_certificates`` (TLS only), also ``<name>-x509``: the admin again, but
        authenticated by a client certificate instead of a token.
        """
        entries = []
        ca = self.ca.ca_pem if self.tls else None
        with_cert = client_certificates and self.tls
        cert = self.ca.client(ADMIN_USER.name, ADMIN_USER.groups) if with_cert else None
        for name, cluster in self.clusters.items():
            for context, user, token in (
                (name, f"{name}-admin", cluster.admin_token),
                (f"{name}-periscope", f"{name}-periscope", cluster.bridge_token),
            ):
                entries.append(KubeconfigEntry(context=context, cluster=name, server=cluster.url, user=user,
                                               ca_pem=ca, token=token))
            if cert is not None:
                entries.append(KubeconfigEntry(context=f"{name}-x509", cluster=name, server=cluster.url,
                                               user=f"{name}-x509", ca_pem=ca, client_cert_pem=cert.cert_pem,
                                               client_key_pem=cert.key_pem))
        return entries

    def write_kubeconfig(self, path: str | os.PathLike[str], *, client_certificates: bool = False) -> Path:
        """Write a kubeconfig (mode 0600) whose current context is the first cluster's admin."""
        entries = self.kubeconfig_entries(client_certificates=client_certificates)
        return write_private(path, kubeconfig_document(entries))

    def write_registry(self, path: str | os.PathLike[str], kubeconfig_path: str | os.PathLike[str]) -> Path:
        """Write a Periscope cluster registry reaching each cluster as its bridge identity."""
        entries = [RegistryEntry(name=name, context=f"{name}-periscope", environment=c.spec.environment,
                                 tags=c.spec.tags) for name, c in self.clusters.items()]
        return write_registry_file(path, kubeconfig_path, entries)

    async def serve_forever(self) -> None:
        """Sleep until cancelled (the listeners and controllers run in the background)."""
        await anyio.sleep_forever()

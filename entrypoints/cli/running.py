"""Long-running commands: ``serve`` and ``sandbox``. Both stop cleanly on SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import msgspec
from anyio.abc import TaskStatus

from periscope_entrypoints.bootstrap import Settings, bootstrap

if TYPE_CHECKING:
    from periscope_entrypoints.http.server import HttpServer

__all__ = ["sandbox", "serve", "until_signal"]


async def until_signal(on_signal: Callable[[], None] | None = None) -> None:
    """Return at the first SIGINT/SIGTERM; with ``on_signal``, call it for every signal instead."""
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            if on_signal is None:
                return
            on_signal()


@asynccontextmanager
async def _fleet(*, kubeconfig: Path, registry: Path, host: str, tls: bool, churn: bool) -> AsyncIterator[Any]:
    """A running sandbox fleet whose kubeconfig and registry files are written."""
    # Imported here: the sandbox (aiohttp, cryptography) is an optional extra.
    from periscope_adapters.sandbox import SandboxFleet

    async with SandboxFleet.start(host=host, tls=tls, churn=churn) as fleet:
        fleet.write_kubeconfig(kubeconfig)
        fleet.write_registry(registry, kubeconfig)
        yield fleet


async def sandbox(args: argparse.Namespace) -> int:
    """Run the fleet until stopped, after writing the files real clients use to reach it."""
    kubeconfig, registry = Path(args.kubeconfig), Path(args.registry)
    async with _fleet(
        kubeconfig=kubeconfig, registry=registry, host=args.host, tls=not args.no_tls, churn=not args.no_churn
    ) as fleet:
        for name, cluster in fleet.clusters.items():
            print(f"context {name}: {cluster.url} (Periscope uses context {name}-periscope)")
        print(f"kubeconfig: {kubeconfig}")
        print(f"registry: {registry}")
        print(f"try: kubectl --kubeconfig {kubeconfig} get pods -A", flush=True)
        await until_signal()
    return 0


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    changes: dict[str, Any] = {}
    if args.host:
        changes["host"] = args.host
    if args.port is not None:
        changes["port"] = args.port
    if args.clusters:
        changes["clusters_file"] = args.clusters
    return msgspec.structs.replace(settings, **changes)


# On the demo fleet the signed-in developer maps to the write tier, so the console shows
# what a typical engineer sees: workloads editable, shells allowed, node and RBAC
# changes refused with their reason. An operator's own auth file always wins.
DEMO_AUTH = """\
authorization:
  mode: tier
  groupTiers: {platform: write}
  defaultTier: read
  auditAdminGroups: [platform]
dev: {subject: dev@local, email: dev@local, groups: [platform]}
"""


def _demo_settings(settings: Settings, files: Path, registry: Path) -> Settings:
    """The embedded demo: its registry, the demo identity and an audit log, unless configured otherwise."""
    changes: dict[str, Any] = {"clusters_file": str(registry)}
    if not settings.auth_file:
        auth = files / "auth.yaml"
        auth.write_text(DEMO_AUTH, encoding="utf-8")
        changes["auth_file"] = str(auth)
    if "PERISCOPE_AUDIT_ENABLED" not in os.environ:
        changes["audit"] = msgspec.structs.replace(settings.audit, enabled=True, db_path=str(files / "audit.db"))
    return msgspec.structs.replace(settings, **changes)


async def serve(args: argparse.Namespace) -> int:
    """Serve the console; without a registry, on an embedded sandbox fleet."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _settings(args)
    async with AsyncExitStack() as stack:
        if not settings.clusters_file:
            files = Path(settings.data_dir) / "sandbox"
            kubeconfig, registry = files / "kubeconfig", files / "clusters.yaml"
            await stack.enter_async_context(
                _fleet(kubeconfig=kubeconfig, registry=registry, host="127.0.0.1", tls=True, churn=True)
            )
            settings = _demo_settings(settings, files, registry)
            print(f"sandbox fleet: kubeconfig {kubeconfig}, registry {registry}")
        services = await bootstrap(settings)
        stack.push_async_callback(services.aclose)
        print(settings.watch_streams.describe())
        # Imported here so the other commands never load Litestar or uvicorn.
        from periscope_entrypoints.http.server import HttpServer

        server = HttpServer(services, host=settings.host, port=settings.port)
        async with anyio.create_task_group() as tg:
            tg.start_soon(until_signal, server.stop)
            url = await tg.start(_serve_then_cancel, server, tg.cancel_scope)
            names = ", ".join(e.name for e in services.directory.entries()) or "none"
            print(f"Periscope is serving {url} (clusters: {names})", flush=True)
    return 0


async def _serve_then_cancel(
    server: HttpServer, scope: anyio.CancelScope, *, task_status: TaskStatus[str] = anyio.TASK_STATUS_IGNORED
) -> None:
    """Serve; once the server has shut down, stop listening for signals too.

    A server that fails to start raises instead, which ends the task group with its error.
    """
    await server.serve(task_status=task_status)
    scope.cancel()

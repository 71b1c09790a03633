"""Read-only commands over a cluster registry: ``config validate`` and ``get``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import msgspec

from periscope_core.domain.errors import ConfigError
from periscope_entrypoints.bootstrap import Settings, bootstrap, load_directory
from periscope_entrypoints.cli.errors import UsageError
from periscope_entrypoints.cli.table import render, resolve_kind

__all__ = ["config_validate", "get"]


def _readable(path: str) -> None:
    try:
        with Path(path).open("rb"):
            pass
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc


async def config_validate(args: argparse.Namespace) -> int:
    """Exit 0 with ``ok: N clusters``, or 1 listing every problem, one per line."""
    _readable(args.file)
    settings = msgspec.structs.replace(Settings.from_env(), clusters_file=args.file)
    try:
        directory = load_directory(settings)
    except ConfigError as exc:
        for problem in exc.problems:
            sys.stderr.write(f"{problem}\n")
        return 1
    count = len(directory.entries())
    print(f"ok: {count} cluster{'' if count == 1 else 's'}")
    return 0


async def get(args: argparse.Namespace) -> int:
    """Print the objects of one kind as an aligned table."""
    spec = resolve_kind(args.kind)
    if spec is None:
        raise UsageError(f"unknown kind {args.kind!r}")
    settings = Settings.from_env()
    clusters_file = args.clusters or settings.clusters_file
    if not clusters_file:
        raise UsageError("no cluster registry: pass --clusters FILE or set PERISCOPE_CLUSTERS_FILE")
    services = await bootstrap(msgspec.structs.replace(settings, clusters_file=clusters_file))
    try:
        services.directory.entry(args.cluster)
        namespace = None if args.all_namespaces or not spec.namespaced else args.namespace or "default"
        page = await services.browse.list_kind(args.cluster, spec.plural, namespace=namespace)
    finally:
        await services.aclose()
    if not page.items:
        where = f" in {namespace} namespace" if namespace else ""
        sys.stderr.write(f"No resources found{where}.\n")
        return 0
    print(render(spec, page.items, all_namespaces=namespace is None))
    return 0

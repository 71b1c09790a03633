"""``periscope``: serve the console, run the sandbox fleet or an agent, check a registry, list objects.

Bad input (an unknown flag, cluster or kind, an unreadable file) ends with one
``error: ...`` line on stderr and exit status 2; a failure reaching a cluster with
exit status 1. Neither prints a traceback.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import NoReturn

import anyio

from periscope_core.domain.audit import AuditSchemaTooNew
from periscope_core.domain.errors import (
    ClusterNotFound,
    ConfigError,
    InvalidRequest,
    PeriscopeError,
    UnknownKind,
)
from periscope_entrypoints.cli import agent_command, audit_commands, rbac_command
from periscope_entrypoints.cli.errors import UsageError
from periscope_entrypoints.cli.listing import config_validate, get
from periscope_entrypoints.cli.running import sandbox, serve

__all__ = ["build_parser", "main"]

Command = Callable[[argparse.Namespace], Awaitable[int]]
_BAD_INPUT = (UsageError, ConfigError, ClusterNotFound, UnknownKind, InvalidRequest, AuditSchemaTooNew)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage problem is one line, not a usage block."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="periscope", description="Self-hosted multi-cluster Kubernetes console.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("serve", help="serve the console API (the sandbox fleet when no registry is given)")
    p.add_argument("--host", help="address to bind (default 127.0.0.1, or PERISCOPE_HOST)")
    p.add_argument("--port", type=int, help="port to bind (default 8080, or PORT; 0 picks a free one)")
    p.add_argument("--clusters", metavar="FILE", help="cluster registry (default PERISCOPE_CLUSTERS_FILE)")
    p.set_defaults(run=serve)

    p = commands.add_parser("sandbox", help="run the simulated cluster fleet until stopped")
    p.add_argument("--kubeconfig", required=True, metavar="PATH", help="where to write the kubeconfig")
    p.add_argument("--registry", required=True, metavar="PATH", help="where to write the cluster registry")
    p.add_argument("--host", default="127.0.0.1", help="address the apiservers bind (default 127.0.0.1)")
    p.add_argument("--no-tls", action="store_true", help="serve plain HTTP instead of HTTPS")
    p.add_argument("--no-churn", action="store_true", help="keep the fleet still (no pods coming and going)")
    p.set_defaults(run=sandbox)

    p = commands.add_parser("config", help="work with configuration files")
    config = p.add_subparsers(dest="config_command", required=True, metavar="COMMAND")
    v = config.add_parser("validate", help="check a cluster registry file, listing every problem")
    v.add_argument("file", metavar="FILE")
    v.set_defaults(run=config_validate)

    p = commands.add_parser("get", help="list objects of one kind, like kubectl get")
    p.add_argument("kind", metavar="KIND", help="plural, singular or short name (pods, deploy, svc...)")
    scope = p.add_mutually_exclusive_group()
    scope.add_argument("-n", "--namespace", help="namespace (default: default)")
    scope.add_argument("-A", "--all-namespaces", action="store_true", help="list across all namespaces")
    p.add_argument("--cluster", required=True, help="cluster name from the registry")
    p.add_argument("--clusters", metavar="FILE", help="cluster registry (default PERISCOPE_CLUSTERS_FILE)")
    p.set_defaults(run=get)

    audit_commands.register(commands)
    rbac_command.register(commands)
    agent_command.register(commands)
    return parser


def _one_line(exc: PeriscopeError) -> str:
    return " ".join(exc.message.split())


def _leaf(exc: BaseException) -> BaseException:
    """The one error inside task-group wrappers (the sandbox fleet runs in a task group)."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def _event_loop_options() -> dict[str, bool]:
    """uvloop where installed (the server extra brings it): its C transports and TLS cut the
    exec relay's CPU per byte by about a quarter (docs/benchmarks.md)."""
    return {"use_uvloop": importlib.util.find_spec("uvloop") is not None}


def main(argv: Sequence[str] | None = None) -> NoReturn:
    args = build_parser().parse_args(argv)
    run: Command = args.run
    try:
        code = anyio.run(run, args, backend_options=_event_loop_options())
    except BaseException as raised:
        exc = _leaf(raised)
        if isinstance(exc, PeriscopeError):
            sys.stderr.write(f"error: {_one_line(exc)}\n")
            code = 2 if isinstance(exc, _BAD_INPUT) else 1
        elif isinstance(exc, KeyboardInterrupt):
            code = 130
        elif isinstance(exc, BrokenPipeError):
            # The reader went away (``periscope get pods | head``): stop quietly, as Unix tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = 0
        else:
            raise
    raise SystemExit(code)

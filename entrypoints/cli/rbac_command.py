"""``periscope rbac``: the tier roles and the fenced impersonator role a managed cluster needs.

The chart applies them where it runs; every other managed cluster gets them from here
(``periscope rbac --bridge-group periscope-bridge | kubectl apply -f -``), from the same
definitions (``periscope_core.domain.tier_rbac``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import yaml

from periscope_core.domain.tier_rbac import BRIDGE_GROUP, periscope_rbac_objects
from periscope_entrypoints.cli.errors import UsageError

__all__ = ["register"]


def register(commands: Any) -> None:  # argparse's subparsers action has no public type
    p = commands.add_parser("rbac", help="print the RBAC a managed cluster needs (pipe it to kubectl apply -f -)")
    p.add_argument("--bridge-group", default=BRIDGE_GROUP, help=f"the group Periscope's identity is in: {BRIDGE_GROUP}")
    p.add_argument("--bridge-user", action="append", default=[], metavar="USER",
                   help="a user that may impersonate too (repeatable), e.g. the EKS role's mapped user")  # fmt: skip
    p.add_argument("--service-account", action="append", default=[], metavar="NAMESPACE/NAME",
                   help="a service account that may impersonate (repeatable)")  # fmt: skip
    p.add_argument("--raw-group", action="append", default=[], metavar="GROUP",
                   help="a raw-mode group the bridge may impersonate, already prefixed (repeatable)")  # fmt: skip
    p.set_defaults(run=rbac)


def _service_account(text: str) -> tuple[str, str]:
    namespace, _, name = text.partition("/")
    if not namespace or not name or "/" in name:
        raise UsageError(f"--service-account takes NAMESPACE/NAME, not {text!r}")
    return namespace, name


async def rbac(args: argparse.Namespace) -> int:
    service_accounts = [_service_account(text) for text in args.service_account]
    try:
        objects = periscope_rbac_objects(extra_groups=args.raw_group, bridge_group=args.bridge_group,
                                         bridge_users=args.bridge_user, service_accounts=service_accounts)  # fmt: skip
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    sys.stdout.write(yaml.safe_dump_all(objects, sort_keys=False))
    return 0

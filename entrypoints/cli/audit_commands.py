"""``periscope audit query`` and ``periscope audit verify``, on an audit database file.

Both read the file directly (no server needed), so an operator can inspect a
copied or backed-up database. ``query`` prints oldest first, like ``tail``, so
``--follow`` appends below; ``verify`` exits 1 naming the first broken row.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import msgspec

from periscope_core.domain.audit import OUTCOMES, VERBS, AuditRecord, AuditSettings, parse_duration
from periscope_core.domain.audit_query import AuditQuery
from periscope_core.ports.audit import AuditStore
from periscope_entrypoints.cli.errors import UsageError

__all__ = ["register", "run"]

_COLUMNS = (("ID", 7), ("TIME", 20), ("ACTOR", 24), ("VERB", 17), ("OUTCOME", 8), ("CLUSTER", 14), ("RESOURCE", 0))
_encoder = msgspec.json.Encoder()


def register(subparsers: Any) -> None:
    """Add ``audit query`` and ``audit verify`` to the ``periscope`` command's subparsers."""
    default_db = AuditSettings.from_env(os.environ).db_path
    audit = subparsers.add_parser("audit", help="query or verify an audit database file")
    commands = audit.add_subparsers(dest="audit_command", required=True, metavar="COMMAND")

    q = commands.add_parser("query", help="list audit rows, oldest first (the newest --limit rows)")
    q.add_argument("--db", default=default_db, metavar="PATH", help=f"audit database (default {default_db})")
    q.add_argument("--actor", default="", help="actor subject")
    q.add_argument("--verb", default="", choices=VERBS, metavar="VERB", help=f"one of: {', '.join(VERBS)}")
    q.add_argument("--outcome", default="", choices=OUTCOMES)
    q.add_argument("--cluster", default="")
    q.add_argument("-n", "--namespace", default="")
    q.add_argument("--name", default="", help="resource name")
    q.add_argument("--resource", default="", help="resource type (plural), e.g. deployments")
    q.add_argument("--request-id", default="")
    q.add_argument("--text", default="", help="substring of the reason or the extra details")
    since = q.add_mutually_exclusive_group()
    since.add_argument("--since", metavar="DURATION", help="only rows newer than this (e.g. 90m, 24h)")
    since.add_argument("--from", dest="from_", metavar="TIME", help="only rows at or after this RFC 3339 time")
    q.add_argument("--to", metavar="TIME", help="only rows at or before this RFC 3339 time")
    q.add_argument("--limit", type=int, default=50, help="rows to show (default 50, at most 500)")
    q.add_argument("--json", action="store_true", help="one JSON object per line")
    q.add_argument("-f", "--follow", action="store_true", help="keep printing new rows until interrupted")
    q.add_argument("--poll", type=float, default=1.0, metavar="SECONDS", help="how often --follow looks (default 1)")
    q.set_defaults(run=run)

    v = commands.add_parser("verify", help="walk the hash chain; exit 1 naming the first broken row")
    v.add_argument("--db", default=default_db, metavar="PATH", help=f"audit database (default {default_db})")
    v.set_defaults(run=run)


def _query(args: argparse.Namespace) -> AuditQuery:
    params = {
        "actor": args.actor, "verb": args.verb, "outcome": args.outcome, "cluster": args.cluster,
        "namespace": args.namespace, "name": args.name, "resource": args.resource, "request_id": args.request_id,
        "text": args.text, "from": args.from_ or "", "to": args.to or "", "limit": str(args.limit),
    }  # fmt: skip
    if args.since:
        try:
            params["from"] = (datetime.now(UTC) - timedelta(seconds=parse_duration(args.since))).isoformat()
        except ValueError as exc:
            raise UsageError(f"invalid --since: {exc}") from None
    return AuditQuery.from_params(params)


def _cells(r: AuditRecord) -> list[str]:
    res = r.resource
    where = "/".join(p for p in (res.namespace, f"{res.resource}/{res.name}" if res.name else res.resource) if p)
    resource = f"{where}  {r.reason}" if r.reason else where
    return [str(r.id), r.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"), r.actor.sub, r.verb, r.outcome,
            r.cluster or "-", resource or "-"]  # fmt: skip


def _line(cells: list[str]) -> str:
    return "   ".join(c.ljust(w) for c, (_, w) in zip(cells, _COLUMNS, strict=True)).rstrip()


def _print(records: list[AuditRecord], *, as_json: bool) -> None:
    out = sys.stdout
    for r in records:
        out.write(_encoder.encode(r).decode() + "\n" if as_json else _line(_cells(r)) + "\n")
    out.flush()


def _require_file(db: str) -> None:
    if not Path(db).is_file():
        raise UsageError(f"no audit database at {db} (set --db or PERISCOPE_AUDIT_DB_PATH)")


async def run(args: argparse.Namespace) -> int:
    # Imported here: the SQLite adapter (aiosqlite) is the optional ``audit`` extra.
    from periscope_adapters.sqlite import SqliteAuditStore

    _require_file(args.db)
    store = SqliteAuditStore(args.db)
    try:
        if args.audit_command == "verify":
            result = await store.verify()
            if result.ok:
                print(f"ok: {result.rows_checked} rows verified")
                return 0
            print(f"broken: row {result.first_broken_id}: {result.reason} "
                  f"({result.rows_checked} rows verified before it)")  # fmt: skip
            return 1
        query = _query(args)
        page = await store.query(query)
        records = list(reversed(page.items))
        if not args.json:
            print(_line([name for name, _ in _COLUMNS]))
        _print(records, as_json=args.json)
        if args.follow:
            await _follow(store, query, last_id=max((r.id for r in records), default=0), args=args)
        return 0
    finally:
        await store.aclose()


async def _follow(store: AuditStore, query: AuditQuery, *, last_id: int, args: argparse.Namespace) -> None:
    if not last_id:
        latest = await store.query(AuditQuery(limit=1))
        last_id = latest.items[0].id if latest.items else 0
    while True:
        await anyio.sleep(args.poll)
        fresh = [r async for r in store.export(msgspec.structs.replace(query, after_id=last_id))]
        if fresh:
            _print(fresh, as_json=args.json)
            last_id = fresh[-1].id

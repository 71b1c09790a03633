"""Audit benchmark: ingest rate through the pipeline and filtered query latency, each with a baseline.

    .venv/bin/python bench/audit.py                # 1M rows, as recorded in docs/benchmarks.md
    .venv/bin/python bench/audit.py --rows 50000   # a quick run

Ingest: events emitted into an AuditPipeline feeding the SQLite sink (batched,
hash-chained), timed until the queue is empty; the baseline is plain sqlite3
``executemany`` of prepared rows into the same schema and pragmas, one transaction
per batch of the same size.
Queries: the query service's store on the ingested database (rows, plus the capped
count), per filter; the baseline is the same filter forced to a full scan
(``NOT INDEXED``) on a plain sqlite3 connection.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio

from periscope_adapters.sqlite import SqliteAuditSink, SqliteAuditStore
from periscope_adapters.sqlite._db import connect, migrate
from periscope_adapters.sqlite._rows import INSERT, insert_rows
from periscope_core.domain.audit import VERBS, Actor, AuditEvent, ResourceRef
from periscope_core.domain.audit_chain import GENESIS
from periscope_core.domain.audit_query import AuditQuery
from periscope_core.services.audit import AuditPipeline
from periscope_core.services.request_ids import time_ordered_id

SPAN = timedelta(days=30)
ACTORS = [f"user-{i:03d}@example.com" for i in range(200)]
CLUSTERS = [f"cluster-{i:02d}" for i in range(20)]
NAMESPACES = [f"team-{i:02d}" for i in range(50)]
RESOURCES = ["deployments", "pods", "secrets", "configmaps", "statefulsets", "jobs", "cronjobs", "services"]


def make_events(count: int, *, end: datetime, ordered_ids: bool = False, seed: int = 7) -> list[AuditEvent]:
    """Events spread evenly over the 30 days before ``end``, oldest first.

    Request ids are time-ordered (UUIDv7-style) with ``ordered_ids``, as the HTTP edge
    mints them, or random (uuid4): the costliest case for the request_id index.
    """
    rng = random.Random(seed)
    start = end - SPAN
    step = SPAN / max(count, 1)
    events = []
    for i in range(count):
        actor = rng.choice(ACTORS)
        outcome = rng.choices(("success", "failure", "denied"), weights=(90, 7, 3))[0]
        at = start + step * i
        bits = rng.getrandbits(128)
        rid = time_ordered_id(int(at.timestamp() * 1000)) if ordered_ids else f"{bits:032x}"
        events.append(AuditEvent(
            timestamp=at, request_id=rid, actor=Actor(actor, actor, ("devs",)),
            verb=rng.choice(VERBS), outcome=outcome, cluster=rng.choice(CLUSTERS),  # type: ignore[arg-type]
            resource=ResourceRef("apps", "v1", rng.choice(RESOURCES), rng.choice(NAMESPACES), f"app-{i % 5000}"),
            reason="" if outcome == "success" else f"admission webhook refused app-{i % 977}",
            extra={"dryRun": False, "force": bool(i % 2)},
        ))  # fmt: skip
    return events


class Timing:
    """Wall and process CPU seconds (CPU counts every thread, SQLite's included).

    On a shared machine the wall figure moves with the neighbours' load; rows per
    CPU-second says what the work itself costs.
    """

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def stop(self) -> Timing:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        return self

    def rates(self, rows: int) -> str:
        return f"{rows / self.wall:8,.0f} rows/s wall, {rows / self.cpu:8,.0f} rows per CPU-s ({self.wall:.1f} s)"


async def drained(pipeline: AuditPipeline, *, below: int) -> None:
    while True:
        if pipeline.health().queued < below:
            return
        await anyio.sleep(0.005)


def remove(path: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)


def size_mb(path: str) -> float:
    return os.path.getsize(path) / 1e6


async def ingest_pipeline(path: str, events: list[AuditEvent], *, queue_size: int, batch_size: int) -> Timing:
    """The time to push every event through the pipeline into SQLite."""
    sink = SqliteAuditSink(path)
    await sink.open()
    async with AuditPipeline([sink], queue_size=queue_size, batch_size=batch_size) as pipeline:
        timing = Timing()
        for i in range(0, len(events), queue_size // 2):
            await drained(pipeline, below=queue_size // 2)  # emit never blocks: stay under the bound
            for event in events[i : i + queue_size // 2]:
                pipeline.emit(event)
        await drained(pipeline, below=1)
        timing.stop()
        health = pipeline.health()
    assert health.dropped == 0, "the benchmark must not overflow the queue"
    return timing


async def _schema(path: str) -> None:
    conn = await connect(path, create=True)
    await migrate(conn, path)
    await conn.close()


def ingest_baseline(path: str, events: list[AuditEvent], *, batch_size: int) -> Timing:
    """Seconds for raw executemany of prepared rows, one transaction per batch (rows built untimed)."""
    rows, _, _ = insert_rows(events, seq=0, prev_hash=GENESIS)
    conn = sqlite3.connect(path, isolation_level=None)
    # The sink's own settings, so the ratio shows what the pipeline costs, not the pragmas.
    for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "cache_size = -65536", "wal_autocheckpoint = 10000"):
        conn.execute(f"PRAGMA {pragma}")
    timing = Timing()
    for i in range(0, len(rows), batch_size):
        conn.execute("BEGIN")
        conn.executemany(INSERT, rows[i : i + batch_size])
        conn.execute("COMMIT")
    timing.stop()
    conn.close()
    return timing


Scenario = tuple[str, Callable[[random.Random], AuditQuery]]


def scenarios(end: datetime, request_ids: list[str]) -> list[Scenario]:
    def at(rng: random.Random) -> datetime:
        return end - SPAN * rng.random()

    return [
        ("latest page", lambda rng: AuditQuery()),
        ("actor", lambda rng: AuditQuery(actor=rng.choice(ACTORS))),
        ("verb + outcome=denied", lambda rng: AuditQuery(verb=rng.choice(VERBS), outcome="denied")),
        ("cluster + namespace", lambda rng: AuditQuery(cluster=rng.choice(CLUSTERS), namespace=rng.choice(NAMESPACES))),
        ("request_id", lambda rng: AuditQuery(request_id=rng.choice(request_ids))),
        ("resource", lambda rng: AuditQuery(resource=rng.choice(RESOURCES))),
        ("cluster + 1h range", lambda rng: (lambda t: AuditQuery(cluster=rng.choice(CLUSTERS), since=t,
                                                                 until=t + timedelta(hours=1)))(at(rng))),
        ("actor, offset 400", lambda rng: AuditQuery(actor=rng.choice(ACTORS), offset=400)),
    ]  # fmt: skip


TEXT: Scenario = ("text search (unindexed)", lambda rng: AuditQuery(text=f"app-{rng.randrange(977)}"))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def query_latencies(path: str, make: Callable[[random.Random], AuditQuery], reps: int) -> list[float]:
    store = SqliteAuditStore(path)
    await store.open()
    rng = random.Random(11)
    out = []
    for _ in range(reps):
        query = make(rng)
        started = time.perf_counter()
        page = await store.query(query)
        if page.next_cursor and query == AuditQuery():
            await store.query(AuditQuery(cursor=page.next_cursor))  # keyset: the next page too
        out.append((time.perf_counter() - started) * 1000)
    await store.aclose()
    return out


def baseline_latencies(path: str, make: Callable[[random.Random], AuditQuery], reps: int) -> list[float]:
    """The same filters, rows and count, as full table scans."""
    from periscope_adapters.sqlite._filters import where
    from periscope_adapters.sqlite._rows import SELECT_RECORD

    conn = sqlite3.connect(path)
    rng = random.Random(11)
    out = []
    for _ in range(reps):
        query = make(rng)
        clause, params = where(query)
        started = time.perf_counter()
        conn.execute(f"SELECT {SELECT_RECORD} FROM audit_events NOT INDEXED{clause} "
                     "ORDER BY ts_unix_nano DESC, id DESC LIMIT ? OFFSET ?", [*params, 51, query.offset]).fetchall()
        conn.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM audit_events NOT INDEXED{clause} LIMIT 10001)",
                     params).fetchall()
        out.append((time.perf_counter() - started) * 1000)
    conn.close()
    return out


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200, help="repetitions per query scenario")
    parser.add_argument("--baseline-queries", type=int, default=5, help="repetitions per full-scan baseline")
    parser.add_argument("--batch", type=int, default=2000, help="pipeline batch size (the default)")
    parser.add_argument("--queue", type=int, default=10_000, help="pipeline queue bound")
    parser.add_argument("--dir", help="where to put the databases (default: a temporary directory)")
    args = parser.parse_args(argv)

    end = datetime.now(UTC)
    print(f"audit benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine: {machine()}")
    print(f"rows: {args.rows}, batch {args.batch}, queue bound {args.queue}")
    events = make_events(args.rows, end=end, ordered_ids=True)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        db, raw = str(Path(tmp) / "audit.db"), str(Path(tmp) / "baseline.db")
        ours = await ingest_pipeline(db, events, queue_size=args.queue, batch_size=args.batch)
        await _schema(raw)
        base = ingest_baseline(raw, events, batch_size=args.batch)
        remove(raw)
        request_ids = [e.request_id for e in random.Random(3).sample(events, min(1000, len(events)))]
        del events
        random_db = str(Path(tmp) / "random.db")
        unordered = await ingest_pipeline(random_db, make_events(args.rows, end=end),
                                          queue_size=args.queue, batch_size=args.batch)
        remove(random_db)
        print("\n## ingest")
        print(f"pipeline -> SQLite (batched, hash-chained): {ours.rates(args.rows)}")
        print(f"baseline raw executemany, same batches:    {base.rates(args.rows)}")
        print(f"pipeline, random request ids (uuid4):      {unordered.rates(args.rows)}")
        print(f"ratio pipeline/baseline: {base.wall / ours.wall:.2f} wall, {base.cpu / ours.cpu:.2f} CPU   "
              f"target >= 20,000 rows/s (wall): {'met' if args.rows / ours.wall >= 20_000 else 'MISSED'}")
        print(f"database size: {size_mb(db):.0f} MB")

        print("\n## filtered queries (page of 50 + capped count), ms")
        print(f"{'scenario':28} {'p50':>7} {'p95':>7} {'scan p50':>9} {'speed-up':>9}")
        indexed: list[float] = []
        for name, make in [*scenarios(end, request_ids), TEXT]:
            ours = await query_latencies(db, make, args.queries)
            scan = baseline_latencies(db, make, args.baseline_queries)
            if (name, make) != TEXT:
                indexed.extend(ours)
            print(f"{name:28} {pct(ours, .5):7.2f} {pct(ours, .95):7.2f} {pct(scan, .5):9.1f} "
                  f"{statistics.median(scan) / max(pct(ours, .5), 1e-6):8.0f}x")
        p95 = pct(indexed, .95)
        print(f"all indexed scenarios: p50 {pct(indexed, .5):.2f} ms, p95 {p95:.2f} ms   target p95 <= 50 ms: "
              f"{'met' if p95 <= 50 else 'MISSED'}")

        store = SqliteAuditStore(db)
        started = time.perf_counter()
        result = await store.verify()
        await store.aclose()
        print(f"\n## verify: {result.rows_checked:,} rows in {time.perf_counter() - started:.1f} s, ok={result.ok}")
    return 0


if __name__ == "__main__":
    sys.exit(anyio.run(main, sys.argv[1:]))

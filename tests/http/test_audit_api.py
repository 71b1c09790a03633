"""The audit log over real HTTP: actions land in SQLite through the running pipeline and read back.

Two consoles run next to the session's, over the same fleet and one audit database:
Ada, in the admin tier and an audit admin, and Bob, in the read tier. The session's
console has audit storage off.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
import yaml
from anyio.from_thread import BlockingPortal, start_blocking_portal

from periscope_core.domain.audit import Actor, AuditEvent, AuditSettings
from periscope_core.domain.identity import Principal
from periscope_entrypoints.bootstrap import Services, Settings, bootstrap
from periscope_entrypoints.http.server import HttpServer

ADA = Principal(subject="ada@example.com", email="ada@example.com", groups=("sre", "auditors"))
BOB = Principal(subject="bob@example.com", email="bob@example.com", groups=("devs",))
SCALE = "/api/clusters/prod/deployments/checkout/web/scale"


class Door:
    """One running console and an HTTP client for it."""

    def __init__(self, portal: BlockingPortal, settings: Settings) -> None:
        self.portal = portal
        self.services: Services = portal.call(bootstrap, settings)
        self.server = HttpServer(self.services, host="127.0.0.1", port=0)
        self.future, url = portal.start_task(self.server.serve)
        self.http = httpx.Client(base_url=url, timeout=20)

    def stop(self) -> None:
        self.http.close()
        self.server.stop()
        self.future.result(timeout=20)
        self.portal.call(self.services.aclose)


def _settings(console: Any, work: Path, principal: Principal, db: Path) -> Settings:
    auth = work / "auth.yaml"
    auth.write_text(yaml.safe_dump({"authorization": {
        "mode": "tier", "groupTiers": {"sre": "admin", "devs": "read"}, "auditAdminGroups": ["auditors"],
    }}))  # fmt: skip
    return Settings(clusters_file=str(console.workdir / "clusters.yaml"), data_dir=str(work), auth_file=str(auth),
                    auth_mode="dev", dev_principal=principal, audit=AuditSettings(enabled=True, db_path=str(db)))


@pytest.fixture(scope="module")
def portal() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as p:
        yield p


@pytest.fixture(scope="module")
def doors(console: Any, portal: BlockingPortal, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Door]]:
    work = tmp_path_factory.mktemp("audit-api")
    db = work / "audit.db"
    doors = {name: Door(portal, _settings(console, work, who, db)) for name, who in (("ada", ADA), ("bob", BOB))}
    yield doors
    for door in doors.values():
        door.stop()


@pytest.fixture(scope="module")
def scaled(doors: dict[str, Door]) -> dict[str, str]:
    """Ada scales (to the replicas the demo already has) and Bob is refused; their request ids."""
    ok = doors["ada"].http.post(SCALE, json={"replicas": 3})
    assert ok.status_code == 200, ok.text
    refused = doors["bob"].http.post(SCALE, json={"replicas": 0})
    assert refused.status_code == 403, refused.text
    return {"ada": ok.headers["x-request-id"], "bob": refused.headers["x-request-id"]}


def _page(door: Door, scope: str = "", **params: Any) -> httpx.Response:
    response = door.http.get("/api/audit", params=params, headers={"X-Audit-Scope": scope} if scope else {})
    assert response.status_code == 200, response.text
    return response


def _find(door: Door, **params: Any) -> list[dict[str, Any]]:
    """Rows matching ``params``, waiting up to a second for the pipeline to store them."""
    deadline = time.monotonic() + 1.0
    while True:
        items: list[dict[str, Any]] = _page(door, **params).json()["items"]
        if items or time.monotonic() > deadline:
            return items
        time.sleep(0.02)


def test_an_action_is_stored_and_queryable_within_a_second(doors: dict[str, Door], scaled: dict[str, str]) -> None:
    [row] = _find(doors["ada"], request_id=scaled["ada"])
    assert (row["verb"], row["outcome"], row["cluster"], row["route"]) == ("apply", "success", "prod", "runAction")
    assert row["actor"] == {"sub": ADA.subject, "email": ADA.email, "groups": list(ADA.groups)}
    assert row["impersonated"] == {"user": ADA.subject, "groups": ["periscope-tier:admin"]}
    assert row["resource"] == {"group": "apps", "version": "v1", "resource": "deployments", "namespace": "checkout",
                               "name": "web"}
    assert row["extra"]["action"] == "scale"
    # Request ids minted at the edge are time-ordered (UUIDv7 layout).
    assert len(scaled["ada"]) == 32
    assert scaled["ada"][12] == "7"


def test_a_refused_action_is_denied(doors: dict[str, Door], scaled: dict[str, str]) -> None:
    [row] = _find(doors["bob"], request_id=scaled["bob"])
    assert (row["verb"], row["outcome"], row["actor"]["sub"]) == ("apply", "denied", BOB.subject)
    assert row["reason"]


def test_everyone_but_audit_admins_sees_only_their_own_rows(doors: dict[str, Door], scaled: dict[str, str]) -> None:
    mine = _page(doors["bob"])
    assert mine.headers["x-audit-scope"] == "self"
    assert {r["actor"]["sub"] for r in mine.json()["items"]} == {BOB.subject}
    asked_all = _page(doors["bob"], scope="all", actor=ADA.subject)
    assert asked_all.headers["x-audit-scope"] == "self"
    assert {r["actor"]["sub"] for r in asked_all.json()["items"]} == {BOB.subject}

    everything = _page(doors["ada"])
    assert everything.headers["x-audit-scope"] == "all"
    assert {ADA.subject, BOB.subject} <= {r["actor"]["sub"] for r in everything.json()["items"]}
    own = _page(doors["ada"], scope="self")
    assert own.headers["x-audit-scope"] == "self"
    assert {r["actor"]["sub"] for r in own.json()["items"]} == {ADA.subject}


def test_get_by_id_hides_other_peoples_rows(doors: dict[str, Door], scaled: dict[str, str]) -> None:
    [bobs] = _find(doors["ada"], request_id=scaled["bob"])
    [adas] = _find(doors["ada"], request_id=scaled["ada"])
    assert doors["ada"].http.get(f"/api/audit/{bobs['id']}").json()["requestId"] == scaled["bob"]
    assert doors["bob"].http.get(f"/api/audit/{bobs['id']}").json()["id"] == bobs["id"]
    hidden = doors["bob"].http.get(f"/api/audit/{adas['id']}")
    assert (hidden.status_code, hidden.json()["error"]) == (404, "E_NOT_FOUND")
    assert doors["ada"].http.get("/api/audit/999999999").status_code == 404


def test_filters_and_cursor_paging(doors: dict[str, Door], scaled: dict[str, str]) -> None:
    ada = doors["ada"]
    ada.http.post(SCALE, json={"replicas": 3}).raise_for_status()
    whole = _page(ada, cluster="prod", resource="deployments", name="web").json()
    assert len(whole["items"]) >= 3
    assert whole["total"] == len(whole["items"])
    assert whole["nextCursor"] == ""
    seen, cursor = [], ""
    while True:
        page = _page(ada, cluster="prod", resource="deployments", name="web", limit=1,
                     **({"cursor": cursor} if cursor else {})).json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert seen == [r["id"] for r in whole["items"]]
    assert {r["outcome"] for r in _page(ada, outcome="denied").json()["items"]} == {"denied"}
    assert _page(ada, **{"from": "2999-01-01T00:00:00Z"}).json()["items"] == []
    assert _page(ada, text="scale").json()["items"]
    bad = ada.http.get("/api/audit", params={"verb": "dance"})
    assert (bad.status_code, bad.json()["error"]) == (400, "E_INVALID_REQUEST")


def test_exports_stream_jsonl_and_csv_and_are_audited(doors: dict[str, Door], scaled: dict[str, str]) -> None:
    ada = doors["ada"]
    jsonl = ada.http.get("/api/audit/export", params={"format": "jsonl", "cluster": "prod"})
    assert jsonl.status_code == 200, jsonl.text
    assert jsonl.headers["content-type"].startswith("application/x-ndjson")
    assert jsonl.headers["content-disposition"].startswith('attachment; filename="periscope-audit-')
    assert jsonl.headers["content-disposition"].endswith('.jsonl"')
    rows = [json.loads(line) for line in jsonl.text.splitlines()]
    assert {scaled["ada"], scaled["bob"]} <= {r["requestId"] for r in rows}
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)

    as_csv = ada.http.get("/api/audit/export", params={"format": "csv"}, headers={"X-Audit-Scope": "self"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert table
    assert {r["actor_sub"] for r in table} == {ADA.subject}
    # A download link cannot send a header: the same choice as a query parameter.
    linked = ada.http.get("/api/audit/export", params={"format": "csv", "scope": "self"})
    assert linked.headers["x-audit-scope"] == "self"
    assert {r["actor_sub"] for r in csv.DictReader(io.StringIO(linked.text))} == {ADA.subject}

    [export] = _find(ada, verb="audit_export", request_id=jsonl.headers["x-request-id"])
    assert export["extra"]["format"] == "jsonl"
    assert export["extra"]["filters"] == {"cluster": "prod"}
    unknown = ada.http.get("/api/audit/export", params={"format": "xml"})
    assert (unknown.status_code, unknown.json()["error"]) == (400, "E_INVALID_REQUEST")


def test_sign_out_is_audited(doors: dict[str, Door]) -> None:
    response = doors["bob"].http.post("/api/auth/logout")
    assert response.status_code == 204
    [row] = _find(doors["bob"], verb="logout", request_id=response.headers["x-request-id"])
    assert (row["actor"]["sub"], row["outcome"]) == (BOB.subject, "success")


def test_verbose_health_shows_the_pipeline(doors: dict[str, Door]) -> None:
    http = doors["ada"].http
    assert http.get("/healthz").json() == {"status": "ok"}
    audit = http.get("/healthz", params={"verbose": ""}).json()["audit"]
    assert (audit["ok"], audit["accepting"], audit["dropped"]) == (True, True, 0)
    assert [s["sink"] for s in audit["sinks"]] == ["stdout", "sqlite"]
    assert audit["sinks"][1]["detail"]["path"].endswith("audit.db")


@pytest.mark.parametrize("path", ["/api/audit", "/api/audit/1", "/api/audit/export?format=csv"])
def test_without_audit_storage_the_routes_answer_a_json_404(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert (response.status_code, response.json()["error"]) == (404, "E_AUDIT_DISABLED")
    assert "stdout" in str(http.get("/healthz?verbose").json()["audit"]["sinks"])


def test_shutdown_flushes_queued_rows(console: Any, portal: BlockingPortal, tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    door = Door(portal, _settings(console, tmp_path, ADA, db))
    door.http.close()
    event = AuditEvent(timestamp=door.services.audit.now(), request_id="flushed-at-shutdown",
                       actor=Actor(ADA.subject), verb="login", outcome="success")

    def emit_then_stop() -> None:  # on the event loop: nothing is written in between
        door.services.audit.emit(event)
        door.server.stop()

    portal.call(emit_then_stop)
    door.future.result(timeout=20)
    portal.call(door.services.aclose)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM audit_events WHERE request_id = ?",
                            ("flushed-at-shutdown",)).fetchone() == (1,)


def test_health_reports_a_tampered_row_in_the_hash_chain(console: Any, portal: BlockingPortal, tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    settings = _settings(console, tmp_path, ADA, db)
    quick = msgspec.structs.replace(settings.audit, chain_check_interval=0.05, chain_full_check_interval=0.2)
    door = Door(portal, msgspec.structs.replace(settings, audit=quick))
    try:
        for n in range(3):
            portal.call(door.services.audit.emit, AuditEvent(
                timestamp=door.services.audit.now(), request_id=f"chained-{n}", actor=Actor(ADA.subject),
                verb="login", outcome="success"))  # fmt: skip

        def chain() -> dict[str, Any]:
            status: dict[str, Any] = door.http.get("/healthz", params={"verbose": ""}).json().get("auditChain", {})
            return status

        deadline = time.monotonic() + 5
        while chain().get("verifiedThroughId", 0) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert chain()["ok"] is True
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE audit_events SET reason = 'nothing happened' WHERE id = 2")
        while chain().get("ok", True) and time.monotonic() < deadline + 5:
            time.sleep(0.02)
        broken = chain()
        assert (broken["ok"], broken["firstBrokenId"]) == (False, 2)
        assert "changed" in broken["reason"]
    finally:
        door.stop()

-- Schema v1: the original product's table and indexes, unchanged, so its
-- databases open (and migrate) in place.
CREATE TABLE IF NOT EXISTS audit_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_unix_nano  INTEGER NOT NULL,
    request_id    TEXT,
    route         TEXT,
    actor_sub     TEXT NOT NULL,
    actor_email   TEXT,
    actor_groups  TEXT,
    verb          TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    cluster       TEXT,
    res_group     TEXT,
    res_version   TEXT,
    res_type      TEXT,
    res_namespace TEXT,
    res_name      TEXT,
    reason        TEXT,
    extra         TEXT
);
CREATE INDEX IF NOT EXISTS idx_audit_ts ON audit_events (ts_unix_nano);
CREATE INDEX IF NOT EXISTS idx_audit_actor_ts ON audit_events (actor_sub, ts_unix_nano);
CREATE INDEX IF NOT EXISTS idx_audit_verb_ts ON audit_events (verb, ts_unix_nano);
CREATE INDEX IF NOT EXISTS idx_audit_outcome_ts ON audit_events (outcome, ts_unix_nano);
CREATE INDEX IF NOT EXISTS idx_audit_cluster_ns_ts ON audit_events (cluster, res_namespace, ts_unix_nano);

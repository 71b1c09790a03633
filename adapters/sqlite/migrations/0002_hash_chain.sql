-- Schema v2: who the cluster was told it was talking to, the hash chain, and
-- indexes for the filters v1 could not serve.
ALTER TABLE audit_events ADD COLUMN impersonated_user TEXT;
ALTER TABLE audit_events ADD COLUMN impersonated_groups TEXT;
-- seq follows id (one writer appends in id order), so it needs no index of its own.
ALTER TABLE audit_events ADD COLUMN seq INTEGER;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;

-- The last pruned row: the first remaining row links to its (seq, hash).
CREATE TABLE audit_chain_anchor (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    row_id       INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    hash         TEXT NOT NULL,
    pruned_at    INTEGER NOT NULL,
    rows_pruned  INTEGER NOT NULL
);

CREATE INDEX idx_audit_request ON audit_events (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX idx_audit_resource_ts ON audit_events (res_type, ts_unix_nano);

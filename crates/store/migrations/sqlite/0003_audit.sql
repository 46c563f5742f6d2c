-- Audit trail and idempotency keys.
-- `seq` orders the change feed: the single writer assigns it in commit order, so a reader that
-- has seen seq N has seen every record before N.

CREATE TABLE audit_records (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    client_id   TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    action      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL,
    changes     TEXT NOT NULL
);
CREATE INDEX audit_records_tenant_seq ON audit_records(tenant_id, seq);
CREATE INDEX audit_records_client_seq ON audit_records(tenant_id, client_id, seq);

CREATE TABLE idempotency_keys (
    tenant_id     TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    key           TEXT NOT NULL,
    request_hash  BLOB NOT NULL,
    -- in_flight: claimed, running; committed: its write committed, response not yet recorded;
    -- done: response recorded.
    state         TEXT NOT NULL,
    entity_type   TEXT,
    entity_id     TEXT,
    status        INTEGER,
    headers       TEXT,
    body          BLOB,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, credential_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);

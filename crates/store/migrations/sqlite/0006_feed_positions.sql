-- Per-tenant change-feed positions. `seq` is one sequence shared by every tenant, so a cursor
-- made from it told a tenant how much the others write. `pos` counts one tenant's records only:
-- the single writer gives each new record its tenant's next position in the write transaction
-- (crates/store/src/sqlite/conn.rs, `feed_positions`), so within a tenant `pos` order is commit
-- order. Cursors of `/v1/events` and of a client's history are positions.

ALTER TABLE audit_records ADD COLUMN pos INTEGER;
UPDATE audit_records SET pos = r.rn
FROM (SELECT seq, row_number() OVER (PARTITION BY tenant_id ORDER BY seq) AS rn
      FROM audit_records) AS r
WHERE audit_records.seq = r.seq;
CREATE UNIQUE INDEX audit_records_tenant_pos ON audit_records(tenant_id, pos);
CREATE INDEX audit_records_client_pos ON audit_records(tenant_id, client_id, pos);
DROP INDEX audit_records_tenant_seq;
DROP INDEX audit_records_client_seq;

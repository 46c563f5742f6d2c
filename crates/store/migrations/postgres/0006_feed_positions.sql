-- Per-tenant change-feed positions (twin of migrations/sqlite/0006_feed_positions.sql).
-- `seq` is one sequence shared by every tenant, so a cursor made from it told a tenant how much
-- the others write; `pos` counts one tenant's records only.
--
-- Writes of one tenant commit in parallel here, so a position drawn inside a write transaction
-- could commit after a higher one that a reader has already passed. Positions are therefore
-- given only to committed records, after the fact: a record is written with `pos` NULL, and
-- `clientele_publish_feed(tenant)` (called before the feed or a history is read) numbers the
-- tenant's committed, unnumbered records after the highest position, in `seq` order, holding
-- the tenant's row (FOR NO KEY UPDATE: writers' foreign-key checks take KEY SHARE, which it
-- does not block) until it commits. A record can thus never appear behind a position already
-- handed out, and feed order is commit order: everything a publication numbers committed before
-- it started; within one publication `seq` order, which two writes touching the same client
-- draw in commit order (the second waits for the first's row lock before it writes its record).

ALTER TABLE audit_records ADD COLUMN pos BIGINT;
UPDATE audit_records AS a SET pos = r.rn
FROM (SELECT seq, row_number() OVER (PARTITION BY tenant_id ORDER BY seq) AS rn
      FROM audit_records) AS r
WHERE a.seq = r.seq;
CREATE UNIQUE INDEX audit_records_tenant_pos ON audit_records(tenant_id, pos);
CREATE INDEX audit_records_client_pos ON audit_records(tenant_id, client_id, pos);
-- What the next publication numbers.
CREATE INDEX audit_records_unpublished ON audit_records(tenant_id, seq) WHERE pos IS NULL;
DROP INDEX audit_records_tenant_seq;
DROP INDEX audit_records_client_seq;

-- Numbers at most `batch` of the tenant's committed, unnumbered records; returns how many.
-- Each statement of a VOLATILE function reads a new snapshot (READ COMMITTED), so once the
-- tenant's row is held, the highest position and the unnumbered records are read as the
-- previous publication committed them.
CREATE FUNCTION clientele_publish_feed(t TEXT, batch BIGINT) RETURNS BIGINT
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    base BIGINT;
    n BIGINT;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_records WHERE tenant_id = t AND pos IS NULL) THEN
        RETURN 0;
    END IF;
    PERFORM 1 FROM tenants WHERE id = t FOR NO KEY UPDATE;
    SELECT coalesce(max(pos), 0) INTO base FROM audit_records WHERE tenant_id = t;
    UPDATE audit_records AS a SET pos = base + p.rn
    FROM (SELECT seq, row_number() OVER (ORDER BY seq) AS rn
          FROM (SELECT seq FROM audit_records WHERE tenant_id = t AND pos IS NULL
                ORDER BY seq LIMIT batch) AS u) AS p
    WHERE a.seq = p.seq;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

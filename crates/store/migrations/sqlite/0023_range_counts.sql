-- Exact totals of range filters without a scan (docs/indexes.md, "Totals"), and a search
-- vocabulary that forgets words no client uses any more.

-- Client counts per tenant, archived state, range bucket of one field, and combination of the
-- closed-set fields most often filtered together with a range (status, country, kind), kept by
-- triggers in the write transaction. A range filter's total is the sum over the buckets it
-- covers whole plus a count of the rows in the two partial buckets at its ends, read through
-- the index of the range (crates/store/src/statements/list.rs, `range_count`). NULL is stored
-- as '' as in `client_facets`; a NULL range value is in no bucket (no range matches it).
--
-- Buckets (the Rust side computes the same, `RangeField::bucket`):
--   credit_limit_e4: two significant digits, as an order-preserving integer:
--     v < 0 → -1; v < 10 → 100 + v; else (number of digits) * 100 + (first two digits);
--   updated_at: the calendar month, year * 100 + month.
CREATE TABLE client_ranges (
    tenant_id       TEXT NOT NULL,
    archived        INTEGER NOT NULL,
    field           TEXT NOT NULL,
    bucket          INTEGER NOT NULL,
    status          TEXT NOT NULL,
    address_country TEXT NOT NULL,
    kind            TEXT NOT NULL,
    n               INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, archived, field, bucket, status, address_country, kind)
) WITHOUT ROWID;

INSERT INTO client_ranges
    SELECT tenant_id, archived, 'updated_at',
           CAST(substr(updated_at, 1, 4) AS INTEGER) * 100 + CAST(substr(updated_at, 6, 2) AS INTEGER),
           status, coalesce(address_country, ''), kind, count(*)
    FROM clients GROUP BY 1, 2, 3, 4, 5, 6, 7;
INSERT INTO client_ranges
    SELECT tenant_id, archived, 'credit_limit_e4',
           CASE WHEN credit_limit_e4 < 0 THEN -1
                WHEN credit_limit_e4 < 10 THEN 100 + credit_limit_e4
                ELSE length(credit_limit_e4) * 100 + CAST(substr(credit_limit_e4, 1, 2) AS INTEGER)
           END,
           status, coalesce(address_country, ''), kind, count(*)
    FROM clients WHERE credit_limit_e4 IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7;

CREATE TRIGGER clients_ranges_insert AFTER INSERT ON clients BEGIN
    INSERT INTO client_ranges VALUES (new.tenant_id, new.archived, 'updated_at',
        CAST(substr(new.updated_at, 1, 4) AS INTEGER) * 100
            + CAST(substr(new.updated_at, 6, 2) AS INTEGER),
        new.status, coalesce(new.address_country, ''), new.kind, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO client_ranges SELECT new.tenant_id, new.archived, 'credit_limit_e4',
        CASE WHEN new.credit_limit_e4 < 0 THEN -1
             WHEN new.credit_limit_e4 < 10 THEN 100 + new.credit_limit_e4
             ELSE length(new.credit_limit_e4) * 100
                 + CAST(substr(new.credit_limit_e4, 1, 2) AS INTEGER)
        END,
        new.status, coalesce(new.address_country, ''), new.kind, 1
        WHERE new.credit_limit_e4 IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER clients_ranges_delete AFTER DELETE ON clients BEGIN
    UPDATE client_ranges SET n = n - 1
    WHERE tenant_id = old.tenant_id AND archived = old.archived AND field = 'updated_at'
      AND bucket = CAST(substr(old.updated_at, 1, 4) AS INTEGER) * 100
                   + CAST(substr(old.updated_at, 6, 2) AS INTEGER)
      AND status = old.status AND address_country = coalesce(old.address_country, '')
      AND kind = old.kind;
    UPDATE client_ranges SET n = n - 1
    WHERE tenant_id = old.tenant_id AND archived = old.archived AND field = 'credit_limit_e4'
      AND bucket = CASE WHEN old.credit_limit_e4 < 0 THEN -1
                        WHEN old.credit_limit_e4 < 10 THEN 100 + old.credit_limit_e4
                        ELSE length(old.credit_limit_e4) * 100
                            + CAST(substr(old.credit_limit_e4, 1, 2) AS INTEGER)
                   END
      AND status = old.status AND address_country = coalesce(old.address_country, '')
      AND kind = old.kind;
END;

-- Every update sets updated_at; the month changes rarely, so the counters are only touched
-- when a counted value moved.
CREATE TRIGGER clients_ranges_update_updated AFTER UPDATE OF tenant_id, archived, status,
    address_country, kind, updated_at ON clients
    WHEN old.tenant_id IS NOT new.tenant_id OR old.archived IS NOT new.archived
      OR old.status IS NOT new.status OR old.address_country IS NOT new.address_country
      OR old.kind IS NOT new.kind OR substr(old.updated_at, 1, 7) IS NOT substr(new.updated_at, 1, 7)
BEGIN
    UPDATE client_ranges SET n = n - 1
    WHERE tenant_id = old.tenant_id AND archived = old.archived AND field = 'updated_at'
      AND bucket = CAST(substr(old.updated_at, 1, 4) AS INTEGER) * 100
                   + CAST(substr(old.updated_at, 6, 2) AS INTEGER)
      AND status = old.status AND address_country = coalesce(old.address_country, '')
      AND kind = old.kind;
    INSERT INTO client_ranges VALUES (new.tenant_id, new.archived, 'updated_at',
        CAST(substr(new.updated_at, 1, 4) AS INTEGER) * 100
            + CAST(substr(new.updated_at, 6, 2) AS INTEGER),
        new.status, coalesce(new.address_country, ''), new.kind, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER clients_ranges_update_credit AFTER UPDATE OF tenant_id, archived, status,
    address_country, kind, credit_limit_e4 ON clients
    WHEN old.tenant_id IS NOT new.tenant_id OR old.archived IS NOT new.archived
      OR old.status IS NOT new.status OR old.address_country IS NOT new.address_country
      OR old.kind IS NOT new.kind OR old.credit_limit_e4 IS NOT new.credit_limit_e4
BEGIN
    UPDATE client_ranges SET n = n - 1
    WHERE tenant_id = old.tenant_id AND archived = old.archived AND field = 'credit_limit_e4'
      AND bucket = CASE WHEN old.credit_limit_e4 < 0 THEN -1
                        WHEN old.credit_limit_e4 < 10 THEN 100 + old.credit_limit_e4
                        ELSE length(old.credit_limit_e4) * 100
                            + CAST(substr(old.credit_limit_e4, 1, 2) AS INTEGER)
                   END
      AND status = old.status AND address_country = coalesce(old.address_country, '')
      AND kind = old.kind;
    INSERT INTO client_ranges SELECT new.tenant_id, new.archived, 'credit_limit_e4',
        CASE WHEN new.credit_limit_e4 < 0 THEN -1
             WHEN new.credit_limit_e4 < 10 THEN 100 + new.credit_limit_e4
             ELSE length(new.credit_limit_e4) * 100
                 + CAST(substr(new.credit_limit_e4, 1, 2) AS INTEGER)
        END,
        new.status, coalesce(new.address_country, ''), new.kind, 1
        WHERE new.credit_limit_e4 IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;
END;

-- Exact totals of range filters without a scan (docs/indexes.md, "Totals"), as SQLite keeps them
-- (migrations sqlite/0023, 0025): client counts per tenant, archived state, range bucket of one
-- field (`credit_limit_e4`, `updated_at`) and combination of the closed-set fields most often
-- filtered together with a range (status, country, kind). A range filter's total is the sum over
-- the buckets it covers whole plus a count of the rows in the two partial buckets at its ends,
-- read through the index of the range (crates/store/src/statements/list/ranges.rs,
-- `range_count`). NULL is stored as '' as in `client_facets`; a NULL range value is in no bucket.
-- Like the other counters here (migration 0012), a writer adds its change to one of 16 slots
-- chosen by its connection's backend process, so one tenant's concurrent writers change
-- different rows; readers sum the slots. A slot may go negative.
--
-- Buckets (the Rust side computes the same, `RangeField::bucket`):
--   credit_limit_e4 (a money key, migration 0025: units of 10⁻⁴ less 5 × 10¹⁸): two significant
--     digits of the amount v in units of 10⁻⁴, as an order-preserving integer:
--     v < 10 → 100 + v; else (number of digits) * 100 + (first two digits);
--   updated_at: the calendar month, year * 100 + month.

CREATE FUNCTION clientele_credit_bucket(k BIGINT) RETURNS BIGINT LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN k < -5000000000000000000 THEN -1
        WHEN k < -4999999999999999990 THEN 100 + (k + 5000000000000000000)
        WHEN k < 0 THEN length(CAST(k + 5000000000000000000 AS TEXT)) * 100
            + CAST(left(CAST(k + 5000000000000000000 AS TEXT), 2) AS BIGINT)
        ELSE 1950 + k / 100000000000000000
    END
$$;

CREATE FUNCTION clientele_month_bucket(t TEXT) RETURNS BIGINT LANGUAGE sql IMMUTABLE AS $$
    SELECT CAST(substr(t, 1, 4) AS BIGINT) * 100 + CAST(substr(t, 6, 2) AS BIGINT)
$$;

CREATE TABLE client_ranges (
    tenant_id       TEXT COLLATE "C" NOT NULL,
    archived        BOOLEAN NOT NULL,
    field           TEXT COLLATE "C" NOT NULL,
    bucket          BIGINT NOT NULL,
    status          TEXT COLLATE "C" NOT NULL,
    address_country TEXT COLLATE "C" NOT NULL,
    kind            TEXT COLLATE "C" NOT NULL,
    slot            SMALLINT NOT NULL,
    n               BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, archived, field, bucket, status, address_country, kind, slot)
);

INSERT INTO client_ranges
    SELECT tenant_id, archived, 'updated_at', clientele_month_bucket(updated_at),
           status, coalesce(address_country, ''), kind, 0, count(*)
    FROM clients GROUP BY 1, 2, 3, 4, 5, 6, 7
    UNION ALL
    SELECT tenant_id, archived, 'credit_limit_e4', clientele_credit_bucket(credit_limit_e4),
           status, coalesce(address_country, ''), kind, 0, count(*)
    FROM clients WHERE credit_limit_e4 IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7;

-- Inserts and deletes: once per statement, from the transition table (a group of creates or a
-- bulk load is one upsert per counter touched, not one per row).
CREATE FUNCTION clients_ranges_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO client_ranges AS r (tenant_id, archived, field, bucket, status,
            address_country, kind, slot, n)
        SELECT tenant_id, archived, 'updated_at', clientele_month_bucket(updated_at), status,
               coalesce(address_country, ''), kind, clientele_slot(), -count(*)
        FROM old_rows GROUP BY 1, 2, 3, 4, 5, 6, 7
        UNION ALL
        SELECT tenant_id, archived, 'credit_limit_e4', clientele_credit_bucket(credit_limit_e4),
               status, coalesce(address_country, ''), kind, clientele_slot(), -count(*)
        FROM old_rows WHERE credit_limit_e4 IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7
        ON CONFLICT (tenant_id, archived, field, bucket, status, address_country, kind, slot)
        DO UPDATE SET n = r.n + excluded.n;
    ELSE
        INSERT INTO client_ranges AS r (tenant_id, archived, field, bucket, status,
            address_country, kind, slot, n)
        SELECT tenant_id, archived, 'updated_at', clientele_month_bucket(updated_at), status,
               coalesce(address_country, ''), kind, clientele_slot(), count(*)
        FROM new_rows GROUP BY 1, 2, 3, 4, 5, 6, 7
        UNION ALL
        SELECT tenant_id, archived, 'credit_limit_e4', clientele_credit_bucket(credit_limit_e4),
               status, coalesce(address_country, ''), kind, clientele_slot(), count(*)
        FROM new_rows WHERE credit_limit_e4 IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7
        ON CONFLICT (tenant_id, archived, field, bucket, status, address_country, kind, slot)
        DO UPDATE SET n = r.n + excluded.n;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER clients_ranges_insert AFTER INSERT ON clients
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION clients_ranges_statement();
CREATE TRIGGER clients_ranges_delete AFTER DELETE ON clients
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION clients_ranges_statement();

-- Updates: only when a counted value moved (every update sets `updated_at`, its month changes
-- rarely), one row at a time: the old buckets lose the client, the new ones gain it.
CREATE FUNCTION clients_ranges_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO client_ranges AS r (tenant_id, archived, field, bucket, status,
        address_country, kind, slot, n)
    SELECT OLD.tenant_id, OLD.archived, 'updated_at', clientele_month_bucket(OLD.updated_at),
           OLD.status, coalesce(OLD.address_country, ''), OLD.kind, clientele_slot(), -1
    UNION ALL
    SELECT OLD.tenant_id, OLD.archived, 'credit_limit_e4',
           clientele_credit_bucket(OLD.credit_limit_e4), OLD.status,
           coalesce(OLD.address_country, ''), OLD.kind, clientele_slot(), -1
    WHERE OLD.credit_limit_e4 IS NOT NULL
    ON CONFLICT (tenant_id, archived, field, bucket, status, address_country, kind, slot)
    DO UPDATE SET n = r.n + excluded.n;
    INSERT INTO client_ranges AS r (tenant_id, archived, field, bucket, status,
        address_country, kind, slot, n)
    SELECT NEW.tenant_id, NEW.archived, 'updated_at', clientele_month_bucket(NEW.updated_at),
           NEW.status, coalesce(NEW.address_country, ''), NEW.kind, clientele_slot(), 1
    UNION ALL
    SELECT NEW.tenant_id, NEW.archived, 'credit_limit_e4',
           clientele_credit_bucket(NEW.credit_limit_e4), NEW.status,
           coalesce(NEW.address_country, ''), NEW.kind, clientele_slot(), 1
    WHERE NEW.credit_limit_e4 IS NOT NULL
    ON CONFLICT (tenant_id, archived, field, bucket, status, address_country, kind, slot)
    DO UPDATE SET n = r.n + excluded.n;
    RETURN NULL;
END
$$;
CREATE TRIGGER clients_ranges_update AFTER UPDATE ON clients
    FOR EACH ROW
    WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id
          OR OLD.archived IS DISTINCT FROM NEW.archived
          OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.address_country IS DISTINCT FROM NEW.address_country
          OR OLD.kind IS DISTINCT FROM NEW.kind
          OR OLD.credit_limit_e4 IS DISTINCT FROM NEW.credit_limit_e4
          OR substr(OLD.updated_at, 1, 7) IS DISTINCT FROM substr(NEW.updated_at, 1, 7))
    EXECUTE FUNCTION clients_ranges_update();

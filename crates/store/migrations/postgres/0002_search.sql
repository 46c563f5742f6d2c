-- PostgreSQL twin of migrations/sqlite/0002_search.sql: the creation sequence, search terms,
-- per-tenant counts kept by triggers, and the sort indexes. (No PostgreSQL database predates
-- this version, so no backfill is needed.)

-- `rid`: the creation sequence (crates/store/src/rid.rs). Its order is (created_at, id) order;
-- it keys the default order and its cursors. Unique per tenant: on PostgreSQL nothing needs it
-- unique across tenants, so writes of different tenants never contend for it.
ALTER TABLE clients ADD COLUMN rid BIGINT NOT NULL;
CREATE UNIQUE INDEX clients_tenant_rid ON clients(tenant_id, rid);
DROP INDEX clients_tenant_created;

-- The name folded like search words (lower case, accents removed) by the code that writes the
-- row, for the case- and accent-insensitive `name` substring filter.
ALTER TABLE clients ADD COLUMN name_fold TEXT COLLATE "C";

-- Sort and filter indexes: the same as on SQLite (docs/indexes.md). Lists sort NULL below every
-- value (first ascending, last descending), as SQLite does; PostgreSQL's default is the
-- opposite, so nullable key columns say NULLS FIRST and one index serves both directions.
CREATE INDEX clients_tenant_updated ON clients(tenant_id, archived, updated_at, id);
CREATE INDEX clients_tenant_status_country_updated
    ON clients(tenant_id, status, address_country NULLS FIRST, archived, updated_at, id);
CREATE INDEX clients_tenant_credit_limit
    ON clients(tenant_id, archived, credit_limit_e4 NULLS FIRST, id);
CREATE INDEX clients_tenant_name ON clients(tenant_id, archived, name, id);

-- Search terms. One row per distinct search word (clientele_core::search: folded case and
-- accents, split at punctuation and between letters and digits, identifiers also compact) of
-- a client's searchable fields and of its contact persons' name and e-mail. Written by code in
-- the client's write transaction (postgres.rs), so no extension (unaccent, pg_trgm) is needed
-- and the table works on PostgreSQL-compatible distributed SQL. COLLATE "C": bytewise order, so
-- a prefix is a contiguous range of the primary key.
CREATE TABLE client_search_terms (
    tenant_id TEXT COLLATE "C" NOT NULL,
    term      TEXT COLLATE "C" NOT NULL,
    client_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, term, client_id)
);
CREATE INDEX client_search_terms_client ON client_search_terms(tenant_id, client_id);

-- Client counts per tenant and archived state, and per combination of the closed-set fields a
-- list filters on most (crates/store/src/sql.rs, `facet_count`), kept by a trigger in the same
-- transaction. NULL is stored as '' in the facets (no real value is empty).
CREATE TABLE client_counts (
    tenant_id TEXT COLLATE "C" NOT NULL,
    archived  BOOLEAN NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, archived)
);
CREATE TABLE client_facets (
    tenant_id               TEXT COLLATE "C" NOT NULL,
    archived                BOOLEAN NOT NULL,
    status                  TEXT COLLATE "C" NOT NULL,
    address_country         TEXT COLLATE "C" NOT NULL,
    kind                    TEXT COLLATE "C" NOT NULL,
    credit_currency         TEXT COLLATE "C" NOT NULL,
    partner_type            TEXT COLLATE "C" NOT NULL,
    credit_creditworthiness TEXT COLLATE "C" NOT NULL,
    n                       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, archived, status, address_country, kind, credit_currency,
                 partner_type, credit_creditworthiness)
);

CREATE FUNCTION clients_keep_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE client_counts SET n = n - 1
        WHERE tenant_id = OLD.tenant_id AND archived = OLD.archived;
        UPDATE client_facets SET n = n - 1
        WHERE tenant_id = OLD.tenant_id AND archived = OLD.archived AND status = OLD.status
          AND address_country = coalesce(OLD.address_country, '') AND kind = OLD.kind
          AND credit_currency = coalesce(OLD.credit_currency, '')
          AND partner_type = coalesce(OLD.partner_type, '')
          AND credit_creditworthiness = coalesce(OLD.credit_creditworthiness, '');
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO client_counts AS c (tenant_id, archived, n)
        VALUES (NEW.tenant_id, NEW.archived, 1)
        ON CONFLICT (tenant_id, archived) DO UPDATE SET n = c.n + 1;
        INSERT INTO client_facets AS f VALUES (NEW.tenant_id, NEW.archived, NEW.status,
            coalesce(NEW.address_country, ''), NEW.kind, coalesce(NEW.credit_currency, ''),
            coalesce(NEW.partner_type, ''), coalesce(NEW.credit_creditworthiness, ''), 1)
        ON CONFLICT (tenant_id, archived, status, address_country, kind, credit_currency,
                     partner_type, credit_creditworthiness)
        DO UPDATE SET n = f.n + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER clients_counts_insert_delete AFTER INSERT OR DELETE ON clients
    FOR EACH ROW EXECUTE FUNCTION clients_keep_counts();
CREATE TRIGGER clients_counts_update AFTER UPDATE ON clients
    FOR EACH ROW
    WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id
          OR OLD.archived IS DISTINCT FROM NEW.archived
          OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.address_country IS DISTINCT FROM NEW.address_country
          OR OLD.kind IS DISTINCT FROM NEW.kind
          OR OLD.credit_currency IS DISTINCT FROM NEW.credit_currency
          OR OLD.partner_type IS DISTINCT FROM NEW.partner_type
          OR OLD.credit_creditworthiness IS DISTINCT FROM NEW.credit_creditworthiness)
    EXECUTE FUNCTION clients_keep_counts();

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

-- Inserts and deletes are counted once per statement from the transition tables: a bulk load
-- (seed-demo, imports) inserts many rows per statement, and one counter row updated once per
-- row within one transaction would leave a chain of dead versions that every later update walks.
CREATE FUNCTION clients_count_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE client_counts AS c SET n = c.n - d.k
        FROM (SELECT tenant_id, archived, count(*) AS k FROM old_rows GROUP BY 1, 2) AS d
        WHERE c.tenant_id = d.tenant_id AND c.archived = d.archived;
        UPDATE client_facets AS f SET n = f.n - d.k
        FROM (SELECT tenant_id, archived, status, coalesce(address_country, '') AS address_country,
                     kind, coalesce(credit_currency, '') AS credit_currency,
                     coalesce(partner_type, '') AS partner_type,
                     coalesce(credit_creditworthiness, '') AS credit_creditworthiness,
                     count(*) AS k
              FROM old_rows GROUP BY 1, 2, 3, 4, 5, 6, 7, 8) AS d
        WHERE f.tenant_id = d.tenant_id AND f.archived = d.archived AND f.status = d.status
          AND f.address_country = d.address_country AND f.kind = d.kind
          AND f.credit_currency = d.credit_currency AND f.partner_type = d.partner_type
          AND f.credit_creditworthiness = d.credit_creditworthiness;
    ELSE
        INSERT INTO client_counts AS c (tenant_id, archived, n)
        SELECT tenant_id, archived, count(*) FROM new_rows GROUP BY 1, 2
        ON CONFLICT (tenant_id, archived) DO UPDATE SET n = c.n + excluded.n;
        INSERT INTO client_facets AS f
        SELECT tenant_id, archived, status, coalesce(address_country, ''), kind,
               coalesce(credit_currency, ''), coalesce(partner_type, ''),
               coalesce(credit_creditworthiness, ''), count(*)
        FROM new_rows GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        ON CONFLICT (tenant_id, archived, status, address_country, kind, credit_currency,
                     partner_type, credit_creditworthiness)
        DO UPDATE SET n = f.n + excluded.n;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER clients_counts_insert AFTER INSERT ON clients
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION clients_count_statement();
CREATE TRIGGER clients_counts_delete AFTER DELETE ON clients
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION clients_count_statement();

-- An update moves a client between groups only when a counted column changes (a row-level
-- trigger with WHEN: most updates cost nothing here).
CREATE FUNCTION clients_count_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE client_counts SET n = n - 1
    WHERE tenant_id = OLD.tenant_id AND archived = OLD.archived;
    UPDATE client_facets SET n = n - 1
    WHERE tenant_id = OLD.tenant_id AND archived = OLD.archived AND status = OLD.status
      AND address_country = coalesce(OLD.address_country, '') AND kind = OLD.kind
      AND credit_currency = coalesce(OLD.credit_currency, '')
      AND partner_type = coalesce(OLD.partner_type, '')
      AND credit_creditworthiness = coalesce(OLD.credit_creditworthiness, '');
    INSERT INTO client_counts AS c (tenant_id, archived, n)
    VALUES (NEW.tenant_id, NEW.archived, 1)
    ON CONFLICT (tenant_id, archived) DO UPDATE SET n = c.n + 1;
    INSERT INTO client_facets AS f VALUES (NEW.tenant_id, NEW.archived, NEW.status,
        coalesce(NEW.address_country, ''), NEW.kind, coalesce(NEW.credit_currency, ''),
        coalesce(NEW.partner_type, ''), coalesce(NEW.credit_creditworthiness, ''), 1)
    ON CONFLICT (tenant_id, archived, status, address_country, kind, credit_currency,
                 partner_type, credit_creditworthiness)
    DO UPDATE SET n = f.n + 1;
    RETURN NULL;
END
$$;
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
    EXECUTE FUNCTION clients_count_update();

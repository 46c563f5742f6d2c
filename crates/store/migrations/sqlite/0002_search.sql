-- Listing at scale: the creation sequence, full-text search, per-tenant counts, sort indexes.

-- `rid`: a unique integer whose order is exactly (created_at, id) order: the creation
-- millisecond shifted left by 12 bits plus a per-millisecond sequence, which new ids also carry
-- in their 12 `rand_a` bits. It keys the default order, its cursors and the FTS rowid (a plain
-- rowid may change on VACUUM; this one never does).
ALTER TABLE clients ADD COLUMN rid INTEGER;
UPDATE clients SET rid = r.rid
FROM (
    SELECT id,
           ((CAST(strftime('%s', substr(created_at, 1, 19)) AS INTEGER) * 1000
             + CAST(substr(created_at, 21, 3) AS INTEGER)) << 12)
           + row_number() OVER (PARTITION BY created_at ORDER BY id) - 1 AS rid
    FROM clients
) AS r
WHERE clients.id = r.id;
CREATE UNIQUE INDEX clients_rid ON clients(rid);

-- The name folded like search words (lower case, accents removed) by the code that writes the
-- row, for the case- and accent-insensitive `name` substring filter.
ALTER TABLE clients ADD COLUMN name_fold TEXT;

-- The default order (newest first) and its cursors, for every archived mode.
CREATE INDEX clients_tenant_rid ON clients(tenant_id, rid);
-- Replaced by clients_tenant_rid: created_at order is rid order.
DROP INDEX clients_tenant_created;

-- Sort and filter indexes chosen from measured plans (docs/indexes.md).
CREATE INDEX clients_tenant_updated ON clients(tenant_id, archived, updated_at, id);
CREATE INDEX clients_tenant_status_country_updated
    ON clients(tenant_id, status, address_country, archived, updated_at, id);
CREATE INDEX clients_tenant_credit_limit ON clients(tenant_id, archived, credit_limit_e4, id);
CREATE INDEX clients_tenant_name ON clients(tenant_id, archived, name, id);

-- Full-text search (crates/store/src/sqlite_search.rs). Documents are written by code in the
-- client's write transaction, folded (case, accents) by the code, so the tokenizer only splits;
-- every word carries its tenant's namespace (5 characters); prefix indexes of 6-8 characters
-- serve 1-3 character search words; longer words are expanded through `search_terms`.
CREATE VIRTUAL TABLE clients_fts USING fts5(
    doc,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0',
    prefix = '6 7 8'
);
-- Every namespaced word ever indexed, for prefix expansion.
CREATE TABLE search_terms (term TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE search_namespaces (
    tenant_id TEXT PRIMARY KEY,
    code      INTEGER NOT NULL UNIQUE
) WITHOUT ROWID;

-- Client counts per tenant and archived state, kept by triggers in the same transaction, so an
-- unfiltered list's `meta.total` costs one lookup instead of a scan.
CREATE TABLE client_counts (
    tenant_id TEXT NOT NULL,
    archived  INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, archived)
) WITHOUT ROWID;
INSERT INTO client_counts (tenant_id, archived, n)
    SELECT tenant_id, archived, count(*) FROM clients GROUP BY tenant_id, archived;

CREATE TRIGGER clients_count_insert AFTER INSERT ON clients BEGIN
    INSERT INTO client_counts (tenant_id, archived, n) VALUES (new.tenant_id, new.archived, 1)
        ON CONFLICT (tenant_id, archived) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER clients_count_delete AFTER DELETE ON clients BEGIN
    UPDATE client_counts SET n = n - 1
        WHERE tenant_id = old.tenant_id AND archived = old.archived;
END;
CREATE TRIGGER clients_count_update AFTER UPDATE OF tenant_id, archived ON clients
    WHEN old.tenant_id IS NOT new.tenant_id OR old.archived IS NOT new.archived
BEGIN
    UPDATE client_counts SET n = n - 1
        WHERE tenant_id = old.tenant_id AND archived = old.archived;
    INSERT INTO client_counts (tenant_id, archived, n) VALUES (new.tenant_id, new.archived, 1)
        ON CONFLICT (tenant_id, archived) DO UPDATE SET n = n + 1;
END;

-- A per-tenant generation of its clients, bumped in every write transaction that changes one:
-- list totals are cached per generation (crates/store/src/sqlite.rs, CountCache).
CREATE TABLE tenant_generations (
    tenant_id TEXT PRIMARY KEY,
    gen       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER clients_generation_insert AFTER INSERT ON clients BEGIN
    INSERT INTO tenant_generations (tenant_id, gen) VALUES (new.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER clients_generation_update AFTER UPDATE ON clients BEGIN
    INSERT INTO tenant_generations (tenant_id, gen) VALUES (new.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET gen = gen + 1;
    INSERT INTO tenant_generations (tenant_id, gen) VALUES (old.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER clients_generation_delete AFTER DELETE ON clients BEGIN
    INSERT INTO tenant_generations (tenant_id, gen) VALUES (old.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET gen = gen + 1;
END;

-- Client counts per tenant and combination of the closed-set fields a list filters on most,
-- kept by triggers in the write transaction: the total of a list filtered only by equality on
-- these fields is a sum over a few hundred groups instead of a scan of every matching row
-- (crates/store/src/sql.rs, `facet_count`). NULL is stored as '' (no real value is empty).
CREATE TABLE client_facets (
    tenant_id        TEXT NOT NULL,
    archived         INTEGER NOT NULL,
    status           TEXT NOT NULL,
    address_country  TEXT NOT NULL,
    kind             TEXT NOT NULL,
    credit_currency  TEXT NOT NULL,
    partner_type     TEXT NOT NULL,
    credit_creditworthiness TEXT NOT NULL,
    n                INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, archived, status, address_country, kind, credit_currency,
                 partner_type, credit_creditworthiness)
) WITHOUT ROWID;
INSERT INTO client_facets
    SELECT tenant_id, archived, status, coalesce(address_country, ''), kind,
           coalesce(credit_currency, ''), coalesce(partner_type, ''),
           coalesce(credit_creditworthiness, ''), count(*)
    FROM clients GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
CREATE TRIGGER clients_facets_insert AFTER INSERT ON clients BEGIN
    INSERT INTO client_facets VALUES (new.tenant_id, new.archived, new.status,
        coalesce(new.address_country, ''), new.kind, coalesce(new.credit_currency, ''),
        coalesce(new.partner_type, ''), coalesce(new.credit_creditworthiness, ''), 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER clients_facets_delete AFTER DELETE ON clients BEGIN
    UPDATE client_facets SET n = n - 1
    WHERE tenant_id = old.tenant_id AND archived = old.archived AND status = old.status
      AND address_country = coalesce(old.address_country, '') AND kind = old.kind
      AND credit_currency = coalesce(old.credit_currency, '')
      AND partner_type = coalesce(old.partner_type, '')
      AND credit_creditworthiness = coalesce(old.credit_creditworthiness, '');
END;
CREATE TRIGGER clients_facets_update AFTER UPDATE OF tenant_id, archived, status,
    address_country, kind, credit_currency, partner_type, credit_creditworthiness ON clients
BEGIN
    UPDATE client_facets SET n = n - 1
    WHERE tenant_id = old.tenant_id AND archived = old.archived AND status = old.status
      AND address_country = coalesce(old.address_country, '') AND kind = old.kind
      AND credit_currency = coalesce(old.credit_currency, '')
      AND partner_type = coalesce(old.partner_type, '')
      AND credit_creditworthiness = coalesce(old.credit_creditworthiness, '');
    INSERT INTO client_facets VALUES (new.tenant_id, new.archived, new.status,
        coalesce(new.address_country, ''), new.kind, coalesce(new.credit_currency, ''),
        coalesce(new.partner_type, ''), coalesce(new.credit_creditworthiness, ''), 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
END;

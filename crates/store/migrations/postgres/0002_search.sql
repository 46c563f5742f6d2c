-- Search terms for PostgreSQL (SQLite's twin is issue 3's FTS5 table under the same version).
-- One row per distinct normalised word (lower-cased, accents removed, split on anything that is
-- not a letter or digit) of a client's searchable fields and of its contact persons' name and
-- email. Maintained in Rust (search.rs) inside the write transaction, so no extension
-- (unaccent, pg_trgm) is needed and the table works on PostgreSQL-compatible distributed SQL.
-- COLLATE "C": bytewise order, so a prefix is a contiguous range of the primary key.

CREATE TABLE client_search_terms (
    tenant_id TEXT COLLATE "C" NOT NULL,
    term      TEXT COLLATE "C" NOT NULL,
    client_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, term, client_id)
);
CREATE INDEX client_search_terms_client ON client_search_terms(tenant_id, client_id);

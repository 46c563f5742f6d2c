-- Search through PostgreSQL's inverted index: one row per client with its search words (the
-- words of clientele_core::search, folded by the code that writes the row, exactly as SQLite's
-- full-text documents) as a `tsvector` made with `array_to_tsvector` (each word a lexeme as
-- given: no parser, no dictionary, no extension), and a GIN index. A search is one `tsquery`
-- of prefix terms ('word':* & 'other':*) that the index answers by intersecting its posting
-- lists, instead of one range scan of a term table per word. Replaces client_search_terms.

CREATE TABLE client_search (
    tenant_id TEXT COLLATE "C" NOT NULL,
    client_id TEXT COLLATE "C" NOT NULL,
    words     TSVECTOR NOT NULL,
    PRIMARY KEY (tenant_id, client_id)
);
INSERT INTO client_search (tenant_id, client_id, words)
SELECT tenant_id, client_id, array_to_tsvector(array_agg(term))
FROM client_search_terms GROUP BY tenant_id, client_id;
CREATE INDEX client_search_words ON client_search USING gin (words);
DROP TABLE client_search_terms;

-- A client's words change without its row when one of its contact persons changes: that moves
-- the tenant's generation too (migration 0012).
CREATE FUNCTION client_search_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tenant_generations AS g (tenant_id, slot, gen)
    SELECT DISTINCT tenant_id, clientele_slot(), 1 FROM changed_rows
    ON CONFLICT (tenant_id, slot) DO UPDATE SET gen = g.gen + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER client_search_generation AFTER UPDATE ON client_search
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION client_search_generation();

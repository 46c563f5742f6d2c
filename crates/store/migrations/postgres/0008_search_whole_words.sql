-- Search words are kept whole: a run of letters and digits (`ac3`, `schmidt123`) is one word,
-- and a compound that mixes letters and digits (`ERP-00424242`) also gets its compact form
-- (docs/indexes.md, "Search words"). Once every script has run, the code rewrites every
-- client's search words, in the same transaction (crates/store/src/postgres/migrate.rs); the
-- words of the old split are dropped here when the term table of migration 2 still holds them
-- (a database that already has migration 13 keeps them in `client_search`, rewritten then).
DO $$
BEGIN
    IF to_regclass('client_search_terms') IS NOT NULL THEN
        DELETE FROM client_search_terms;
    END IF;
END
$$;

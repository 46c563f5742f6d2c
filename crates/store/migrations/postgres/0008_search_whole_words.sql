-- Search words are kept whole: a run of letters and digits (`ac3`, `schmidt123`) is one word,
-- and a compound that mixes letters and digits (`ERP-00424242`) also gets its compact form
-- (docs/indexes.md, "Search words"). The code rewrites every client's terms right after this
-- script, in the same transaction (crates/store/src/postgres/migrate.rs).
DELETE FROM client_search_terms;

-- Search words are kept whole: a run of letters and digits (`ac3`, `schmidt123`) is one word,
-- and a compound that mixes letters and digits (`ERP-00424242`) also gets its compact form
-- (docs/indexes.md, "Search words"). Every document is rewritten by the code right after this
-- script, in the same transaction (crates/store/src/sqlite/migrate.rs); the words of the old
-- split are dropped here so that prefix expansion never meets them.
INSERT INTO clients_fts (clients_fts) VALUES ('delete-all');
DELETE FROM search_terms;

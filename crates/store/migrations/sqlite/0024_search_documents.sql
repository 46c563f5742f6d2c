-- The text of each indexed search document (as written to `clients_fts`: namespaced words, tags), keyed by
-- the document's rowid: the FTS table keeps no content, so this is how a change to a client
-- knows which words it removes. A word that no document holds any more is deleted from
-- `search_terms` in the same transaction (crates/store/src/sqlite/search.rs, `prune`).
-- The documents are written again after this script (they also gain the tags of status,
-- country and kind), and `search_terms` is rebuilt from them.
CREATE TABLE search_documents (
    rid   INTEGER PRIMARY KEY,
    words TEXT NOT NULL
);
DELETE FROM search_terms;

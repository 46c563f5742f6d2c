-- The kept documents (`client_docs`, migration 32) found by the client's id alone: a point read
-- computes the creation sequence a client's id carries (a new client's id is a UUIDv7 whose
-- millisecond and 12 `rand_a` bits are its `rid`: crates/store/src/rid.rs, `rid_in`), and reads
-- the one row of `client_docs` with that key. It answers only when the row is that client's, in
-- that tenant: `tenant_id` and `id` are kept beside the document for that check, and `version`
-- (the `ETag`) with it, so the read touches one B-tree instead of three (the `clients` id
-- index, the `clients` row, then `client_docs`). A client whose id does not carry its `rid`
-- (none today; a guard against ids made otherwise) has no document and is read from its row.
--
-- The documents are a cache of the rows (the triggers of migration 32 remove a changed or
-- deleted client's): this one is emptied and filled again by the idle writer
-- (crates/store/src/sqlite/writer.rs, `Backfill`), which reads clients without a document from
-- their rows meanwhile.
DROP TABLE client_docs;
CREATE TABLE client_docs (
    rid       INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    id        TEXT NOT NULL,
    version   INTEGER NOT NULL,
    doc       TEXT NOT NULL
);

-- The kept documents (`client_docs`, migration 32) found by the client's id alone, and written
-- again after a change.
--
-- A point read computes the creation sequence a client's id carries (a new client's id is a
-- UUIDv7 whose millisecond and 12 `rand_a` bits are its `rid`: crates/store/src/rid.rs,
-- `rid_in`), and reads the one row of `client_docs` with that key. It answers only when the row
-- is that client's, in that tenant: `tenant_id` and `id` are kept beside the document for that
-- check, and `version` (the `ETag`) with it, so the read touches one B-tree instead of three
-- (the `clients` id index, the `clients` row, then `client_docs`). A client whose id does not
-- carry its `rid` (none is made so today; a guard against ids made otherwise) has no document
-- and is read from its row.
--
-- The documents are a cache of the rows: the triggers remove a changed or deleted client's,
-- and a changed client's `rid` goes into `client_docs_wanted`, from which the writer, when it
-- is idle, writes the documents again (crates/store/src/sqlite/conn.rs, `backfill_documents`).
-- Until then the client is read from its row. This migration empties `client_docs` and wants
-- every client's document.
DROP TABLE client_docs;
CREATE TABLE client_docs (
    rid       INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    id        TEXT NOT NULL,
    version   INTEGER NOT NULL,
    doc       TEXT NOT NULL
);
CREATE TABLE client_docs_wanted (
    rid INTEGER PRIMARY KEY
);
INSERT INTO client_docs_wanted (rid) SELECT rid FROM clients WHERE rid IS NOT NULL;
DROP TRIGGER client_docs_update;
CREATE TRIGGER client_docs_update AFTER UPDATE ON clients BEGIN
    DELETE FROM client_docs WHERE rid IN (old.rid, new.rid);
    INSERT OR IGNORE INTO client_docs_wanted (rid) SELECT new.rid WHERE new.rid IS NOT NULL;
END;
DROP TRIGGER client_docs_delete;
CREATE TRIGGER client_docs_delete AFTER DELETE ON clients BEGIN
    DELETE FROM client_docs WHERE rid = old.rid;
    DELETE FROM client_docs_wanted WHERE rid = old.rid;
END;

-- Each client's JSON document (what `GET /v1/clients/{id}` answers under `data`), keyed by the
-- client's creation sequence (`clients.rid`, which never changes), as the writer wrote it when it
-- inserted the client, from the values it inserted (crates/store/src/columns.rs,
-- `new_client_fields`). The point read answers with it instead of reading and writing out some 75
-- columns (crates/store/src/sqlite/conn.rs, `client_json_by_id_now`); a client without one is
-- read from its row, as before.
--
-- The document is a function of the client's row alone, so it is never stale: any change of the
-- row, by whatever statement (updates, archiving, account counts, later migrations), and its
-- delete remove it, by the two triggers below. A client changed since its creation, or created
-- before this migration, is read from its row until the idle writer writes its document
-- (crates/store/src/sqlite/writer.rs, `Backfill`).
CREATE TABLE client_docs (
    rid INTEGER PRIMARY KEY,
    doc TEXT NOT NULL
);
CREATE TRIGGER client_docs_update AFTER UPDATE ON clients BEGIN
    DELETE FROM client_docs WHERE rid IN (old.rid, new.rid);
END;
CREATE TRIGGER client_docs_delete AFTER DELETE ON clients BEGIN
    DELETE FROM client_docs WHERE rid = old.rid;
END;

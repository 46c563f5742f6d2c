-- The counters of a new client (`client_counts`, `tenant_generations`, `client_facets`,
-- `client_ranges`) are written by the writer, by statements of their own right after each
-- client row's insert, in the same transaction (crates/store/src/sqlite/counts.rs,
-- `count_new_client`), instead of by these `AFTER INSERT` triggers.
--
-- A statement with a trigger is a "multi-write" in SQLite, and these triggers' upserts and
-- `substr()` make the insert "abortable": inside the writer's transaction of many statements such
-- an insert first copies every page it changes to a statement journal, so that it alone can be
-- undone (~73,000 of the writer's ~500,000 instructions per create, docs/performance.md).
-- Without a trigger the insert opens none, and neither does a single-row upsert into a counter.
--
-- The counters are the same: every insert into `clients` goes through the writer's one insert
-- (`Conn::insert_rows_now`), which writes them for each row before the next statement, so a later
-- update or delete of the same client in the same transaction finds them, as the update and
-- delete triggers (kept) expect. An insert into `clients` by hand-written SQL is not counted any
-- more.
-- (`IF EXISTS`: a test that rebuilds an older state and applies 25 and 35 again recreates only
-- the last.)
DROP TRIGGER IF EXISTS clients_count_insert;
DROP TRIGGER IF EXISTS clients_generation_insert;
DROP TRIGGER IF EXISTS clients_facets_insert;
DROP TRIGGER IF EXISTS clients_ranges_insert;

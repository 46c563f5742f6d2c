-- FTS5 merges a level's segments into one as soon as `automerge` of them are there (default 4):
-- a third of a create's writer instructions. With 8, a write merges about half as much; the
-- writer merges the levels of 4 segments or more when it is idle (`merge_when_idle`,
-- crates/store/src/sqlite/writer.rs), so the index a search reads at rest keeps its shape.
INSERT INTO clients_fts (clients_fts, rank) VALUES ('automerge', 8);

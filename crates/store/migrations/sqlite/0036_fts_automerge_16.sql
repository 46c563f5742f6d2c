-- FTS5 merges a level's segments into one once `automerge` of them are there: 8 since
-- migration 29. Every merge rewrites the postings it reads, so the merge work a posting costs
-- is the number of levels it climbs: log8 of the segments written, against log16 at 16. Under
-- a steady stream of creates (4,500 measured) the writer's merge instructions per create fell
-- from 70,000 to 49,000, 4% of the writer's work (docs/performance.md, "Tenth session").
-- Between bursts the writer still merges levels of 4 segments or more when it is idle
-- (`merge_when_idle`, crates/store/src/sqlite/writer.rs), so the index a search reads at rest
-- keeps its shape; under load a level may hold up to 15 segments instead of 7.
-- `crisismerge` (merge a level of that many segments at once, default 16) goes above it, so
-- that level 0 is merged in steps as the others are, not in one go.
INSERT INTO clients_fts (clients_fts, rank) VALUES ('automerge', 16);
INSERT INTO clients_fts (clients_fts, rank) VALUES ('crisismerge', 32);

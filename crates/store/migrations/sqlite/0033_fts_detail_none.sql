-- The full-text index without positions (`detail = none`): a search only asks whether a document
-- holds a word or a word prefix (single words and prefixes joined by AND, OR and NOT; never a
-- phrase of several words nor NEAR), so the positions FTS5 kept for every word and prefix entry
-- were written, merged and skipped over but never read. Without them the index of 100,000 demo
-- clients is 26% smaller, and a create's full-text work on the writer (tokenizing, writing its
-- batch's segment, merging segments) about 10% cheaper; searches read the same doclists and
-- answer the same (docs/performance.md, "h16-fts"). Options other than `detail` as in 0002, and
-- `automerge` 8 as in 0029 (it is stored with the table). The table is contentless: the code
-- writes every document back from `search_documents` right after this script, in the same
-- transaction, and merges the index into one segment (crates/store/src/sqlite/migrate.rs).
DROP TABLE clients_fts;
CREATE VIRTUAL TABLE clients_fts USING fts5(
    doc,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0',
    prefix = '6 7 8',
    detail = none
);
INSERT INTO clients_fts (clients_fts, rank) VALUES ('automerge', 8);

-- Twin of migrations/sqlite/0030_audit_import_id.sql: the bulk import an audit record belongs
-- to, NULL for every other change (and every record written before). Adding a nullable column
-- without a default rewrites nothing.
ALTER TABLE audit_records ADD COLUMN import_id TEXT COLLATE "C";

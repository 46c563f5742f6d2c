-- The bulk import an audit record belongs to (API.md "Audit": one record per imported client,
-- actor = the credential, with the import named). NULL for every change that is not part of an
-- import, and for every record written before this migration.
ALTER TABLE audit_records ADD COLUMN import_id TEXT;

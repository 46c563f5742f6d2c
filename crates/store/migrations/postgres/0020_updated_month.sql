-- A page in creation order of a two-sided `updated_at` range (`updated_from=2024-03-15&
-- updated_to=2024-09-15`, with or without status / country / kind): per calendar month of the
-- range, the month's clients in creation order (`rid`) with `updated_at` and those fields at
-- hand, so the page is the first rows of the merged per-month lists (at most a page's worth of
-- entries per month, index-only) instead of a sort of every match's rid (80,582 entries at 1M
-- clients) or a walk of creation order through every newer client (368,188 rows, 0.5-0.7 s).
-- crates/store/src/statements/list.rs (`range_months`); docs/indexes.md. The month is the first
-- seven characters of the fixed-width RFC 3339 text.
CREATE INDEX clients_tenant_updated_month
    ON clients(tenant_id, archived, (substr(updated_at, 1, 7)), rid)
    INCLUDE (updated_at, status, address_country, kind);

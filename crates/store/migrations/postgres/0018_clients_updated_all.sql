-- Lists that include archived clients (seed 003's `/clients`, `/v1` with `archived=all`) ordered
-- or bounded by `updated_at`: the other `updated_at` index leads with `archived`, so these
-- would read and sort every client of the tenant.
CREATE INDEX clients_tenant_updated_all ON clients(tenant_id, updated_at, id);

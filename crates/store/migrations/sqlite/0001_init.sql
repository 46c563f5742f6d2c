-- Tenants, API keys and clients. Timestamps are fixed-width RFC 3339 text (sorts in time order);
-- ids are UUID text; money is exact decimal text plus an exact integer in units of 10^-4 (the
-- `_e4` column) so that comparisons and sorting are numeric without binary floating point.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    client_seq  INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT,
    prefix      TEXT NOT NULL,
    hash        BLOB NOT NULL UNIQUE,
    permissions TEXT NOT NULL,
    rate_limit  TEXT,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX api_keys_tenant ON api_keys(tenant_id, created_at);

CREATE TABLE clients (
    id                            TEXT PRIMARY KEY,
    tenant_id                     TEXT NOT NULL REFERENCES tenants(id),
    number                        INTEGER NOT NULL,
    associated_accounts           INTEGER NOT NULL DEFAULT 0,
    version                       INTEGER NOT NULL,
    created_at                    TEXT NOT NULL,
    updated_at                    TEXT NOT NULL,
    kind                          TEXT NOT NULL,
    name                          TEXT NOT NULL,
    legal_name                    TEXT,
    first_name                    TEXT,
    last_name                     TEXT,
    org_number                    TEXT,
    tax_id                        TEXT,
    external_id                   TEXT,
    account_code                  TEXT,
    status                        TEXT NOT NULL,
    archived                      INTEGER NOT NULL,
    silenced                      INTEGER NOT NULL,
    invoice_reminders             INTEGER NOT NULL,
    show_location_on_invoice      INTEGER NOT NULL,
    partner_type                  TEXT,
    email                         TEXT,
    billing_email                 TEXT,
    phone                         TEXT,
    mobile                        TEXT,
    home_phone                    TEXT,
    fax                           TEXT,
    website                       TEXT,
    image_url                     TEXT,
    notes                         TEXT,
    has_address                   INTEGER NOT NULL,
    address_street                TEXT,
    address_street_number         TEXT,
    address_apartment             TEXT,
    address_corner                TEXT,
    address_line2                 TEXT,
    address_line3                 TEXT,
    address_city                  TEXT,
    address_region                TEXT,
    address_postal_code           TEXT,
    address_country               TEXT,
    address_latitude              REAL,
    address_longitude             REAL,
    credit_limit                  TEXT,
    credit_limit_e4               INTEGER,
    credit_used                   TEXT,
    credit_used_e4                INTEGER,
    credit_currency               TEXT,
    credit_payment_terms_days     INTEGER,
    credit_rating                 TEXT,
    credit_creditworthiness       TEXT,
    credit_fico                   INTEGER,
    credit_total_income           TEXT,
    credit_total_income_e4        INTEGER,
    credit_total_debt_payments    TEXT,
    credit_total_debt_payments_e4 INTEGER,
    credit_first_time_buyer       INTEGER,
    credit_frame_contract         INTEGER,
    credit_self_insurance         INTEGER,
    credit_pricing                TEXT,
    credit_custom_price_id        TEXT,
    owner_id                      TEXT,
    salesperson_id                TEXT,
    case_manager_id               TEXT,
    referred_by_id                TEXT,
    source                        TEXT,
    structure_id                  TEXT,
    metadata                      TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX clients_tenant_number ON clients(tenant_id, number);
CREATE UNIQUE INDEX clients_tenant_external_id ON clients(tenant_id, external_id)
    WHERE external_id IS NOT NULL;
-- The default list order: newest first, ties by id.
CREATE INDEX clients_tenant_created ON clients(tenant_id, archived, created_at, id);

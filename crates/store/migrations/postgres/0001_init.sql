-- PostgreSQL twin of migrations/sqlite/0001_init.sql: the same tables and columns, so the shared
-- sea-query statements and column mapping (columns.rs) serve both. Text is COLLATE "C" so that
-- comparisons and ORDER BY are bytewise, exactly as SQLite's BINARY collation.
-- Integers are BIGINT, as SQLite's are 64-bit, so that every filter value that runs on one runs on
-- the other.
-- Tenants, API keys and clients. Timestamps are fixed-width RFC 3339 text (sorts in time order);
-- ids are UUID text; money is exact decimal text plus an exact integer in units of 10^-4 (the
-- `_e4` column) so that comparisons and sorting are numeric without binary floating point.

CREATE TABLE tenants (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT COLLATE "C" NOT NULL UNIQUE,
    client_seq  BIGINT NOT NULL DEFAULT 0,
    created_at  TEXT COLLATE "C" NOT NULL
);

CREATE TABLE api_keys (
    id          TEXT COLLATE "C" PRIMARY KEY,
    tenant_id   TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
    name        TEXT COLLATE "C",
    prefix      TEXT COLLATE "C" NOT NULL,
    hash        BYTEA NOT NULL UNIQUE,
    permissions TEXT COLLATE "C" NOT NULL,
    rate_limit  TEXT COLLATE "C",
    created_at  TEXT COLLATE "C" NOT NULL,
    revoked_at  TEXT COLLATE "C"
);
CREATE INDEX api_keys_tenant ON api_keys(tenant_id, created_at);

CREATE TABLE clients (
    id                            TEXT COLLATE "C" PRIMARY KEY,
    tenant_id                     TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
    number                        BIGINT NOT NULL,
    associated_accounts           BIGINT NOT NULL DEFAULT 0,
    version                       BIGINT NOT NULL,
    created_at                    TEXT COLLATE "C" NOT NULL,
    updated_at                    TEXT COLLATE "C" NOT NULL,
    kind                          TEXT COLLATE "C" NOT NULL,
    name                          TEXT COLLATE "C" NOT NULL,
    legal_name                    TEXT COLLATE "C",
    first_name                    TEXT COLLATE "C",
    last_name                     TEXT COLLATE "C",
    org_number                    TEXT COLLATE "C",
    tax_id                        TEXT COLLATE "C",
    external_id                   TEXT COLLATE "C",
    account_code                  TEXT COLLATE "C",
    status                        TEXT COLLATE "C" NOT NULL,
    archived                      BOOLEAN NOT NULL,
    silenced                      BOOLEAN NOT NULL,
    invoice_reminders             BOOLEAN NOT NULL,
    show_location_on_invoice      BOOLEAN NOT NULL,
    partner_type                  TEXT COLLATE "C",
    email                         TEXT COLLATE "C",
    billing_email                 TEXT COLLATE "C",
    phone                         TEXT COLLATE "C",
    mobile                        TEXT COLLATE "C",
    home_phone                    TEXT COLLATE "C",
    fax                           TEXT COLLATE "C",
    website                       TEXT COLLATE "C",
    image_url                     TEXT COLLATE "C",
    notes                         TEXT COLLATE "C",
    has_address                   BOOLEAN NOT NULL,
    address_street                TEXT COLLATE "C",
    address_street_number         TEXT COLLATE "C",
    address_apartment             TEXT COLLATE "C",
    address_corner                TEXT COLLATE "C",
    address_line2                 TEXT COLLATE "C",
    address_line3                 TEXT COLLATE "C",
    address_city                  TEXT COLLATE "C",
    address_region                TEXT COLLATE "C",
    address_postal_code           TEXT COLLATE "C",
    address_country               TEXT COLLATE "C",
    address_latitude              DOUBLE PRECISION,
    address_longitude             DOUBLE PRECISION,
    credit_limit                  TEXT COLLATE "C",
    credit_limit_e4               BIGINT,
    credit_used                   TEXT COLLATE "C",
    credit_used_e4                BIGINT,
    credit_currency               TEXT COLLATE "C",
    credit_payment_terms_days     BIGINT,
    credit_rating                 TEXT COLLATE "C",
    credit_creditworthiness       TEXT COLLATE "C",
    credit_fico                   BIGINT,
    credit_total_income           TEXT COLLATE "C",
    credit_total_income_e4        BIGINT,
    credit_total_debt_payments    TEXT COLLATE "C",
    credit_total_debt_payments_e4 BIGINT,
    credit_first_time_buyer       BOOLEAN,
    credit_frame_contract         BOOLEAN,
    credit_self_insurance         BOOLEAN,
    credit_pricing                TEXT COLLATE "C",
    credit_custom_price_id        TEXT COLLATE "C",
    owner_id                      TEXT COLLATE "C",
    salesperson_id                TEXT COLLATE "C",
    case_manager_id               TEXT COLLATE "C",
    referred_by_id                TEXT COLLATE "C",
    source                        TEXT COLLATE "C",
    structure_id                  TEXT COLLATE "C",
    metadata                      TEXT COLLATE "C" NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX clients_tenant_number ON clients(tenant_id, number);
CREATE UNIQUE INDEX clients_tenant_external_id ON clients(tenant_id, external_id)
    WHERE external_id IS NOT NULL;
-- The default list order: newest first, ties by id.
CREATE INDEX clients_tenant_created ON clients(tenant_id, archived, created_at, id);

-- PostgreSQL twin of migrations/sqlite/0004_subresources.sql.
-- Contact persons, locations and accounts. The one-main / one-primary rule is enforced by the
-- service inside the write transaction and, as a last line of defence, by partial unique indexes.

CREATE TABLE contact_persons (
    id          TEXT COLLATE "C" PRIMARY KEY,
    tenant_id   TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
    client_id   TEXT COLLATE "C" NOT NULL REFERENCES clients(id),
    version     BIGINT NOT NULL,
    created_at  TEXT COLLATE "C" NOT NULL,
    updated_at  TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    job_title   TEXT COLLATE "C",
    department  TEXT COLLATE "C",
    email       TEXT COLLATE "C",
    phone       TEXT COLLATE "C",
    mobile      TEXT COLLATE "C",
    is_main     BOOLEAN NOT NULL,
    external_id TEXT COLLATE "C"
);
CREATE INDEX contact_persons_client ON contact_persons(tenant_id, client_id, created_at, id);
CREATE UNIQUE INDEX contact_persons_external_id ON contact_persons(client_id, external_id)
    WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX contact_persons_one_main ON contact_persons(client_id) WHERE is_main;

CREATE TABLE locations (
    id                    TEXT COLLATE "C" PRIMARY KEY,
    tenant_id             TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
    client_id             TEXT COLLATE "C" NOT NULL REFERENCES clients(id),
    version               BIGINT NOT NULL,
    created_at            TEXT COLLATE "C" NOT NULL,
    updated_at            TEXT COLLATE "C" NOT NULL,
    name                  TEXT COLLATE "C" NOT NULL,
    is_primary            BOOLEAN NOT NULL,
    billing_email         TEXT COLLATE "C",
    phone_primary         TEXT COLLATE "C",
    phone_secondary       TEXT COLLATE "C",
    fax                   TEXT COLLATE "C",
    has_address           BOOLEAN NOT NULL,
    address_street        TEXT COLLATE "C",
    address_street_number TEXT COLLATE "C",
    address_apartment     TEXT COLLATE "C",
    address_corner        TEXT COLLATE "C",
    address_line2         TEXT COLLATE "C",
    address_line3         TEXT COLLATE "C",
    address_city          TEXT COLLATE "C",
    address_region        TEXT COLLATE "C",
    address_postal_code   TEXT COLLATE "C",
    address_country       TEXT COLLATE "C",
    address_latitude      DOUBLE PRECISION,
    address_longitude     DOUBLE PRECISION,
    notes                 TEXT COLLATE "C"
);
CREATE INDEX locations_client ON locations(tenant_id, client_id, created_at, id);
CREATE UNIQUE INDEX locations_one_primary ON locations(client_id) WHERE is_primary;

CREATE TABLE accounts (
    id            TEXT COLLATE "C" PRIMARY KEY,
    tenant_id     TEXT COLLATE "C" NOT NULL REFERENCES tenants(id),
    client_id     TEXT COLLATE "C" NOT NULL REFERENCES clients(id),
    version       BIGINT NOT NULL,
    created_at    TEXT COLLATE "C" NOT NULL,
    updated_at    TEXT COLLATE "C" NOT NULL,
    name          TEXT COLLATE "C" NOT NULL,
    external_code TEXT COLLATE "C",
    status        TEXT COLLATE "C" NOT NULL
);
CREATE INDEX accounts_client ON accounts(tenant_id, client_id, created_at, id);

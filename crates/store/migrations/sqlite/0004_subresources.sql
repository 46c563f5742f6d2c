-- Contact persons, locations and accounts. The one-main / one-primary rule is enforced by the
-- service inside the write transaction and, as a last line of defence, by partial unique indexes.

CREATE TABLE contact_persons (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    client_id   TEXT NOT NULL REFERENCES clients(id),
    version     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    name        TEXT NOT NULL,
    job_title   TEXT,
    department  TEXT,
    email       TEXT,
    phone       TEXT,
    mobile      TEXT,
    is_main     INTEGER NOT NULL,
    external_id TEXT
);
CREATE INDEX contact_persons_client ON contact_persons(tenant_id, client_id, created_at, id);
CREATE UNIQUE INDEX contact_persons_external_id ON contact_persons(client_id, external_id)
    WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX contact_persons_one_main ON contact_persons(client_id) WHERE is_main = 1;

CREATE TABLE locations (
    id                    TEXT PRIMARY KEY,
    tenant_id             TEXT NOT NULL REFERENCES tenants(id),
    client_id             TEXT NOT NULL REFERENCES clients(id),
    version               INTEGER NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    name                  TEXT NOT NULL,
    is_primary            INTEGER NOT NULL,
    billing_email         TEXT,
    phone_primary         TEXT,
    phone_secondary       TEXT,
    fax                   TEXT,
    has_address           INTEGER NOT NULL,
    address_street        TEXT,
    address_street_number TEXT,
    address_apartment     TEXT,
    address_corner        TEXT,
    address_line2         TEXT,
    address_line3         TEXT,
    address_city          TEXT,
    address_region        TEXT,
    address_postal_code   TEXT,
    address_country       TEXT,
    address_latitude      REAL,
    address_longitude     REAL,
    notes                 TEXT
);
CREATE INDEX locations_client ON locations(tenant_id, client_id, created_at, id);
CREATE UNIQUE INDEX locations_one_primary ON locations(client_id) WHERE is_primary = 1;

CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    client_id     TEXT NOT NULL REFERENCES clients(id),
    version       INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    name          TEXT NOT NULL,
    external_code TEXT,
    status        TEXT NOT NULL
);
CREATE INDEX accounts_client ON accounts(tenant_id, client_id, created_at, id);

-- Contact persons are searchable through their client: a change to one changes search results,
-- so it moves the tenant's generation like a client write does (list totals are cached by it).
CREATE TRIGGER contact_persons_generation_insert AFTER INSERT ON contact_persons BEGIN
    INSERT INTO tenant_generations (tenant_id, gen) VALUES (new.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER contact_persons_generation_update AFTER UPDATE ON contact_persons BEGIN
    INSERT INTO tenant_generations (tenant_id, gen) VALUES (new.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET gen = gen + 1;
END;
CREATE TRIGGER contact_persons_generation_delete AFTER DELETE ON contact_persons BEGIN
    INSERT INTO tenant_generations (tenant_id, gen) VALUES (old.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET gen = gen + 1;
END;

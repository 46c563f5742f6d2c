-- One tenant's writes commit in parallel (crates/store/src/postgres/mod.rs): nothing every write
-- of a tenant changes may be one row, since a changed row stays locked until its transaction
-- commits and every other write of the tenant would queue behind that commit.

-- Client numbers: a sequence per tenant (`nextval` waits for nobody), created with the tenant;
-- here for the tenants that exist, continuing their counter.
DO $$
DECLARE
    t RECORD;
BEGIN
    FOR t IN SELECT id, client_seq FROM tenants LOOP
        EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I START WITH %s',
                       'clientele_number_' || replace(t.id, '-', ''), t.client_seq + 1);
    END LOOP;
END
$$;

-- Counts: a writer adds its change to one of 16 slots of its group, chosen by its connection's
-- backend process, so concurrent writers of one tenant change different rows; readers sum the
-- slots (they sum groups already, statements/list.rs). A slot may go negative.
ALTER TABLE client_counts ADD COLUMN slot SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE client_counts DROP CONSTRAINT client_counts_pkey;
ALTER TABLE client_counts ADD PRIMARY KEY (tenant_id, archived, slot);
ALTER TABLE client_facets ADD COLUMN slot SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE client_facets DROP CONSTRAINT client_facets_pkey;
ALTER TABLE client_facets ADD PRIMARY KEY (tenant_id, archived, status, address_country, kind,
    credit_currency, partner_type, credit_creditworthiness, slot);

-- The generation of a tenant's clients: how many statements have changed them, summed over
-- slots like the counts. Every committed change adds at least one, and what a snapshot sees of
-- a tenant's changes includes all an earlier snapshot saw, so two reads that find the same
-- generation see the same clients: a list total counted at one generation is exact for any read
-- that finds it (crates/store/src/postgres/counts.rs).
CREATE TABLE tenant_generations (
    tenant_id TEXT COLLATE "C" NOT NULL,
    slot      SMALLINT NOT NULL,
    gen       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, slot)
);
INSERT INTO tenant_generations SELECT id, 0, 1 FROM tenants;

CREATE FUNCTION clientele_slot() RETURNS SMALLINT LANGUAGE sql STABLE AS
$$ SELECT (pg_backend_pid() % 16)::smallint $$;

CREATE OR REPLACE FUNCTION clients_count_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO client_counts AS c (tenant_id, archived, slot, n)
        SELECT tenant_id, archived, clientele_slot(), -count(*) FROM old_rows GROUP BY 1, 2
        ON CONFLICT (tenant_id, archived, slot) DO UPDATE SET n = c.n + excluded.n;
        INSERT INTO client_facets AS f (tenant_id, archived, status, address_country, kind,
            credit_currency, partner_type, credit_creditworthiness, slot, n)
        SELECT tenant_id, archived, status, coalesce(address_country, ''), kind,
               coalesce(credit_currency, ''), coalesce(partner_type, ''),
               coalesce(credit_creditworthiness, ''), clientele_slot(), -count(*)
        FROM old_rows GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        ON CONFLICT (tenant_id, archived, status, address_country, kind, credit_currency,
                     partner_type, credit_creditworthiness, slot)
        DO UPDATE SET n = f.n + excluded.n;
        INSERT INTO tenant_generations AS g (tenant_id, slot, gen)
        SELECT DISTINCT tenant_id, clientele_slot(), 1 FROM old_rows
        ON CONFLICT (tenant_id, slot) DO UPDATE SET gen = g.gen + 1;
    ELSE
        INSERT INTO client_counts AS c (tenant_id, archived, slot, n)
        SELECT tenant_id, archived, clientele_slot(), count(*) FROM new_rows GROUP BY 1, 2
        ON CONFLICT (tenant_id, archived, slot) DO UPDATE SET n = c.n + excluded.n;
        INSERT INTO client_facets AS f (tenant_id, archived, status, address_country, kind,
            credit_currency, partner_type, credit_creditworthiness, slot, n)
        SELECT tenant_id, archived, status, coalesce(address_country, ''), kind,
               coalesce(credit_currency, ''), coalesce(partner_type, ''),
               coalesce(credit_creditworthiness, ''), clientele_slot(), count(*)
        FROM new_rows GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        ON CONFLICT (tenant_id, archived, status, address_country, kind, credit_currency,
                     partner_type, credit_creditworthiness, slot)
        DO UPDATE SET n = f.n + excluded.n;
        INSERT INTO tenant_generations AS g (tenant_id, slot, gen)
        SELECT DISTINCT tenant_id, clientele_slot(), 1 FROM new_rows
        ON CONFLICT (tenant_id, slot) DO UPDATE SET gen = g.gen + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION clients_count_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO client_counts AS c (tenant_id, archived, slot, n)
    VALUES (OLD.tenant_id, OLD.archived, clientele_slot(), -1)
    ON CONFLICT (tenant_id, archived, slot) DO UPDATE SET n = c.n - 1;
    INSERT INTO client_facets AS f (tenant_id, archived, status, address_country, kind,
        credit_currency, partner_type, credit_creditworthiness, slot, n)
    VALUES (OLD.tenant_id, OLD.archived, OLD.status, coalesce(OLD.address_country, ''), OLD.kind,
        coalesce(OLD.credit_currency, ''), coalesce(OLD.partner_type, ''),
        coalesce(OLD.credit_creditworthiness, ''), clientele_slot(), -1)
    ON CONFLICT (tenant_id, archived, status, address_country, kind, credit_currency,
                 partner_type, credit_creditworthiness, slot)
    DO UPDATE SET n = f.n - 1;
    INSERT INTO client_counts AS c (tenant_id, archived, slot, n)
    VALUES (NEW.tenant_id, NEW.archived, clientele_slot(), 1)
    ON CONFLICT (tenant_id, archived, slot) DO UPDATE SET n = c.n + 1;
    INSERT INTO client_facets AS f (tenant_id, archived, status, address_country, kind,
        credit_currency, partner_type, credit_creditworthiness, slot, n)
    VALUES (NEW.tenant_id, NEW.archived, NEW.status, coalesce(NEW.address_country, ''), NEW.kind,
        coalesce(NEW.credit_currency, ''), coalesce(NEW.partner_type, ''),
        coalesce(NEW.credit_creditworthiness, ''), clientele_slot(), 1)
    ON CONFLICT (tenant_id, archived, status, address_country, kind, credit_currency,
                 partner_type, credit_creditworthiness, slot)
    DO UPDATE SET n = f.n + 1;
    RETURN NULL;
END
$$;

-- Any update of a client (its search words included) moves the generation.
CREATE FUNCTION clients_generation_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tenant_generations AS g (tenant_id, slot, gen)
    SELECT DISTINCT tenant_id, clientele_slot(), 1 FROM new_rows
    ON CONFLICT (tenant_id, slot) DO UPDATE SET gen = g.gen + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER clients_generation_update AFTER UPDATE ON clients
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION clients_generation_update();

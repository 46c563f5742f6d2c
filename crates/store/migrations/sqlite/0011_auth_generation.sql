-- The credentials' generation: bumped in the same transaction as any change to an API key or to
-- what a key's tenant resolves to (name, default currency), or a deletion of either. Servers
-- keep the keys they have resolved in memory and reuse one only while this number is the one
-- they read it under, so a revoked or changed key fails at once, whichever process changed it.

CREATE TABLE auth_generation (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    gen INTEGER NOT NULL
);
INSERT INTO auth_generation (id, gen) VALUES (1, 0);

CREATE TRIGGER api_keys_auth_gen_update AFTER UPDATE ON api_keys
BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER api_keys_auth_gen_delete AFTER DELETE ON api_keys
BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER tenants_auth_gen_update AFTER UPDATE OF id, name, default_currency, created_at ON tenants
BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;
CREATE TRIGGER tenants_auth_gen_delete AFTER DELETE ON tenants
BEGIN UPDATE auth_generation SET gen = gen + 1 WHERE id = 1; END;

-- The credentials' generation: bumped in the same transaction as any change to an API key or to
-- what a key's tenant resolves to (name, default currency), or a deletion of either. Servers
-- keep the keys they have resolved in memory and reuse one only while this number is the one
-- they read it under, so a revoked or changed key fails at once on every instance.

CREATE TABLE auth_generation (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    gen BIGINT NOT NULL
);
INSERT INTO auth_generation (id, gen) VALUES (1, 0);

CREATE FUNCTION bump_auth_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE auth_generation SET gen = gen + 1 WHERE id = 1;
    RETURN NULL;
END $$;

CREATE TRIGGER api_keys_auth_gen AFTER UPDATE OR DELETE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
CREATE TRIGGER tenants_auth_gen_update AFTER UPDATE OF id, name, default_currency, created_at ON tenants
    FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
CREATE TRIGGER tenants_auth_gen_delete AFTER DELETE ON tenants
    FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();

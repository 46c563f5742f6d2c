-- The search tags of migration 15 (`=s<status>`, `=c<country>`, `=k<kind>`, `=a0`/`=a1` in
-- `client_search.words`) without reading the client row for every search row written.
--
-- Migration 15 had a row trigger on `client_search` look the client up on every insert and
-- update: one more index probe and row read per new client, which slowed bulk loads (COPY) and
-- one tenant's creates. Now:
--   * a new client's row is written with its tags by the service, computed from the client's
--     data in the same transaction (crates/store/src/postgres/conn.rs, `index_new`);
--   * a rewrite of a client's words keeps the tags the row holds (`clientele_search_tags_of`):
--     the words change, the tags are the trigger's below;
--   * a change to a tagged field of a client rewrites the tags of its row from the new client
--     row itself (`NEW`), with no lookup.

DROP TRIGGER client_search_tag ON client_search;
DROP FUNCTION client_search_tag();

-- The tag lexemes of a row's words (no search word starts with `=`).
CREATE FUNCTION clientele_search_tags_of(words tsvector)
RETURNS tsvector LANGUAGE sql IMMUTABLE AS $$
    SELECT ts_delete(words, ARRAY(
        SELECT l FROM unnest(tsvector_to_array(words)) AS l WHERE l NOT LIKE '=%'))
$$;

-- The words of a row without its tags.
CREATE FUNCTION clientele_search_untagged(words tsvector)
RETURNS tsvector LANGUAGE sql IMMUTABLE AS $$
    SELECT ts_delete(words, ARRAY(
        SELECT l FROM unnest(tsvector_to_array(words)) AS l WHERE l LIKE '=%'))
$$;

CREATE OR REPLACE FUNCTION clients_search_retag() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE client_search
    SET words = clientele_search_untagged(words)
                || clientele_search_tags(NEW.status, NEW.address_country, NEW.kind, NEW.archived)
    WHERE tenant_id = NEW.tenant_id AND client_id = NEW.id;
    RETURN NULL;
END
$$;

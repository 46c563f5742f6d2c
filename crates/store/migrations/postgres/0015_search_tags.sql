-- The total of a search combined with status / country / kind (and the archived state) from the
-- GIN index alone, as SQLite's full-text index answers it with tags (docs/indexes.md, "Totals"):
-- each client's `client_search.words` also holds one tag lexeme per such field, `=s<status>`,
-- `=c<country>` ('' when none), `=k<kind>`, and `=a0` / `=a1` (archived). No search word can be
-- a tag: words are letters and digits (clientele_core::search), a tag starts with `=`. The count
-- of `search=andersson&status=inactive` is then `words @@ 'andersson':* & '=sinactive' & '=a0'`
-- over `client_search`, instead of fetching every client that has the word to test its status
-- (crates/store/src/postgres/search.rs, `search_count`).
--
-- The tags are kept by triggers, whoever writes the words: a row's words get their client's tags
-- on every insert and update of `client_search` (the client row is written first), and a change
-- to a tagged field of a client rewrites its tags.

CREATE FUNCTION clientele_search_tags(status TEXT, country TEXT, kind TEXT, archived BOOLEAN)
RETURNS tsvector LANGUAGE sql IMMUTABLE AS $$
    SELECT array_to_tsvector(ARRAY['=s' || status, '=c' || coalesce(country, ''), '=k' || kind,
                                   CASE WHEN archived THEN '=a1' ELSE '=a0' END])
$$;

CREATE FUNCTION client_search_tag() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    c RECORD;
    found_client BOOLEAN;
BEGIN
    SELECT status, address_country, kind, archived INTO c
    FROM clients WHERE id = NEW.client_id AND tenant_id = NEW.tenant_id;
    found_client := FOUND;
    NEW.words := ts_delete(NEW.words, ARRAY(
        SELECT l FROM unnest(tsvector_to_array(NEW.words)) AS l WHERE l LIKE '=%'));
    IF found_client THEN
        NEW.words := NEW.words || clientele_search_tags(c.status, c.address_country, c.kind,
                                                        c.archived);
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION clients_search_retag() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The words stay; the BEFORE trigger above replaces the tags.
    UPDATE client_search SET words = words
    WHERE tenant_id = NEW.tenant_id AND client_id = NEW.id;
    RETURN NULL;
END
$$;

-- The tags of the clients there are, with the index rebuilt once rather than updated per row.
DROP INDEX client_search_words;
UPDATE client_search AS s
SET words = s.words || clientele_search_tags(c.status, c.address_country, c.kind, c.archived)
FROM clients AS c
WHERE c.id = s.client_id AND c.tenant_id = s.tenant_id;
SET LOCAL maintenance_work_mem = '256MB';
CREATE INDEX client_search_words ON client_search USING gin (words);

CREATE TRIGGER client_search_tag BEFORE INSERT OR UPDATE ON client_search
    FOR EACH ROW EXECUTE FUNCTION client_search_tag();
CREATE TRIGGER clients_search_retag AFTER UPDATE ON clients
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.address_country IS DISTINCT FROM NEW.address_country
          OR OLD.kind IS DISTINCT FROM NEW.kind
          OR OLD.archived IS DISTINCT FROM NEW.archived)
    EXECUTE FUNCTION clients_search_retag();

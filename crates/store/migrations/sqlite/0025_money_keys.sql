-- Money up to 999 999 999 999 999.9999 (15 integer digits, 4 fraction digits), compared and
-- sorted exactly. The integer twin of each amount (`credit_limit_e4`, `credit_used_e4`,
-- `credit_total_income_e4`, `credit_total_debt_payments_e4`) held the amount in units of 10⁻⁴,
-- which an INTEGER holds only up to 922 337 203 685 477.5807; it now holds the amount's key,
-- units of 10⁻⁴ less 5 × 10¹⁸ (`clientele_core::types::money_key`): −5 × 10¹⁸ for 0 up to
-- 5 × 10¹⁸ − 1 for the largest amount, in the same order. Every old value (0 to 9 × 10¹⁸) minus
-- the offset stays an INTEGER (no overflow into REAL).
--
-- The range counters of 0023 count credit limits by two significant digits of the amount in
-- units of 10⁻⁴ (`RangeField::bucket`), now computed from the key k:
--   k < −5 × 10¹⁸ → -1; else with v = k + 5 × 10¹⁸ (< 5 × 10¹⁸ while k < 0):
--   v < 10 → 100 + v; k < 0 → (number of digits of v) * 100 + (first two digits of v);
--   k ≥ 0 → v has 19 digits, the first two are 50 + k / 10¹⁷: 1950 + k / 10¹⁷.
-- Its triggers are written again with that bucket, and the counts of credit limits rebuilt.

DROP TRIGGER clients_ranges_insert;
DROP TRIGGER clients_ranges_delete;
DROP TRIGGER clients_ranges_update_credit;

UPDATE clients SET
    credit_limit_e4 = credit_limit_e4 - 5000000000000000000,
    credit_used_e4 = credit_used_e4 - 5000000000000000000,
    credit_total_income_e4 = credit_total_income_e4 - 5000000000000000000,
    credit_total_debt_payments_e4 = credit_total_debt_payments_e4 - 5000000000000000000
WHERE credit_limit_e4 IS NOT NULL OR credit_used_e4 IS NOT NULL
   OR credit_total_income_e4 IS NOT NULL OR credit_total_debt_payments_e4 IS NOT NULL;

DELETE FROM client_ranges WHERE field = 'credit_limit_e4';
INSERT INTO client_ranges
    SELECT tenant_id, archived, 'credit_limit_e4',
        CASE WHEN credit_limit_e4 < -5000000000000000000 THEN -1
             WHEN credit_limit_e4 < -4999999999999999990 THEN 100 + (credit_limit_e4 + 5000000000000000000)
             WHEN credit_limit_e4 < 0 THEN length(credit_limit_e4 + 5000000000000000000) * 100
                 + CAST(substr(credit_limit_e4 + 5000000000000000000, 1, 2) AS INTEGER)
             ELSE 1950 + credit_limit_e4 / 100000000000000000
        END,
        status, coalesce(address_country, ''), kind, count(*)
    FROM clients WHERE credit_limit_e4 IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7;

CREATE TRIGGER clients_ranges_insert AFTER INSERT ON clients BEGIN
    INSERT INTO client_ranges VALUES (new.tenant_id, new.archived, 'updated_at',
        CAST(substr(new.updated_at, 1, 4) AS INTEGER) * 100
            + CAST(substr(new.updated_at, 6, 2) AS INTEGER),
        new.status, coalesce(new.address_country, ''), new.kind, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO client_ranges SELECT new.tenant_id, new.archived, 'credit_limit_e4',
        CASE WHEN new.credit_limit_e4 < -5000000000000000000 THEN -1
             WHEN new.credit_limit_e4 < -4999999999999999990 THEN 100 + (new.credit_limit_e4 + 5000000000000000000)
             WHEN new.credit_limit_e4 < 0 THEN length(new.credit_limit_e4 + 5000000000000000000) * 100
                 + CAST(substr(new.credit_limit_e4 + 5000000000000000000, 1, 2) AS INTEGER)
             ELSE 1950 + new.credit_limit_e4 / 100000000000000000
        END,
        new.status, coalesce(new.address_country, ''), new.kind, 1
        WHERE new.credit_limit_e4 IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER clients_ranges_delete AFTER DELETE ON clients BEGIN
    UPDATE client_ranges SET n = n - 1
    WHERE tenant_id = old.tenant_id AND archived = old.archived AND field = 'updated_at'
      AND bucket = CAST(substr(old.updated_at, 1, 4) AS INTEGER) * 100
                   + CAST(substr(old.updated_at, 6, 2) AS INTEGER)
      AND status = old.status AND address_country = coalesce(old.address_country, '')
      AND kind = old.kind;
    UPDATE client_ranges SET n = n - 1
    WHERE tenant_id = old.tenant_id AND archived = old.archived AND field = 'credit_limit_e4'
      AND bucket = CASE WHEN old.credit_limit_e4 < -5000000000000000000 THEN -1
                 WHEN old.credit_limit_e4 < -4999999999999999990 THEN 100 + (old.credit_limit_e4 + 5000000000000000000)
                 WHEN old.credit_limit_e4 < 0 THEN length(old.credit_limit_e4 + 5000000000000000000) * 100
                     + CAST(substr(old.credit_limit_e4 + 5000000000000000000, 1, 2) AS INTEGER)
                 ELSE 1950 + old.credit_limit_e4 / 100000000000000000
            END
      AND status = old.status AND address_country = coalesce(old.address_country, '')
      AND kind = old.kind;
END;

CREATE TRIGGER clients_ranges_update_credit AFTER UPDATE OF tenant_id, archived, status,
    address_country, kind, credit_limit_e4 ON clients
    WHEN old.tenant_id IS NOT new.tenant_id OR old.archived IS NOT new.archived
      OR old.status IS NOT new.status OR old.address_country IS NOT new.address_country
      OR old.kind IS NOT new.kind OR old.credit_limit_e4 IS NOT new.credit_limit_e4
BEGIN
    UPDATE client_ranges SET n = n - 1
    WHERE tenant_id = old.tenant_id AND archived = old.archived AND field = 'credit_limit_e4'
      AND bucket = CASE WHEN old.credit_limit_e4 < -5000000000000000000 THEN -1
                 WHEN old.credit_limit_e4 < -4999999999999999990 THEN 100 + (old.credit_limit_e4 + 5000000000000000000)
                 WHEN old.credit_limit_e4 < 0 THEN length(old.credit_limit_e4 + 5000000000000000000) * 100
                     + CAST(substr(old.credit_limit_e4 + 5000000000000000000, 1, 2) AS INTEGER)
                 ELSE 1950 + old.credit_limit_e4 / 100000000000000000
            END
      AND status = old.status AND address_country = coalesce(old.address_country, '')
      AND kind = old.kind;
    INSERT INTO client_ranges SELECT new.tenant_id, new.archived, 'credit_limit_e4',
        CASE WHEN new.credit_limit_e4 < -5000000000000000000 THEN -1
             WHEN new.credit_limit_e4 < -4999999999999999990 THEN 100 + (new.credit_limit_e4 + 5000000000000000000)
             WHEN new.credit_limit_e4 < 0 THEN length(new.credit_limit_e4 + 5000000000000000000) * 100
                 + CAST(substr(new.credit_limit_e4 + 5000000000000000000, 1, 2) AS INTEGER)
             ELSE 1950 + new.credit_limit_e4 / 100000000000000000
        END,
        new.status, coalesce(new.address_country, ''), new.kind, 1
        WHERE new.credit_limit_e4 IS NOT NULL
        ON CONFLICT DO UPDATE SET n = n + 1;
END;

-- Money up to 999 999 999 999 999.9999 (15 integer digits, 4 fraction digits), compared and
-- sorted exactly. The integer twin of each amount (`credit_limit_e4`, `credit_used_e4`,
-- `credit_total_income_e4`, `credit_total_debt_payments_e4`) held the amount in units of 10⁻⁴,
-- which a BIGINT holds only up to 922 337 203 685 477.5807; it now holds the amount's key,
-- units of 10⁻⁴ less 5 × 10¹⁸ (`clientele_core::types::money_key`): −5 × 10¹⁸ for 0 up to
-- 5 × 10¹⁸ − 1 for the largest amount, in the same order (SQLite: migration 0025 there).
UPDATE clients SET
    credit_limit_e4 = credit_limit_e4 - 5000000000000000000,
    credit_used_e4 = credit_used_e4 - 5000000000000000000,
    credit_total_income_e4 = credit_total_income_e4 - 5000000000000000000,
    credit_total_debt_payments_e4 = credit_total_debt_payments_e4 - 5000000000000000000
WHERE credit_limit_e4 IS NOT NULL OR credit_used_e4 IS NOT NULL
   OR credit_total_income_e4 IS NOT NULL OR credit_total_debt_payments_e4 IS NOT NULL;

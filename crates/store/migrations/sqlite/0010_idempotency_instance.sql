-- The server instance that holds an in-flight idempotency claim: a claim whose instance is gone
-- (on SQLite: any process but the one serving now) is taken over at once by a retry.
-- Claims stored before this column existed have none and are released by age alone.

ALTER TABLE idempotency_keys ADD COLUMN instance TEXT;

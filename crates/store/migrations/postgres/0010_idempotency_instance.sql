-- The server instance that holds an in-flight idempotency claim: the key of the session-level
-- advisory lock the instance holds while it runs. A claim whose instance's lock is free is stale
-- and is taken over at once by a retry. Claims stored before this column existed have none and
-- are released by age alone.

ALTER TABLE idempotency_keys ADD COLUMN instance TEXT COLLATE "C";

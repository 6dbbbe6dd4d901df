-- Issue 7, must-fix 5: each idempotent attempt has an id that its events carry in their metadata
-- (`idempotency_attempt`), so a stale attempt whose command committed is never run again.
ALTER TABLE idempotency_keys ADD COLUMN attempt_id uuid;

CREATE INDEX events_idempotency_attempt ON events ((metadata ->> 'idempotency_attempt'))
    WHERE (metadata ->> 'idempotency_attempt') IS NOT NULL;

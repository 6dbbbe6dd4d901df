-- Stored command answers may carry secrets shown once (temporary passwords, interview access
-- tokens): they are now encrypted at rest. Rows written before stay readable as they are.
ALTER TABLE idempotency_keys ADD COLUMN body_sealed boolean NOT NULL DEFAULT false;

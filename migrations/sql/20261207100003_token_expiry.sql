-- Interview access tokens carry their expiry so that a periodic purge can drop the dead ones
-- (rows written before this migration have none: the purge drops them once their interview no
-- longer accepts them, judged by age).
ALTER TABLE interview_tokens ADD COLUMN expires_at timestamptz;
CREATE INDEX interview_tokens_expires ON interview_tokens (expires_at);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);

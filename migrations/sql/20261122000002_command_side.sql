-- Per-person data keys for crypto-shredding. Keys are stored wrapped by the master key.
CREATE TABLE subject_keys
(
    subject_id  uuid PRIMARY KEY,
    wrapped_key bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A subject whose key was destroyed never gets a new one (that would resurrect sealing for them).
CREATE TABLE erased_subjects
(
    subject_id uuid PRIMARY KEY,
    erased_at  timestamptz NOT NULL DEFAULT now()
);

-- Login lookup and e-mail uniqueness: keyed by an HMAC of the normalized e-mail, never the e-mail.
CREATE TABLE login_emails
(
    email_digest bytea PRIMARY KEY,
    user_id      uuid        NOT NULL UNIQUE,
    claimed_at   timestamptz NOT NULL DEFAULT now()
);

-- Refresh tokens (stored as SHA-256 hashes). A family is one login; reuse of a rotated token
-- revokes the whole family.
CREATE TABLE refresh_tokens
(
    token_hash  bytea PRIMARY KEY,
    family_id   uuid        NOT NULL,
    user_id     uuid        NOT NULL,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    rotated_at  timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- Idempotency-Key handling: the first result of a command is kept and replayed for retries.
CREATE TABLE idempotency_keys
(
    scope         text        NOT NULL,
    idem_key      text        NOT NULL,
    request_hash  bytea       NOT NULL,
    status_code   smallint,
    response_body bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

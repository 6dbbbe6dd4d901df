-- Proof of control of an e-mail address (issue 7, must-fix 1). An account is linked to candidate
-- records only through a verified login address; a new address takes effect only once verified.

-- When the account proved control of its current login address (NULL: never).
ALTER TABLE login_emails ADD COLUMN verified_at timestamptz;

-- Verification tokens, stored only as SHA-256 hashes; single use, expiring. The address to
-- verify is sealed under the user's key (an erasure makes pending verifications unusable).
CREATE TABLE email_verifications
(
    token_hash   bytea PRIMARY KEY,
    user_id      uuid        NOT NULL,
    email_digest bytea       NOT NULL,
    sealed_email jsonb       NOT NULL,
    -- true: a change of the login address, applied when verified.
    is_change    boolean     NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);
CREATE INDEX email_verifications_user ON email_verifications (user_id);
CREATE INDEX email_verifications_expires ON email_verifications (expires_at);

-- Mail to send (a mailer drains it; tests read it). Recipient address and body are sealed under
-- the recipient's key, so an erasure makes unsent mail unreadable too.
CREATE TABLE mail_outbox
(
    id           uuid PRIMARY KEY,
    recipient_id uuid        NOT NULL,
    kind         text        NOT NULL,
    sealed_to    jsonb       NOT NULL,
    sealed_body  jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz
);
CREATE INDEX mail_outbox_unsent ON mail_outbox (created_at) WHERE sent_at IS NULL;
CREATE INDEX mail_outbox_recipient ON mail_outbox (recipient_id);

-- Command-side tables of the hiring pipeline (issue 3). Nothing here holds personal data in clear.

-- A candidate is unique per company by e-mail: keyed by an HMAC of the normalized address.
CREATE TABLE candidate_emails
(
    company_id   uuid        NOT NULL,
    email_digest bytea       NOT NULL,
    candidate_id uuid        NOT NULL UNIQUE,
    claimed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, email_digest)
);

-- One-time access tokens of AI interviews, stored only as SHA-256 hashes.
CREATE TABLE interview_tokens
(
    token_hash   bytea PRIMARY KEY,
    interview_id uuid        NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- CSV imports of candidates: the job resource (status, counts, per-row rejections) and, until it
-- is finished, the uploaded file sealed under a key of its own (destroyed when the import ends).
-- The same file sent twice to the same company is the same import (idempotent upload).
CREATE TABLE candidate_imports
(
    import_id      uuid PRIMARY KEY,
    company_id     uuid        NOT NULL,
    file_sha256    bytea       NOT NULL,
    sealed_content text,
    status         text        NOT NULL,
    total_rows     integer     NOT NULL DEFAULT 0,
    processed_rows integer     NOT NULL DEFAULT 0,
    imported       integer     NOT NULL DEFAULT 0,
    rejected       integer     NOT NULL DEFAULT 0,
    -- [{line, column, code, reason}]: never the rejected value itself.
    errors         jsonb       NOT NULL DEFAULT '[]',
    failure        text,
    -- Who imports: the rows' commands run as this actor (serialized domain Actor).
    actor          jsonb       NOT NULL,
    created_by     uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    started_at     timestamptz,
    finished_at    timestamptz,
    -- A worker holds an import until this time and extends it while it works; an expired lease
    -- lets another instance resume (row commands are idempotent).
    lease_until    timestamptz,
    UNIQUE (company_id, file_sha256)
);
CREATE INDEX candidate_imports_pending ON candidate_imports (status, lease_until)
    WHERE status IN ('PENDING', 'RUNNING');
CREATE INDEX candidate_imports_company ON candidate_imports (company_id, created_at);

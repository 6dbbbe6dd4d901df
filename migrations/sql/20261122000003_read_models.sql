-- Kafka offsets of each projector, written in the same transaction as its read-model changes.
CREATE TABLE projection_offsets
(
    projector   text    NOT NULL,
    topic       text    NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint  NOT NULL,
    PRIMARY KEY (projector, topic, partition)
);

CREATE TABLE rm_companies
(
    company_id        uuid PRIMARY KEY,
    name              text        NOT NULL,
    domain            text        NOT NULL,
    status            text        NOT NULL,
    contact_person_id uuid        NOT NULL,
    contact_name      text,
    contact_email     text,
    pass_threshold    smallint    NOT NULL,
    fail_threshold    smallint    NOT NULL,
    status_reason     text,
    requested_at      timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    version           bigint      NOT NULL,
    events_applied    bigint      NOT NULL
);
CREATE INDEX rm_companies_status ON rm_companies (status, requested_at);
CREATE INDEX rm_companies_contact ON rm_companies (contact_person_id);

CREATE TABLE rm_users
(
    user_id        uuid PRIMARY KEY,
    company_id     uuid,
    role           text        NOT NULL,
    status         text        NOT NULL,
    name           text,
    email          text,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    version        bigint      NOT NULL,
    events_applied bigint      NOT NULL
);
CREATE INDEX rm_users_company ON rm_users (company_id, created_at, user_id);
CREATE INDEX rm_users_email ON rm_users (email);

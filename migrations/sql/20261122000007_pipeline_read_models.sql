-- Read models of the hiring pipeline (issue 3), maintained by the `pipeline` projector from the
-- job, candidate, application and interview topics.
--
-- Rows never join across topics at write time (Kafka orders events per aggregate only); lists
-- join at read time. Versions live in `rm_pipeline_versions`, not in the rows, so that rows can be
-- deleted (a deleted candidate disappears from every read model) while redelivered events stay
-- recognisable as duplicates.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Last sequence applied per aggregate (the projector's per-aggregate idempotency).
CREATE TABLE rm_pipeline_versions
(
    aggregate_id uuid PRIMARY KEY,
    version      bigint NOT NULL
);

-- Candidates deleted: later events that mention them (other topics may lag) write nothing.
CREATE TABLE rm_deleted_candidates
(
    candidate_id uuid PRIMARY KEY,
    deleted_at   timestamptz NOT NULL
);

CREATE TABLE rm_jobs
(
    job_id                uuid PRIMARY KEY,
    company_id            uuid        NOT NULL,
    status                text        NOT NULL,
    title                 text        NOT NULL,
    description           text        NOT NULL,
    requirements          text        NOT NULL,
    department            text        NOT NULL,
    location              text        NOT NULL,
    employment_type       text        NOT NULL,
    salary_currency       text,
    salary_min            bigint,
    salary_max            bigint,
    skills                jsonb       NOT NULL,
    pass_threshold        smallint,
    fail_threshold        smallint,
    human_review_required boolean     NOT NULL,
    question_count        integer     NOT NULL DEFAULT 0,
    created_by            uuid,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    opened_at             timestamptz,
    closed_at             timestamptz,
    version               bigint      NOT NULL,
    projected_at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX rm_jobs_company_list ON rm_jobs (company_id, created_at, job_id);
CREATE INDEX rm_jobs_company_status_list ON rm_jobs (company_id, status, created_at, job_id);
CREATE INDEX rm_jobs_title_search ON rm_jobs USING gin (title gin_trgm_ops);

CREATE TABLE rm_job_questions
(
    job_id                 uuid     NOT NULL,
    question_id            uuid     NOT NULL,
    position               integer  NOT NULL,
    text                   text     NOT NULL,
    category               text     NOT NULL,
    difficulty             text     NOT NULL,
    weight                 smallint NOT NULL,
    ideal_answer           text,
    rubric                 jsonb    NOT NULL,
    expected_duration_secs integer  NOT NULL,
    PRIMARY KEY (job_id, question_id)
);
CREATE INDEX rm_job_questions_order ON rm_job_questions (job_id, position);

CREATE TABLE rm_candidates
(
    candidate_id     uuid PRIMARY KEY,
    company_id       uuid        NOT NULL,
    name             text,
    email            text,
    phone            text,
    qualifications   jsonb,
    position         text        NOT NULL,
    domain           text        NOT NULL,
    experience_years smallint    NOT NULL,
    source           text        NOT NULL,
    tags             text[]      NOT NULL,
    assigned_to      uuid,
    user_id          uuid,
    import_id        uuid,
    created_by       uuid,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    version          bigint      NOT NULL,
    projected_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX rm_candidates_company_list ON rm_candidates (company_id, created_at, candidate_id);
CREATE INDEX rm_candidates_assignee_list
    ON rm_candidates (company_id, assigned_to, created_at, candidate_id);
CREATE INDEX rm_candidates_user ON rm_candidates (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX rm_candidates_name_search ON rm_candidates USING gin (lower(name) gin_trgm_ops);
CREATE INDEX rm_candidates_email_search ON rm_candidates USING gin (lower(email) gin_trgm_ops);
CREATE INDEX rm_candidates_tags ON rm_candidates USING gin (tags);

CREATE TABLE rm_applications
(
    application_id    uuid PRIMARY KEY,
    company_id        uuid        NOT NULL,
    job_id            uuid        NOT NULL,
    candidate_id      uuid        NOT NULL,
    candidate_user_id uuid,
    status            text        NOT NULL,
    source            text        NOT NULL,
    status_reason     text,
    applied_at        timestamptz NOT NULL,
    status_changed_at timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    version           bigint      NOT NULL,
    projected_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX rm_applications_company_list
    ON rm_applications (company_id, applied_at, application_id);
CREATE INDEX rm_applications_company_status_list
    ON rm_applications (company_id, status, applied_at, application_id);
CREATE INDEX rm_applications_job_list ON rm_applications (job_id, status, applied_at);
CREATE INDEX rm_applications_candidate ON rm_applications (candidate_id);
CREATE INDEX rm_applications_user ON rm_applications (candidate_user_id)
    WHERE candidate_user_id IS NOT NULL;

-- Every status an application entered, with its business time: stage timings and conversions.
CREATE TABLE rm_application_transitions
(
    application_id uuid        NOT NULL,
    sequence       bigint      NOT NULL,
    company_id     uuid        NOT NULL,
    job_id         uuid        NOT NULL,
    candidate_id   uuid        NOT NULL,
    from_status    text,
    to_status      text        NOT NULL,
    at             timestamptz NOT NULL,
    PRIMARY KEY (application_id, sequence)
);
CREATE INDEX rm_application_transitions_company ON rm_application_transitions (company_id, job_id);
CREATE INDEX rm_application_transitions_candidate ON rm_application_transitions (candidate_id);

CREATE TABLE rm_interviews
(
    interview_id      uuid PRIMARY KEY,
    company_id        uuid        NOT NULL,
    application_id    uuid        NOT NULL,
    job_id            uuid        NOT NULL,
    candidate_id      uuid        NOT NULL,
    candidate_user_id uuid,
    round             smallint    NOT NULL,
    kind              text        NOT NULL,
    mode              text        NOT NULL,
    interviewers      uuid[]      NOT NULL,
    scheduled_at      timestamptz NOT NULL,
    duration_mins     integer     NOT NULL,
    expires_at        timestamptz,
    status            text        NOT NULL,
    status_reason     text,
    started_at        timestamptz,
    completed_at      timestamptz,
    results_released  boolean     NOT NULL DEFAULT false,
    feedback_count    integer     NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    version           bigint      NOT NULL,
    projected_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX rm_interviews_company_time ON rm_interviews (company_id, scheduled_at, interview_id);
CREATE INDEX rm_interviews_company_status ON rm_interviews (company_id, status, scheduled_at);
CREATE INDEX rm_interviews_application ON rm_interviews (application_id);
CREATE INDEX rm_interviews_candidate ON rm_interviews (candidate_id);
CREATE INDEX rm_interviews_interviewers ON rm_interviews USING gin (interviewers);
CREATE INDEX rm_interviews_user ON rm_interviews (candidate_user_id)
    WHERE candidate_user_id IS NOT NULL;

CREATE TABLE rm_interview_feedback
(
    interview_id   uuid        NOT NULL,
    interviewer_id uuid        NOT NULL,
    company_id     uuid        NOT NULL,
    candidate_id   uuid        NOT NULL,
    ratings        jsonb       NOT NULL,
    notes          text,
    recommendation text        NOT NULL,
    submitted_at   timestamptz NOT NULL,
    PRIMARY KEY (interview_id, interviewer_id)
);
CREATE INDEX rm_interview_feedback_candidate ON rm_interview_feedback (candidate_id);

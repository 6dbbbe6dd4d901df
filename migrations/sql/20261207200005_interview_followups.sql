-- Issue 7, "Also": scheduling an interview moves its application to INTERVIEW_SCHEDULED in a
-- second command. The follow-up is recorded by a trigger in the transaction that appends the
-- `InterviewScheduled` event, so it is never lost: the scheduling request, or a worker after a
-- crash or a failure, finishes it.
CREATE TABLE pending_interview_followups
(
    interview_id   uuid PRIMARY KEY,
    application_id uuid        NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION record_interview_followup() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    INSERT INTO pending_interview_followups (interview_id, application_id)
    VALUES (NEW.aggregate_id::uuid, (NEW.payload -> 'InterviewScheduled' ->> 'application_id')::uuid)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_interview_followup
    AFTER INSERT
    ON events
    FOR EACH ROW
    WHEN (NEW.aggregate_type = 'interview' AND NEW.event_type = 'InterviewScheduled')
EXECUTE FUNCTION record_interview_followup();

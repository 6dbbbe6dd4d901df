-- Issue 7, must-fix 3: erasure is a durable job. The intent is recorded by a trigger in the very
-- transaction that appends the deletion/erasure event, so a crash before the key is destroyed
-- leaves a pending row that a worker (or a retry) finishes: destroy the key, free the e-mail,
-- revoke sessions, then delete the row.
CREATE TABLE pending_erasures
(
    subject_id     uuid PRIMARY KEY,
    aggregate_type text        NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION record_erasure_intent() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    INSERT INTO pending_erasures (subject_id, aggregate_type)
    VALUES (NEW.aggregate_id::uuid, NEW.aggregate_type)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_erasure_intent
    AFTER INSERT
    ON events
    FOR EACH ROW
    WHEN ((NEW.aggregate_type = 'candidate' AND NEW.event_type = 'CandidateDeleted')
        OR (NEW.aggregate_type = 'user' AND NEW.event_type = 'UserPersonalDataErased'))
EXECUTE FUNCTION record_erasure_intent();

-- Deletions recorded before this migration whose key survived (a crash in the old window).
INSERT INTO pending_erasures (subject_id, aggregate_type)
SELECT e.aggregate_id::uuid, e.aggregate_type
FROM events e
WHERE ((e.aggregate_type = 'candidate' AND e.event_type = 'CandidateDeleted')
    OR (e.aggregate_type = 'user' AND e.event_type = 'UserPersonalDataErased'))
  AND NOT EXISTS (SELECT 1 FROM erased_subjects s WHERE s.subject_id = e.aggregate_id::uuid)
ON CONFLICT DO NOTHING;

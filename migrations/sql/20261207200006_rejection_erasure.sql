-- Issue 7, must-fix 4: a rejected registration's contact is erased by the same durable job as a
-- deleted candidate or an erased user. The rejection's own transaction records the job for the
-- contact (whose id the registration event names; the same id becomes the HR user's at approval,
-- hence the 'user' kind: key destroyed, address claim freed, sessions revoked).
CREATE FUNCTION record_contact_erasure_intent() RETURNS trigger
    LANGUAGE plpgsql AS
$$
DECLARE
    contact uuid;
BEGIN
    SELECT (payload -> 'CompanyRegistrationRequested' -> 'contact' ->> 'person_id')::uuid
    INTO contact
    FROM events
    WHERE aggregate_type = 'company' AND aggregate_id = NEW.aggregate_id AND sequence = 1;
    IF contact IS NOT NULL THEN
        INSERT INTO pending_erasures (subject_id, aggregate_type)
        VALUES (contact, 'user')
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_contact_erasure_intent
    AFTER INSERT
    ON events
    FOR EACH ROW
    WHEN (NEW.aggregate_type = 'company' AND NEW.event_type = 'CompanyRegistrationRejected')
EXECUTE FUNCTION record_contact_erasure_intent();

-- Session generations ("rights versions"): an access token carries the generation of its user and
-- of the user's company at issue; the API refuses a token whose generation is older than the
-- stored one (checked on every authenticated request, cached for at most a second).
--
-- The generation is bumped by a trigger in the same transaction as the event that takes rights
-- away, so no crash can leave a committed deactivation with live tokens. Subjects without a row
-- are at generation 0.
CREATE TABLE session_generations
(
    subject_id uuid PRIMARY KEY,
    generation bigint      NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION hireledger_bump_session_generation() RETURNS trigger LANGUAGE plpgsql AS
$$
BEGIN
    IF (NEW.aggregate_type = 'user' AND NEW.event_type IN
            ('UserDeactivated', 'UserPersonalDataErased', 'UserRoleChanged', 'UserPasswordChanged'))
        OR (NEW.aggregate_type = 'company' AND NEW.event_type = 'CompanyDeactivated') THEN
        INSERT INTO session_generations (subject_id, generation)
        VALUES (NEW.aggregate_id::uuid, 1)
        ON CONFLICT (subject_id) DO UPDATE
            SET generation = session_generations.generation + 1, changed_at = now();
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_bump_session_generation
    AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION hireledger_bump_session_generation();

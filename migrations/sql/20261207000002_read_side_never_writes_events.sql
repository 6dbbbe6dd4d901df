-- The relay's watermark ignores the transactions of read-side sessions (application_name
-- 'hireledger-read-side…', the projectors): that is only safe if they never commit events. The
-- check runs at commit (deferred), on the name the session has then, so a session that renames
-- itself after inserting cannot slip events past the watermark either.
CREATE FUNCTION events_refuse_read_side() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    IF current_setting('application_name') LIKE 'hireledger-read-side%' THEN
        RAISE EXCEPTION 'a read-side session (application_name %) never writes events',
            current_setting('application_name');
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER events_refuse_read_side
    AFTER INSERT ON events
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION events_refuse_read_side();

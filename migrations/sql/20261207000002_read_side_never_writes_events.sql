-- The relay's watermark ignores the transactions of read-side sessions (application_name
-- 'hireledger-read-side…', the projectors): that is only safe if they never write events.
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

CREATE TRIGGER events_refuse_read_side
    BEFORE INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_read_side();

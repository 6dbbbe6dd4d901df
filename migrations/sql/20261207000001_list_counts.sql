-- Exact list totals per company (and per status), kept in the projector's own transaction by
-- triggers on the read-model tables, so the first page of a list costs what its rows cost instead
-- of a count(*) over every row of the company. status '' is the company-wide total.
CREATE TABLE rm_list_counts
(
    company_id uuid   NOT NULL,
    list       text   NOT NULL,
    status     text   NOT NULL,
    n          bigint NOT NULL,
    PRIMARY KEY (company_id, list, status)
);

CREATE FUNCTION rm_list_counts_add(c uuid, l text, s text, d bigint) RETURNS void
    LANGUAGE sql AS
$$
INSERT INTO rm_list_counts AS x (company_id, list, status, n) VALUES (c, l, s, d)
ON CONFLICT (company_id, list, status) DO UPDATE SET n = x.n + d
$$;

-- TG_ARGV[0]: the list's name; TG_ARGV[1]: the status column ('' when the list has none).
-- Within one transaction the company-wide row is always locked before a status row.
CREATE FUNCTION rm_list_counts_track() RETURNS trigger
    LANGUAGE plpgsql AS
$$
DECLARE
    l          text := TG_ARGV[0];
    status_of  text := TG_ARGV[1];
    old_status text;
    new_status text;
    moved      boolean := TG_OP = 'UPDATE' AND OLD.company_id <> NEW.company_id;
BEGIN
    IF status_of <> '' AND TG_OP <> 'INSERT' THEN
        old_status := to_jsonb(OLD) ->> status_of;
    END IF;
    IF status_of <> '' AND TG_OP <> 'DELETE' THEN
        new_status := to_jsonb(NEW) ->> status_of;
    END IF;
    IF TG_OP = 'DELETE' OR moved THEN
        PERFORM rm_list_counts_add(OLD.company_id, l, '', -1);
        IF old_status IS NOT NULL THEN
            PERFORM rm_list_counts_add(OLD.company_id, l, old_status, -1);
        END IF;
    END IF;
    IF TG_OP = 'INSERT' OR moved THEN
        PERFORM rm_list_counts_add(NEW.company_id, l, '', 1);
        IF new_status IS NOT NULL THEN
            PERFORM rm_list_counts_add(NEW.company_id, l, new_status, 1);
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' AND NOT moved AND old_status IS DISTINCT FROM new_status THEN
        PERFORM rm_list_counts_add(NEW.company_id, l, old_status, -1);
        PERFORM rm_list_counts_add(NEW.company_id, l, new_status, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER rm_candidates_count AFTER INSERT OR DELETE OR UPDATE OF company_id ON rm_candidates
    FOR EACH ROW EXECUTE FUNCTION rm_list_counts_track('candidates', '');
CREATE TRIGGER rm_jobs_count AFTER INSERT OR DELETE OR UPDATE OF company_id, status ON rm_jobs
    FOR EACH ROW EXECUTE FUNCTION rm_list_counts_track('jobs', 'status');
CREATE TRIGGER rm_applications_count AFTER INSERT OR DELETE OR UPDATE OF company_id, status ON rm_applications
    FOR EACH ROW EXECUTE FUNCTION rm_list_counts_track('applications', 'status');
CREATE TRIGGER rm_interviews_count AFTER INSERT OR DELETE OR UPDATE OF company_id, status ON rm_interviews
    FOR EACH ROW EXECUTE FUNCTION rm_list_counts_track('interviews', 'status');

-- Rows that exist already.
INSERT INTO rm_list_counts (company_id, list, status, n)
SELECT company_id, 'candidates', '', count(*) FROM rm_candidates GROUP BY company_id;
INSERT INTO rm_list_counts (company_id, list, status, n)
SELECT company_id, 'jobs', s, count(*) FROM rm_jobs, LATERAL (VALUES (''), (status)) v(s)
GROUP BY company_id, s;
INSERT INTO rm_list_counts (company_id, list, status, n)
SELECT company_id, 'applications', s, count(*) FROM rm_applications, LATERAL (VALUES (''), (status)) v(s)
GROUP BY company_id, s;
INSERT INTO rm_list_counts (company_id, list, status, n)
SELECT company_id, 'interviews', s, count(*) FROM rm_interviews, LATERAL (VALUES (''), (status)) v(s)
GROUP BY company_id, s;

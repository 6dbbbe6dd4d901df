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

-- Statement-level: one upsert per (company, status) a statement touched, however many rows it
-- wrote (a bulk load costs one statement, not one per row), in a fixed order so concurrent
-- projector transactions lock counter rows in the same order.
-- TG_ARGV[0]: the list's name; TG_ARGV[1]: the status column ('' when the list has none).
CREATE FUNCTION rm_list_counts_apply() RETURNS trigger
    LANGUAGE plpgsql AS
$fn$
DECLARE
    st   text := CASE WHEN TG_ARGV[1] = '' THEN 'NULL::text' ELSE format('%I::text', TG_ARGV[1]) END;
    rows text;
BEGIN
    rows := CASE TG_OP
        WHEN 'INSERT' THEN format('SELECT company_id, %s AS st, 1 AS d FROM new_rows', st)
        WHEN 'DELETE' THEN format('SELECT company_id, %s AS st, -1 AS d FROM old_rows', st)
        ELSE format('SELECT company_id, %s AS st, 1 AS d FROM new_rows
                     UNION ALL SELECT company_id, %s, -1 FROM old_rows', st, st)
        END;
    EXECUTE format(
        $q$INSERT INTO rm_list_counts AS x (company_id, list, status, n)
           SELECT company_id, %L, s, sum(d) FROM (%s) r, LATERAL (VALUES (''), (r.st)) v(s)
           WHERE s IS NOT NULL
           GROUP BY company_id, s HAVING sum(d) <> 0
           ORDER BY company_id, s
           ON CONFLICT (company_id, list, status) DO UPDATE SET n = x.n + EXCLUDED.n$q$,
        TG_ARGV[0], rows);
    RETURN NULL;
END
$fn$;

CREATE TRIGGER rm_candidates_count_ins AFTER INSERT ON rm_candidates REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_list_counts_apply('candidates', '');
CREATE TRIGGER rm_candidates_count_del AFTER DELETE ON rm_candidates REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_list_counts_apply('candidates', '');
CREATE TRIGGER rm_candidates_count_upd AFTER UPDATE ON rm_candidates
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_list_counts_apply('candidates', '');

CREATE TRIGGER rm_jobs_count_ins AFTER INSERT ON rm_jobs REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_list_counts_apply('jobs', 'status');
CREATE TRIGGER rm_jobs_count_del AFTER DELETE ON rm_jobs REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_list_counts_apply('jobs', 'status');
CREATE TRIGGER rm_jobs_count_upd AFTER UPDATE ON rm_jobs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_list_counts_apply('jobs', 'status');

CREATE TRIGGER rm_applications_count_ins AFTER INSERT ON rm_applications REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_list_counts_apply('applications', 'status');
CREATE TRIGGER rm_applications_count_del AFTER DELETE ON rm_applications REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_list_counts_apply('applications', 'status');
CREATE TRIGGER rm_applications_count_upd AFTER UPDATE ON rm_applications
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_list_counts_apply('applications', 'status');

CREATE TRIGGER rm_interviews_count_ins AFTER INSERT ON rm_interviews REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_list_counts_apply('interviews', 'status');
CREATE TRIGGER rm_interviews_count_del AFTER DELETE ON rm_interviews REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_list_counts_apply('interviews', 'status');
CREATE TRIGGER rm_interviews_count_upd AFTER UPDATE ON rm_interviews
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rm_list_counts_apply('interviews', 'status');

-- Rows that exist already.
INSERT INTO rm_list_counts (company_id, list, status, n)
SELECT company_id, 'candidates', '', count(*) FROM rm_candidates GROUP BY company_id;
INSERT INTO rm_list_counts (company_id, list, status, n)
SELECT company_id, l, s, count(*)
FROM (SELECT company_id, 'jobs' AS l, status FROM rm_jobs
      UNION ALL SELECT company_id, 'applications', status FROM rm_applications
      UNION ALL SELECT company_id, 'interviews', status FROM rm_interviews) r,
     LATERAL (VALUES (''), (r.status)) v(s)
GROUP BY company_id, l, s;

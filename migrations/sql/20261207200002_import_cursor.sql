-- Issue 7, must-fix 7: imports resume from a cursor (`processed_rows`, written with the row
-- outcomes it covers), append their row errors to a table of their own instead of rewriting one
-- JSON array, and give up (FAILED, file destroyed) after too many attempts.
ALTER TABLE candidate_imports ADD COLUMN attempts integer NOT NULL DEFAULT 0;

CREATE TABLE candidate_import_errors
(
    import_id   uuid    NOT NULL REFERENCES candidate_imports ON DELETE CASCADE,
    -- 1-based line of the file; never the rejected value itself.
    line        bigint  NOT NULL,
    column_name text,
    code        text    NOT NULL,
    reason      text    NOT NULL,
    PRIMARY KEY (import_id, line)
);

-- Indexes behind the read-model list queries (projections/src/queries.rs), newest first.
-- Each list orders by (time, id) and pages with LIMIT/OFFSET; every filter combination the API
-- offers has an index that yields rows in that order.

-- Companies: all, or of one status.
CREATE INDEX rm_companies_list ON rm_companies (requested_at, company_id);
CREATE INDEX rm_companies_status_list ON rm_companies (status, requested_at, company_id);
-- Superseded by rm_companies_status_list (same leading columns plus the tie-breaker).
DROP INDEX rm_companies_status;

-- Users: all (platform administrators), of one role, or of one company (rm_users_company) and
-- one role within it (HR listing candidates or employees).
CREATE INDEX rm_users_list ON rm_users (created_at, user_id);
CREATE INDEX rm_users_role_list ON rm_users (role, created_at, user_id);
CREATE INDEX rm_users_company_role_list ON rm_users (company_id, role, created_at, user_id);

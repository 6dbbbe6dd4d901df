-- When a read-model row was first written by its projector: with the event's recorded_at this
-- gives the projection lag of an aggregate's first event (reported by `hireledger bench`).
ALTER TABLE rm_companies ADD COLUMN projected_at timestamptz NOT NULL DEFAULT clock_timestamp();
ALTER TABLE rm_users ADD COLUMN projected_at timestamptz NOT NULL DEFAULT clock_timestamp();

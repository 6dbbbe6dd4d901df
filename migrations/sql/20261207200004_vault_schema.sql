-- Issue 7, must-fix 3: the person keys live in a schema of their own, `vault`, so that they can
-- be kept apart from the events: backed up (or not) on their own policy, dumped separately,
-- granted separately, or moved to a database of their own. A backup of the events taken before
-- an erasure plus the master key must not restore the person: keep no vault backup older than
-- the erasure deadline (see README, Security).
CREATE SCHEMA IF NOT EXISTS vault;
ALTER TABLE subject_keys SET SCHEMA vault;
ALTER TABLE erased_subjects SET SCHEMA vault;

-- The committees' reports (issue 12) compute their figures over a subtree in bulk: from the
-- units' path range to the members whose current primary unit they are, then to what those
-- members did. See docs/reports.md for the query plans.

-- A unit's current primary members, without reading the membership rows.
CREATE INDEX IF NOT EXISTS memberships_primary_unit ON memberships(unit_id, member_id)
    WHERE ended_on IS NULL AND is_primary = 1;

-- From a member's story copies in the outbox to their story (stories.batch_id had no index).
CREATE INDEX IF NOT EXISTS stories_batch ON stories(batch_id) WHERE batch_id IS NOT NULL;

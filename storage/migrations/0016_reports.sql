-- The committees' reports (issue 12) compute their figures over a subtree in bulk: from the
-- units' path range to the members whose current primary unit they are, then to what those
-- members did. See docs/reports.md for the query plans.

-- A unit's current primary members, without reading the membership rows.
CREATE INDEX IF NOT EXISTS memberships_primary_unit ON memberships(unit_id, member_id)
    WHERE ended_on IS NULL AND is_primary = 1;

-- A member's invitations with what attendance needs, read from the index alone, by session
-- id: it replaces the index on member_id only (its first column), which every query by member
-- keeps using.
DROP INDEX IF EXISTS session_invitees_member;
CREATE INDEX IF NOT EXISTS session_invitees_member ON session_invitees(
    member_id, session_id, status, mark, checked_in_at
);

-- A member's story copies in the outbox with their status, from the index alone (it replaces
-- outbox_story_member, its first two columns; ``kind`` is there for SQLite, which does not
-- read the index's WHERE as covering it); then the story of each (stories.batch_id had no
-- index).
DROP INDEX IF EXISTS outbox_story_member;
CREATE INDEX IF NOT EXISTS outbox_story_member ON outbox(member_id, batch_id, status, kind)
    WHERE kind = 'story';
CREATE INDEX IF NOT EXISTS stories_batch ON stories(batch_id, send_at) WHERE batch_id IS NOT NULL;

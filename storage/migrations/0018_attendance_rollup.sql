-- The committees' reports (issue 12) count attendance per unit over a subtree: on a city, a
-- year is 1.8 million invitations, too many to read for every report. A closed session's
-- counts are kept here once computed, grouped by the invitee's current primary unit, exactly
-- as storage/reports.py counts them live (active members, the exempt left out).
--
-- The rows are a cache, never the record: a session is in attendance_rolled only while its
-- rows are current. Any change to what they were computed from removes the session from it
-- (the triggers below), and the reports count such a session live until the next roll-up
-- (bot/services/reports/rollup.py) computes it again. So a report is always exact.
CREATE TABLE attendance_rollup (
    unit_id     INTEGER NOT NULL,
    session_id  INTEGER NOT NULL,
    invited     INTEGER NOT NULL,
    present     INTEGER NOT NULL,
    PRIMARY KEY (unit_id, session_id)
) WITHOUT ROWID;
CREATE INDEX attendance_rollup_session ON attendance_rollup(session_id);

CREATE TABLE attendance_rolled (session_id INTEGER PRIMARY KEY);

-- The closed sessions, for finding those not rolled up yet without reading every session.
CREATE INDEX IF NOT EXISTS sessions_closed ON sessions(starts_at) WHERE status = 'closed';

-- A session's rows go stale when the session changes (closed, reopened, moved, cancelled) ...
CREATE TRIGGER attendance_stale_session AFTER UPDATE OF status, starts_at, unit_id ON sessions
WHEN EXISTS (SELECT 1 FROM attendance_rolled WHERE session_id = OLD.id)
BEGIN
    DELETE FROM attendance_rolled WHERE session_id = OLD.id;
    DELETE FROM attendance_rollup WHERE session_id = OLD.id;
END;

CREATE TRIGGER attendance_stale_session_gone AFTER DELETE ON sessions
BEGIN
    DELETE FROM attendance_rolled WHERE session_id = OLD.id;
    DELETE FROM attendance_rollup WHERE session_id = OLD.id;
END;

-- ... when one of its invitations changes (a mark corrected, an invitee added or removed) ...
CREATE TRIGGER attendance_stale_invitee_new AFTER INSERT ON session_invitees
WHEN EXISTS (SELECT 1 FROM attendance_rolled WHERE session_id = NEW.session_id)
BEGIN
    DELETE FROM attendance_rolled WHERE session_id = NEW.session_id;
    DELETE FROM attendance_rollup WHERE session_id = NEW.session_id;
END;

CREATE TRIGGER attendance_stale_invitee_gone AFTER DELETE ON session_invitees
WHEN EXISTS (SELECT 1 FROM attendance_rolled WHERE session_id = OLD.session_id)
BEGIN
    DELETE FROM attendance_rolled WHERE session_id = OLD.session_id;
    DELETE FROM attendance_rollup WHERE session_id = OLD.session_id;
END;

CREATE TRIGGER attendance_stale_invitee AFTER UPDATE OF session_id, member_id, status, mark, checked_in_at
ON session_invitees
WHEN EXISTS (SELECT 1 FROM attendance_rolled WHERE session_id IN (OLD.session_id, NEW.session_id))
BEGIN
    DELETE FROM attendance_rolled WHERE session_id IN (OLD.session_id, NEW.session_id);
    DELETE FROM attendance_rollup WHERE session_id IN (OLD.session_id, NEW.session_id);
END;

-- ... and, for every session a member was invited to, when the member's current primary unit
-- or registration changes (they are counted where they are now, if active).
CREATE TRIGGER attendance_stale_membership_new AFTER INSERT ON memberships
BEGIN
    DELETE FROM attendance_rollup WHERE session_id IN (
        SELECT session_id FROM session_invitees WHERE member_id = NEW.member_id);
    DELETE FROM attendance_rolled WHERE session_id IN (
        SELECT session_id FROM session_invitees WHERE member_id = NEW.member_id);
END;

CREATE TRIGGER attendance_stale_membership AFTER UPDATE OF member_id, unit_id, is_primary, ended_on
ON memberships
WHEN OLD.member_id IS NOT NEW.member_id OR OLD.unit_id IS NOT NEW.unit_id
    OR OLD.is_primary IS NOT NEW.is_primary OR OLD.ended_on IS NOT NEW.ended_on
BEGIN
    DELETE FROM attendance_rollup WHERE session_id IN (
        SELECT session_id FROM session_invitees WHERE member_id IN (OLD.member_id, NEW.member_id));
    DELETE FROM attendance_rolled WHERE session_id IN (
        SELECT session_id FROM session_invitees WHERE member_id IN (OLD.member_id, NEW.member_id));
END;

CREATE TRIGGER attendance_stale_membership_gone AFTER DELETE ON memberships
BEGIN
    DELETE FROM attendance_rollup WHERE session_id IN (
        SELECT session_id FROM session_invitees WHERE member_id = OLD.member_id);
    DELETE FROM attendance_rolled WHERE session_id IN (
        SELECT session_id FROM session_invitees WHERE member_id = OLD.member_id);
END;

CREATE TRIGGER attendance_stale_member AFTER UPDATE OF registration ON members
WHEN OLD.registration IS NOT NEW.registration
BEGIN
    DELETE FROM attendance_rollup WHERE session_id IN (
        SELECT session_id FROM session_invitees WHERE member_id = NEW.id);
    DELETE FROM attendance_rolled WHERE session_id IN (
        SELECT session_id FROM session_invitees WHERE member_id = NEW.id);
END;

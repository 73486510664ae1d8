-- Sessions (meetings and conferences), their invitees with attendance, minutes,
-- bridge-point reports of conferences and the study deadlines of the cascade.
-- Instants are UTC ISO 8601 text; calendar dates are local YYYY-MM-DD.

CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY,
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    kind            TEXT    NOT NULL CHECK (kind IN ('regular', 'thematic', 'conference')),
    topic           TEXT    NOT NULL,
    campaign_id     INTEGER REFERENCES campaigns(id),   -- set when on the campaign's topic
    starts_at       TEXT    NOT NULL,
    place           TEXT    NOT NULL DEFAULT '',        -- a place or an online link
    presenter       TEXT    NOT NULL DEFAULT '',        -- thematic sessions
    lead_in         TEXT    NOT NULL DEFAULT '',        -- thematic: circulated beforehand
    status          TEXT    NOT NULL DEFAULT 'scheduled'
                        CHECK (status IN ('scheduled', 'cancelled', 'closed')),
    checkin_code    TEXT,
    checkin_opens   TEXT,
    checkin_closes  TEXT,
    created_by      INTEGER REFERENCES members(id),
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    closed_at       TEXT,
    cancelled_at    TEXT
);
CREATE INDEX sessions_unit ON sessions(unit_id, starts_at);
CREATE UNIQUE INDEX sessions_open_code ON sessions(checkin_code)
    WHERE checkin_code IS NOT NULL AND status = 'scheduled';

-- The invitee list is a snapshot taken at creation: later membership changes leave it alone.
CREATE TABLE session_invitees (
    session_id      INTEGER NOT NULL REFERENCES sessions(id),
    member_id       INTEGER NOT NULL REFERENCES members(id),
    unit_id         INTEGER NOT NULL REFERENCES units(id),  -- the member's unit at creation
    full_name       TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('official', 'probationary', 'temporary', 'exempt')),
    rsvp            TEXT    CHECK (rsvp IN ('yes', 'no')),
    rsvp_reason     TEXT,
    rsvp_at         TEXT,
    checked_in_at   TEXT,
    checkin_via     TEXT    CHECK (checkin_via IN ('code', 'button', 'late')),
    late_reported_at TEXT,
    late_status     TEXT    CHECK (late_status IN ('pending', 'confirmed', 'rejected')),
    mark            TEXT    CHECK (mark IN ('present', 'excused', 'absent')),  -- a correction, then final
    reason          TEXT,
    PRIMARY KEY (session_id, member_id)
);
CREATE INDEX session_invitees_member ON session_invitees(member_id);

CREATE TABLE session_minutes (
    session_id      INTEGER PRIMARY KEY REFERENCES sessions(id),
    chair           TEXT    NOT NULL,
    minute_taker    TEXT    NOT NULL,
    guests          TEXT    NOT NULL DEFAULT '',
    agenda          TEXT    NOT NULL DEFAULT '',
    speakers        TEXT    NOT NULL DEFAULT '[]',     -- JSON [[name, opinion], ...]
    difficulties    TEXT    NOT NULL DEFAULT '',
    solutions       TEXT    NOT NULL DEFAULT '',
    conclusion      TEXT    NOT NULL,
    recorded_by     INTEGER REFERENCES members(id),
    recorded_at     TEXT    NOT NULL
);

CREATE TABLE session_bridge_reports (
    session_id      INTEGER NOT NULL REFERENCES sessions(id),
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    present         INTEGER NOT NULL CHECK (present >= 0),
    names           TEXT    NOT NULL DEFAULT '',
    reported_by     INTEGER REFERENCES members(id),
    reported_at     TEXT    NOT NULL,
    PRIMARY KEY (session_id, unit_id)
);

CREATE TABLE study_deadlines (
    campaign_id     INTEGER NOT NULL REFERENCES campaigns(id),
    unit_id         INTEGER NOT NULL REFERENCES units(id),
    deadline        TEXT    NOT NULL,
    set_by          TEXT    NOT NULL,
    set_at          TEXT    NOT NULL,
    PRIMARY KEY (campaign_id, unit_id)
);

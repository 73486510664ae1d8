-- Commitments (bản cam kết): one per member and campaign, every submitted version kept.
-- Timestamps are UTC ISO 8601 text; calendar dates are local YYYY-MM-DD.

CREATE TABLE commitments (
    id               INTEGER PRIMARY KEY,
    member_id        INTEGER NOT NULL REFERENCES members(id),
    campaign_id      INTEGER NOT NULL REFERENCES campaigns(id),
    -- The unit the member filed in. Review scope follows the member's CURRENT primary unit.
    filed_unit_id    INTEGER REFERENCES units(id),
    status           TEXT    NOT NULL DEFAULT 'draft'
                         CHECK (status IN ('draft', 'submitted', 'returned', 'approved')),
    last_version     INTEGER NOT NULL DEFAULT 0,   -- number of the latest submitted version
    approved_version INTEGER,                      -- the latest approved version, if any
    late             INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    self_review_at   TEXT,                         -- every action rated at year end
    grade            TEXT    CHECK (grade IN ('excellent', 'good', 'fulfilled', 'not_fulfilled')),
    points           INTEGER CHECK (points BETWEEN 0 AND 100),
    grade_comment    TEXT,
    graded_by        INTEGER REFERENCES members(id),
    graded_at        TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    UNIQUE (member_id, campaign_id)
);
CREATE INDEX commitments_campaign_status ON commitments(campaign_id, status);

-- The working copy the member edits (a draft, or a returned commitment being revised).
CREATE TABLE commitment_actions (
    id             INTEGER PRIMARY KEY,
    commitment_id  INTEGER NOT NULL REFERENCES commitments(id),
    heading        TEXT    NOT NULL
                       CHECK (heading IN ('ideology', 'ethics', 'discipline', 'tasks', 'example')),
    position       INTEGER NOT NULL,
    text           TEXT    NOT NULL,
    target_date    TEXT
);
CREATE INDEX commitment_actions_commitment ON commitment_actions(commitment_id, heading, position);

-- Each submission freezes the working copy as a numbered version; nothing here is deleted.
CREATE TABLE commitment_versions (
    id             INTEGER PRIMARY KEY,
    commitment_id  INTEGER NOT NULL REFERENCES commitments(id),
    number         INTEGER NOT NULL,
    unit_id        INTEGER REFERENCES units(id),   -- the member's primary unit at submission
    submitted_at   TEXT    NOT NULL,
    submitted_on   TEXT    NOT NULL,               -- local date, for lateness
    late           INTEGER NOT NULL CHECK (late IN (0, 1)),
    decision       TEXT    NOT NULL DEFAULT 'pending'
                       CHECK (decision IN ('pending', 'approved', 'returned')),
    decided_by     INTEGER REFERENCES members(id),
    decided_by_name TEXT,
    decided_at     TEXT,
    comment        TEXT,
    UNIQUE (commitment_id, number)
);

CREATE TABLE commitment_version_actions (
    id             INTEGER PRIMARY KEY,
    version_id     INTEGER NOT NULL REFERENCES commitment_versions(id),
    heading        TEXT    NOT NULL,
    position       INTEGER NOT NULL,
    text           TEXT    NOT NULL,
    target_date    TEXT,
    self_rating    TEXT    CHECK (self_rating IN ('done', 'partly', 'not_done')),
    evidence       TEXT,
    rated_at       TEXT
);
CREATE INDEX commitment_version_actions_version ON commitment_version_actions(version_id);

-- Subtree queries join the member's current primary membership to units.path (indexed).
CREATE INDEX IF NOT EXISTS memberships_primary_open ON memberships(member_id, unit_id)
    WHERE ended_on IS NULL AND is_primary = 1;

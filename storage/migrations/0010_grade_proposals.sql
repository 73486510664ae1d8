-- Year-end grading is proposed, then decided (Quy định 124-QĐ/TW): the cell appraises and
-- proposes; the competent level (the grassroots committee, or a grassroots cell itself)
-- decides. commitments.grade* stay what they were: the DECIDED grade in force, the only one
-- a member is told; commitment_grades keeps every decision.
--
-- Grades decided before this migration stay as they are: decided, with no proposal behind
-- them (proposal_revision = decided_proposal = 0, proposal_id NULL).

-- Every proposal made, numbered per commitment. A change of proposal (by the cell, or by
-- the deciding committee before it decides) is the next revision; none is ever deleted.
CREATE TABLE grade_proposals (
    id               INTEGER PRIMARY KEY,
    commitment_id    INTEGER NOT NULL REFERENCES commitments(id),
    revision         INTEGER NOT NULL,
    unit_id          INTEGER REFERENCES units(id),   -- the grading cell when proposed
    grade            TEXT    NOT NULL
                         CHECK (grade IN ('excellent', 'good', 'fulfilled', 'not_fulfilled')),
    points           INTEGER NOT NULL CHECK (points BETWEEN 0 AND 100),  -- required since 2025
    comment          TEXT    NOT NULL,
    source           TEXT    NOT NULL DEFAULT 'cell' CHECK (source IN ('cell', 'decider')),
    proposed_by      INTEGER REFERENCES members(id),
    proposed_by_name TEXT,
    proposed_at      TEXT    NOT NULL,
    UNIQUE (commitment_id, revision)
);

-- The proposal in force (0: none), and the proposal the decided grade in force followed
-- (0: none, or decided before proposals existed). A proposal waits for a decision while
-- proposal_revision > decided_proposal.
ALTER TABLE commitments ADD COLUMN proposal_revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE commitments ADD COLUMN decided_proposal INTEGER NOT NULL DEFAULT 0;

-- Each decision names the proposal it followed and the level that decided.
ALTER TABLE commitment_grades ADD COLUMN proposal_id INTEGER REFERENCES grade_proposals(id);
ALTER TABLE commitment_grades ADD COLUMN decided_unit_id INTEGER REFERENCES units(id);

-- The comment (nhận xét) of the cell where a temporarily attached member attends, for the
-- cell of their official membership, which grades them. Every remark is kept; the latest
-- of each cell is the one in force.
CREATE TABLE grade_remarks (
    id               INTEGER PRIMARY KEY,
    member_id        INTEGER NOT NULL REFERENCES members(id),
    campaign_id      INTEGER NOT NULL REFERENCES campaigns(id),
    unit_id          INTEGER NOT NULL REFERENCES units(id),  -- the cell that wrote it
    remark           TEXT    NOT NULL,
    written_by       INTEGER REFERENCES members(id),
    written_by_name  TEXT,
    written_at       TEXT    NOT NULL
);
CREATE INDEX grade_remarks_member ON grade_remarks(member_id, campaign_id);

-- Temporarily attached members are found by their extra memberships.
CREATE INDEX IF NOT EXISTS memberships_extra_open ON memberships(unit_id, member_id)
    WHERE ended_on IS NULL AND is_primary = 0;

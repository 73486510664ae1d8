-- Good-deed nominations ("Đề xuất gương người tốt, việc tốt"): a member proposes a person,
-- the deed and where it happened (and a photo); the propaganda board over the member's unit
-- approves or rejects it (with a reason), and may turn an approved one into a story draft.
-- A nomination being written is a draft row, saved field by field, so nothing typed is lost
-- when the conversation is interrupted or expires.

CREATE TABLE nominations (
    id              INTEGER PRIMARY KEY,
    nominee         TEXT    NOT NULL DEFAULT '',   -- the person's name, as typed
    nominee_info    TEXT    NOT NULL DEFAULT '',   -- their position or unit, optional
    deed            TEXT    NOT NULL DEFAULT '',
    place           TEXT    NOT NULL DEFAULT '',
    photo           TEXT,                          -- a Telegram file_id
    unit_id         INTEGER NOT NULL REFERENCES units(id),    -- the nominator's primary unit
    nominated_by    INTEGER NOT NULL REFERENCES members(id),
    status          TEXT    NOT NULL DEFAULT 'draft'
                        CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'story')),
    reason          TEXT,                          -- why it was rejected
    decided_by      INTEGER REFERENCES members(id),
    decided_by_name TEXT,
    decided_at      TEXT,
    story_id        INTEGER REFERENCES stories(id),
    created_at      TEXT    NOT NULL,
    submitted_at    TEXT,
    updated_at      TEXT    NOT NULL
);
-- One draft per member at a time: /nominate picks it up again.
CREATE UNIQUE INDEX nominations_one_draft ON nominations(nominated_by) WHERE status = 'draft';
CREATE INDEX nominations_review ON nominations(status, submitted_at, id);
CREATE INDEX nominations_unit ON nominations(unit_id, status);
CREATE INDEX nominations_member ON nominations(nominated_by, id);
CREATE UNIQUE INDEX nominations_story ON nominations(story_id) WHERE story_id IS NOT NULL;

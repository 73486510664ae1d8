-- Good-deed nominations ("Đề xuất gương người tốt, việc tốt"): a member proposes a person
-- (a member or not: a name as typed, and where they work), the deed and the unit it goes
-- to (the member's own by default), with an optional photo. The propaganda board over that
-- unit approves or rejects it (with a reason) and may make an approved one into a story.

CREATE TABLE nominations (
    id              INTEGER PRIMARY KEY,
    nominee         TEXT    NOT NULL,              -- the person's name, as typed
    nominee_info    TEXT    NOT NULL DEFAULT '',   -- their unit or workplace, optional
    deed            TEXT    NOT NULL,
    photo           TEXT,                          -- a Telegram file_id
    unit_id         INTEGER NOT NULL REFERENCES units(id),    -- where it goes ("where")
    nominated_by    INTEGER NOT NULL REFERENCES members(id),
    status          TEXT    NOT NULL DEFAULT 'submitted'
                        CHECK (status IN ('submitted', 'approved', 'rejected')),
    reason          TEXT,                          -- why it was rejected
    decided_by      INTEGER REFERENCES members(id),
    decided_by_name TEXT,                          -- kept as it was (an administrator has no row)
    decided_at      TEXT,
    story_id        INTEGER REFERENCES stories(id),  -- the story draft made from it
    created_at      TEXT    NOT NULL
);
CREATE INDEX nominations_review ON nominations(status, id);
CREATE INDEX nominations_unit ON nominations(unit_id, status);
CREATE INDEX nominations_member ON nominations(nominated_by, id);
CREATE UNIQUE INDEX nominations_story ON nominations(story_id) WHERE story_id IS NOT NULL;

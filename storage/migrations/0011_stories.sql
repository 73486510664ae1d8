-- The propaganda board's stories: written (a draft), scheduled or sent through the outbox to
-- an audience, and "read and learned" by members. The story's own text lives here; the
-- outbox batch that carries it holds a copy (rendered per recipient at send time).

CREATE TABLE stories (
    id              INTEGER PRIMARY KEY,
    title           TEXT    NOT NULL,
    body            TEXT    NOT NULL,              -- Telegram HTML: bold, italic, links
    photo           TEXT,                          -- a Telegram file_id
    tag             TEXT    NOT NULL CHECK (tag IN ('model', 'good_deed', 'holiday', 'study')),
    unit_id         INTEGER NOT NULL REFERENCES units(id),  -- the board's unit it is written in
    audience        TEXT    NOT NULL,              -- JSON: {"kind": ..., "unit_ids": [...], ...}
    to_channels     INTEGER NOT NULL DEFAULT 0 CHECK (to_channels IN (0, 1)),
    status          TEXT    NOT NULL DEFAULT 'draft'
                        CHECK (status IN ('draft', 'scheduled', 'sent', 'cancelled')),
    send_at         TEXT,                          -- when it goes (UTC): scheduled or sent
    batch_id        INTEGER REFERENCES outbox_batches(id),
    recipients      INTEGER NOT NULL DEFAULT 0,
    created_by      INTEGER REFERENCES members(id),
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);
CREATE INDEX stories_status ON stories(status, send_at);
CREATE INDEX stories_unit ON stories(unit_id, created_at);

-- A member's stories ("/stories") and whether one was sent to them: story rows only, so
-- other notices pay nothing for it. Story rows are kept when sent notices are purged.
CREATE INDEX outbox_story_member ON outbox(member_id, batch_id) WHERE kind = 'story';

-- "Đã đọc, học tập": once per member and story.
CREATE TABLE story_reads (
    story_id    INTEGER NOT NULL REFERENCES stories(id),
    member_id   INTEGER NOT NULL REFERENCES members(id),
    read_at     TEXT    NOT NULL,
    PRIMARY KEY (story_id, member_id)
);
CREATE INDEX story_reads_member ON story_reads(member_id);

-- The campaign's public face: channels or groups stories may also be published to.
CREATE TABLE public_channels (
    id          INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL UNIQUE,
    title       TEXT    NOT NULL,
    added_by    TEXT    NOT NULL,
    added_at    TEXT    NOT NULL,
    removed_at  TEXT
);

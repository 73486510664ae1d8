-- The outbox: one row per message per recipient, written in the same transaction as the
-- change that causes it, and sent by the paced sender. What to say is stored as a template
-- name and its parameters (JSON), rendered at send time in the recipient's language.
-- A fan-out shares one batch row: its parameters (said once, not per recipient), and the
-- progress message shown to whoever started it.

CREATE TABLE outbox_batches (
    id                  INTEGER PRIMARY KEY,
    kind                TEXT    NOT NULL,
    template            TEXT    NOT NULL,
    params              TEXT    NOT NULL DEFAULT '{}',
    total               INTEGER NOT NULL DEFAULT 0,
    progress_chat_id    INTEGER,              -- who is shown the progress, if anyone
    progress_locale     TEXT,
    progress_message_id INTEGER,              -- the message edited as it goes
    created_at          TEXT    NOT NULL,
    finished_at         TEXT
);

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    batch_id    INTEGER REFERENCES outbox_batches(id),
    kind        TEXT    NOT NULL,             -- invitation, session_change, alert, grade, ...
    chat_id     INTEGER NOT NULL,             -- where it goes (a person's id, a group, a channel)
    member_id   INTEGER REFERENCES members(id),
    template    TEXT    NOT NULL,
    params      TEXT    NOT NULL DEFAULT '{}',
    dedup_key   TEXT,                         -- the same logical message is queued once
    not_before  TEXT    NOT NULL,
    priority    INTEGER NOT NULL DEFAULT 5,   -- lower goes first
    status      TEXT    NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'blocked')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  TEXT    NOT NULL,
    claimed_at  TEXT,
    sent_at     TEXT,
    message_id  INTEGER
);
CREATE UNIQUE INDEX outbox_dedup ON outbox(dedup_key) WHERE dedup_key IS NOT NULL;
CREATE INDEX outbox_due ON outbox(priority, not_before, id) WHERE status = 'queued';
CREATE INDEX outbox_sending ON outbox(id) WHERE status = 'sending';
CREATE INDEX outbox_batch ON outbox(batch_id, status);
CREATE INDEX outbox_done ON outbox(sent_at) WHERE status = 'sent';

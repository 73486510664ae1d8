-- A guided step being handled: written before the step runs, deleted once its new state is
-- saved. A row found at start means the bot died in between (the reply may have gone out
-- while the state was not saved): the step is handled again, or the person is told.
CREATE TABLE flow_steps (
    user_id     INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL,
    flow        TEXT    NOT NULL,   -- the conversation the step belongs to
    state       TEXT,               -- JSON of its state when the step began (NULL: entry)
    update_json TEXT    NOT NULL,   -- the Telegram update, to handle it again
    started_at  TEXT    NOT NULL
);

-- The /session new draft's own key: saving the same draft again (its last step handled again
-- after a restart) finds the meeting already saved instead of making a second one.
ALTER TABLE sessions ADD COLUMN request_key TEXT;
CREATE UNIQUE INDEX sessions_request_key ON sessions(request_key) WHERE request_key IS NOT NULL;

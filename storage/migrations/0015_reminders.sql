-- The reminder engine (bot/services/reminders): reminders are outbox rows; this keeps only
-- what the outbox cannot: the kinds a member muted, and a campaign's own deadline offsets.
-- The last sweep's time is a kv row ("reminders.last_sweep").

CREATE TABLE reminder_mutes (
    member_id  INTEGER NOT NULL REFERENCES members(id),
    kind       TEXT    NOT NULL,          -- a mutable kind of bot.rules.reminder_kinds
    muted_at   TEXT    NOT NULL,
    PRIMARY KEY (member_id, kind)
);

-- "14,7,3,1": the days before the commitment deadline members are reminded; NULL: the default.
ALTER TABLE campaigns ADD COLUMN commit_reminder_days TEXT;

-- The sweep reads the sessions starting around now; years of past sessions stay off its path.
CREATE INDEX sessions_starts ON sessions(starts_at);

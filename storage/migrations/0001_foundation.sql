-- Organisation tree, members, roles, invites, audit, bot persistence.
-- Timestamps are UTC ISO 8601 text; calendar dates are YYYY-MM-DD.

CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('city_committee', 'committee',
                    'grassroots_committee', 'cell', 'party_group', 'mass_org_branch')),
    parent_id   INTEGER REFERENCES units(id),
    -- Materialised ancestor path '/1/4/9/' so that a subtree is one indexed prefix query.
    path        TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);
CREATE INDEX units_parent ON units(parent_id);
CREATE INDEX units_path ON units(path);

CREATE TABLE members (
    id              INTEGER PRIMARY KEY,
    code            TEXT    UNIQUE,          -- roster id; NULL until a pending member is approved
    full_name       TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('official', 'probationary', 'temporary', 'exempt')),
    position        TEXT    NOT NULL DEFAULT '',
    is_head         INTEGER NOT NULL DEFAULT 0 CHECK (is_head IN (0, 1)),
    language        TEXT    CHECK (language IN ('vi', 'en')),
    telegram_id     INTEGER UNIQUE,
    registration    TEXT    NOT NULL DEFAULT 'active'
                        CHECK (registration IN ('active', 'pending', 'rejected')),
    started_bot_at  TEXT,                    -- first private message from this person
    blocked_at      TEXT,                    -- set when Telegram says the bot is blocked
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);

-- A member leaving a unit is end-dated, never deleted, so past records stay true.
CREATE TABLE memberships (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    is_primary  INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
    started_on  TEXT    NOT NULL,
    ended_on    TEXT
);
CREATE UNIQUE INDEX memberships_open ON memberships(member_id, unit_id) WHERE ended_on IS NULL;
CREATE UNIQUE INDEX memberships_one_primary ON memberships(member_id)
    WHERE ended_on IS NULL AND is_primary = 1;
CREATE INDEX memberships_unit ON memberships(unit_id) WHERE ended_on IS NULL;

CREATE TABLE roles (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id),
    role        TEXT    NOT NULL CHECK (role IN ('secretary', 'deputy', 'committee', 'propaganda', 'admin')),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    granted_at  TEXT    NOT NULL,
    revoked_at  TEXT
);
CREATE UNIQUE INDEX roles_active ON roles(member_id, role, unit_id) WHERE revoked_at IS NULL;
CREATE INDEX roles_unit ON roles(unit_id) WHERE revoked_at IS NULL;

CREATE TABLE invites (
    id          INTEGER PRIMARY KEY,
    code        TEXT    NOT NULL UNIQUE,
    member_id   INTEGER REFERENCES members(id),
    unit_id     INTEGER REFERENCES units(id),
    max_uses    INTEGER NOT NULL DEFAULT 1 CHECK (max_uses >= 1),
    uses        INTEGER NOT NULL DEFAULT 0,
    expires_on  TEXT,                        -- last valid local date, inclusive
    created_by  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    revoked_at  TEXT,
    CHECK ((member_id IS NULL) <> (unit_id IS NULL))
);

-- A person who joined through a unit invite and waits for a secretary's decision.
CREATE TABLE join_requests (
    id           INTEGER PRIMARY KEY,
    member_id    INTEGER NOT NULL REFERENCES members(id),
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    invite_id    INTEGER NOT NULL REFERENCES invites(id),
    telegram_id  INTEGER NOT NULL,
    full_name    TEXT    NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    requested_at TEXT    NOT NULL,
    decided_by   INTEGER REFERENCES members(id),
    decided_at   TEXT
);
CREATE INDEX join_requests_unit ON join_requests(unit_id, status);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT    NOT NULL,
    actor       TEXT    NOT NULL,            -- 'tg:<telegram id>', 'cli' or 'system'
    member_id   INTEGER REFERENCES members(id),
    action      TEXT    NOT NULL,
    target      TEXT    NOT NULL DEFAULT '',
    outcome     TEXT    NOT NULL CHECK (outcome IN ('ok', 'denied', 'error')),
    detail      TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log(at);

CREATE TABLE kv (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- python-telegram-bot persistence: JSON documents.
CREATE TABLE ptb_user_data (user_id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE ptb_chat_data (chat_id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE ptb_bot_data (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL);
CREATE TABLE ptb_callback_data (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL);
CREATE TABLE ptb_conversations (
    name   TEXT NOT NULL,
    key    TEXT NOT NULL,                   -- JSON array of the conversation key
    state  TEXT NOT NULL,                   -- JSON of the state
    PRIMARY KEY (name, key)
);

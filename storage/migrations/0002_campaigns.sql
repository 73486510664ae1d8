-- One row per campaign year. Dates are local calendar dates (YYYY-MM-DD), inclusive.
CREATE TABLE campaigns (
    id               INTEGER PRIMARY KEY,
    year             INTEGER NOT NULL UNIQUE CHECK (year BETWEEN 2000 AND 2100),
    topic            TEXT    NOT NULL,
    commit_deadline  TEXT    NOT NULL,
    study_deadline   TEXT    NOT NULL,
    review_opens     TEXT    NOT NULL,
    review_closes    TEXT    NOT NULL,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    CHECK (review_opens <= review_closes)
);

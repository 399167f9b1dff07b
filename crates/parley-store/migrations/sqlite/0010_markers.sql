-- Read positions in the home timeline and the notifications (Mastodon's
-- markers). `version` counts the changes of `last_read_id`, from 0.
CREATE TABLE markers (
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    timeline     TEXT    NOT NULL,
    last_read_id INTEGER NOT NULL,
    version      INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, timeline)
) WITHOUT ROWID;

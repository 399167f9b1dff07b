-- Parley core schema (SQLite). Times are milliseconds since the Unix epoch;
-- IDs are time-ordered 64-bit integers (see parley-core's id module).
-- Counters are kept by atomic `x = x + 1` updates in the same transaction as
-- the row that changes them, never read-modify-write.

CREATE TABLE accounts (
    id              INTEGER PRIMARY KEY,
    username        TEXT    NOT NULL,
    email           TEXT,
    password_hash   TEXT,
    display_name    TEXT    NOT NULL DEFAULT '',
    note            TEXT    NOT NULL DEFAULT '',
    note_html       TEXT    NOT NULL DEFAULT '',
    fields          TEXT    NOT NULL DEFAULT '[]',
    locked          INTEGER NOT NULL DEFAULT 0,
    bot             INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    role            TEXT    NOT NULL DEFAULT 'user',
    organisation    TEXT,
    approved        INTEGER NOT NULL DEFAULT 1,
    suspended       INTEGER NOT NULL DEFAULT 0,
    followers_count INTEGER NOT NULL DEFAULT 0,
    following_count INTEGER NOT NULL DEFAULT 0,
    statuses_count  INTEGER NOT NULL DEFAULT 0,
    last_status_at  INTEGER
);
CREATE UNIQUE INDEX accounts_username_unique ON accounts (username COLLATE NOCASE);
CREATE UNIQUE INDEX accounts_email_unique ON accounts (email COLLATE NOCASE);

CREATE TABLE apps (
    id                 INTEGER PRIMARY KEY,
    name               TEXT    NOT NULL,
    website            TEXT,
    redirect_uris      TEXT    NOT NULL,
    scopes             TEXT    NOT NULL,
    client_id          TEXT    NOT NULL UNIQUE,
    client_secret_hash TEXT    NOT NULL,
    created_at         INTEGER NOT NULL
);

CREATE TABLE oauth_grants (
    code_hash             TEXT    PRIMARY KEY,
    app_id                INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    account_id            INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scopes                TEXT    NOT NULL,
    redirect_uri          TEXT    NOT NULL,
    code_challenge        TEXT,
    code_challenge_method TEXT,
    expires_at            INTEGER NOT NULL
);

CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY,
    token_hash TEXT    NOT NULL UNIQUE,
    app_id     INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    account_id INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    scopes     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX tokens_account ON tokens (account_id);

CREATE TABLE statuses (
    id                     INTEGER PRIMARY KEY,
    account_id             INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    in_reply_to_id         INTEGER,
    in_reply_to_account_id INTEGER,
    reblog_of_id           INTEGER REFERENCES statuses (id) ON DELETE CASCADE,
    text                   TEXT    NOT NULL,
    content_html           TEXT    NOT NULL,
    spoiler_text           TEXT    NOT NULL DEFAULT '',
    sensitive              INTEGER NOT NULL DEFAULT 0,
    visibility             TEXT    NOT NULL,
    language               TEXT,
    created_at             INTEGER NOT NULL,
    edited_at              INTEGER,
    replies_count          INTEGER NOT NULL DEFAULT 0,
    reblogs_count          INTEGER NOT NULL DEFAULT 0,
    favourites_count       INTEGER NOT NULL DEFAULT 0,
    app_id                 INTEGER,
    poll_id                INTEGER
);
CREATE INDEX statuses_account ON statuses (account_id, id);
CREATE INDEX statuses_in_reply_to ON statuses (in_reply_to_id) WHERE in_reply_to_id IS NOT NULL;
CREATE UNIQUE INDEX statuses_reblog_unique ON statuses (account_id, reblog_of_id) WHERE reblog_of_id IS NOT NULL;
CREATE INDEX statuses_reblog_of ON statuses (reblog_of_id) WHERE reblog_of_id IS NOT NULL;
CREATE INDEX statuses_public ON statuses (id) WHERE visibility = 'public' AND reblog_of_id IS NULL;

CREATE TABLE mentions (
    status_id  INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (status_id, account_id)
) WITHOUT ROWID;
CREATE INDEX mentions_account ON mentions (account_id, status_id);

CREATE TABLE status_tags (
    tag       TEXT    NOT NULL,
    status_id INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    PRIMARY KEY (tag, status_id)
) WITHOUT ROWID;
CREATE INDEX status_tags_status ON status_tags (status_id);

CREATE TABLE status_edits (
    id           INTEGER PRIMARY KEY,
    status_id    INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    text         TEXT    NOT NULL,
    content_html TEXT    NOT NULL,
    spoiler_text TEXT    NOT NULL,
    sensitive    INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX status_edits_status ON status_edits (status_id, id);

CREATE TABLE favourites (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id  INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX favourites_unique ON favourites (account_id, status_id);
CREATE INDEX favourites_status ON favourites (status_id, id);

CREATE TABLE pins (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id  INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX pins_unique ON pins (account_id, status_id);

CREATE TABLE follows (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    show_reblogs INTEGER NOT NULL DEFAULT 1,
    notify     INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX follows_unique ON follows (account_id, target_id);
CREATE INDEX follows_target ON follows (target_id, id);

CREATE TABLE follow_requests (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX follow_requests_unique ON follow_requests (account_id, target_id);
CREATE INDEX follow_requests_target ON follow_requests (target_id, id);

CREATE TABLE blocks (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX blocks_unique ON blocks (account_id, target_id);
CREATE INDEX blocks_target ON blocks (target_id);

CREATE TABLE mutes (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    notifications INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX mutes_unique ON mutes (account_id, target_id);

CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    from_account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    status_id       INTEGER REFERENCES statuses (id) ON DELETE CASCADE,
    created_at      INTEGER NOT NULL
);
CREATE INDEX notifications_account ON notifications (account_id, id);

CREATE TABLE idempotency_keys (
    account_id INTEGER NOT NULL,
    key        TEXT    NOT NULL,
    status_id  INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
) WITHOUT ROWID;

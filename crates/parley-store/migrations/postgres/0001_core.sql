-- Parley's schema on PostgreSQL: the whole of SQLite's migrations 0001 to
-- 0018 folded into one (PostgreSQL support began after them), with the same
-- tables, columns and index names, so one set of queries reads alike on
-- both and every uniqueness violation names the same constraint
-- (`postgres/constraints.rs`). Versions 0002..0018 are placeholders that keep
-- the numbering in step with `migrations/sqlite/`; later migrations are one
-- file per version in both directories.
--
-- Times are milliseconds since the Unix epoch (BIGINT), IDs time-ordered
-- 64-bit integers, flags BOOLEAN. Counters change only by `x = x + 1` in the
-- transaction of the row that changes them.

CREATE TABLE accounts (
    id              BIGINT  PRIMARY KEY,
    username        TEXT    NOT NULL,
    email           TEXT,
    password_hash   TEXT,
    display_name    TEXT    NOT NULL DEFAULT '',
    note            TEXT    NOT NULL DEFAULT '',
    note_html       TEXT    NOT NULL DEFAULT '',
    fields          TEXT    NOT NULL DEFAULT '[]',
    locked          BOOLEAN NOT NULL DEFAULT FALSE,
    bot             BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      BIGINT  NOT NULL,
    role            TEXT    NOT NULL DEFAULT 'user',
    organisation    TEXT,
    approved        BOOLEAN NOT NULL DEFAULT TRUE,
    suspended       BOOLEAN NOT NULL DEFAULT FALSE,
    followers_count BIGINT  NOT NULL DEFAULT 0,
    following_count BIGINT  NOT NULL DEFAULT 0,
    statuses_count  BIGINT  NOT NULL DEFAULT 0,
    last_status_at  BIGINT,
    -- An account's server: NULL for this one.
    domain          TEXT
);
-- Case-insensitive, as SQLite's COLLATE NOCASE (lookups use lower() too).
CREATE UNIQUE INDEX accounts_username_unique ON accounts (lower(username));
CREATE UNIQUE INDEX accounts_email_unique ON accounts (lower(email));
-- The (few) accounts shown to nobody else (`account_shown`).
CREATE INDEX accounts_hidden ON accounts (id) WHERE suspended OR NOT approved;

CREATE TABLE apps (
    id                 BIGINT PRIMARY KEY,
    name               TEXT   NOT NULL,
    website            TEXT,
    redirect_uris      TEXT   NOT NULL,
    scopes             TEXT   NOT NULL,
    client_id          TEXT   NOT NULL CONSTRAINT apps_client_id UNIQUE,
    client_secret_hash TEXT   NOT NULL,
    created_at         BIGINT NOT NULL
);

CREATE TABLE oauth_grants (
    code_hash             TEXT   CONSTRAINT oauth_grants_pkey PRIMARY KEY,
    app_id                BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    account_id            BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scopes                TEXT   NOT NULL,
    redirect_uri          TEXT   NOT NULL,
    code_challenge        TEXT,
    code_challenge_method TEXT,
    expires_at            BIGINT NOT NULL,
    token_hash            TEXT
);
CREATE INDEX oauth_grants_expiry ON oauth_grants (expires_at);

CREATE TABLE tokens (
    id         BIGINT PRIMARY KEY,
    token_hash TEXT   NOT NULL CONSTRAINT tokens_token_hash UNIQUE,
    app_id     BIGINT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    account_id BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    scopes     TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX tokens_account ON tokens (account_id);
CREATE UNIQUE INDEX tokens_lookup ON tokens (token_hash, app_id, account_id, scopes);

CREATE TABLE statuses (
    id                     BIGINT  PRIMARY KEY,
    account_id             BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    in_reply_to_id         BIGINT,
    in_reply_to_account_id BIGINT,
    reblog_of_id           BIGINT  REFERENCES statuses (id) ON DELETE CASCADE,
    text                   TEXT    NOT NULL,
    content_html           TEXT    NOT NULL,
    spoiler_text           TEXT    NOT NULL DEFAULT '',
    sensitive              BOOLEAN NOT NULL DEFAULT FALSE,
    visibility             TEXT    NOT NULL,
    language               TEXT,
    created_at             BIGINT  NOT NULL,
    edited_at              BIGINT,
    replies_count          BIGINT  NOT NULL DEFAULT 0,
    reblogs_count          BIGINT  NOT NULL DEFAULT 0,
    favourites_count       BIGINT  NOT NULL DEFAULT 0,
    app_id                 BIGINT,
    poll_id                BIGINT
);
CREATE INDEX statuses_account ON statuses (account_id, id);
CREATE INDEX statuses_in_reply_to ON statuses (in_reply_to_id) WHERE in_reply_to_id IS NOT NULL;
CREATE UNIQUE INDEX statuses_reblog_unique ON statuses (account_id, reblog_of_id) WHERE reblog_of_id IS NOT NULL;
CREATE INDEX statuses_reblog_of ON statuses (reblog_of_id) WHERE reblog_of_id IS NOT NULL;
CREATE INDEX statuses_public ON statuses (id) WHERE visibility = 'public' AND reblog_of_id IS NULL;

CREATE TABLE mentions (
    status_id  BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL,
    position   BIGINT NOT NULL,
    CONSTRAINT mentions_pkey PRIMARY KEY (status_id, account_id)
);
CREATE INDEX mentions_account ON mentions (account_id, status_id);

CREATE TABLE status_tags (
    tag       TEXT   NOT NULL,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    position  BIGINT NOT NULL,
    CONSTRAINT status_tags_pkey PRIMARY KEY (tag, status_id)
);
CREATE INDEX status_tags_status ON status_tags (status_id);

CREATE TABLE status_edits (
    id           BIGINT  PRIMARY KEY,
    status_id    BIGINT  NOT NULL REFERENCES statuses (id) ON DELETE CASCADE,
    text         TEXT    NOT NULL,
    content_html TEXT    NOT NULL,
    spoiler_text TEXT    NOT NULL,
    sensitive    BOOLEAN NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX status_edits_status ON status_edits (status_id, id);

CREATE TABLE favourites (
    id         BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id  BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX favourites_unique ON favourites (account_id, status_id);
CREATE INDEX favourites_status ON favourites (status_id, id);

CREATE TABLE pins (
    id         BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id  BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX pins_unique ON pins (account_id, status_id);

CREATE TABLE bookmarks (
    id         BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id  BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX bookmarks_unique ON bookmarks (account_id, status_id);
CREATE INDEX bookmarks_account ON bookmarks (account_id, id);

CREATE TABLE follows (
    id           BIGINT  PRIMARY KEY,
    account_id   BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_id    BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    show_reblogs BOOLEAN NOT NULL DEFAULT TRUE,
    notify       BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX follows_unique ON follows (account_id, target_id);
CREATE INDEX follows_target ON follows (target_id, id);

CREATE TABLE follow_requests (
    id         BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX follow_requests_unique ON follow_requests (account_id, target_id);
CREATE INDEX follow_requests_target ON follow_requests (target_id, id);

CREATE TABLE blocks (
    id         BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX blocks_unique ON blocks (account_id, target_id);
CREATE INDEX blocks_target ON blocks (target_id);
CREATE INDEX blocks_account ON blocks (account_id, id);

CREATE TABLE mutes (
    id            BIGINT  PRIMARY KEY,
    account_id    BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_id     BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    notifications BOOLEAN NOT NULL DEFAULT TRUE,
    expires_at    BIGINT
);
CREATE UNIQUE INDEX mutes_unique ON mutes (account_id, target_id);
CREATE INDEX mutes_expiry ON mutes (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX mutes_account ON mutes (account_id, id);

CREATE TABLE notifications (
    id              BIGINT PRIMARY KEY,
    account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    from_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind            TEXT   NOT NULL,
    status_id       BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
    created_at      BIGINT NOT NULL,
    group_key       TEXT
);
CREATE INDEX notifications_account ON notifications (account_id, id);
CREATE INDEX notifications_group ON notifications (account_id, group_key, id) WHERE group_key IS NOT NULL;

CREATE TABLE idempotency_keys (
    account_id BIGINT NOT NULL,
    key        TEXT   NOT NULL,
    status_id  BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (account_id, key)
);

-- Polls. The ballot rows are the truth: `poll_voters` allows one ballot per
-- account and poll, `poll_votes` holds one row per chosen option,
-- hash-chained per poll in `seq` order. A ballot locks its poll's row
-- (`FOR UPDATE`) to extend the chain, so ballots of one poll commit one
-- after another; tallies change by increments in the ballot's transaction.
CREATE TABLE polls (
    id                   BIGINT  PRIMARY KEY,
    status_id            BIGINT  NOT NULL CONSTRAINT polls_status_id UNIQUE REFERENCES statuses (id) ON DELETE CASCADE,
    account_id           BIGINT  NOT NULL,
    multiple             BOOLEAN NOT NULL,
    hide_totals          BOOLEAN NOT NULL,
    expires_at           BIGINT  NOT NULL,
    created_at           BIGINT  NOT NULL,
    closed               BOOLEAN NOT NULL DEFAULT FALSE,
    votes_count          BIGINT  NOT NULL DEFAULT 0,
    voters_count         BIGINT  NOT NULL DEFAULT 0,
    chain_head           TEXT    NOT NULL,
    vote_seq             BIGINT  NOT NULL DEFAULT 0,
    min_account_age_days BIGINT,
    local_only           BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX polls_open_by_expiry ON polls (expires_at) WHERE NOT closed;

CREATE TABLE poll_options (
    poll_id     BIGINT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    position    BIGINT NOT NULL,
    title       TEXT   NOT NULL,
    votes_count BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT poll_options_pkey PRIMARY KEY (poll_id, position)
);

CREATE TABLE poll_voters (
    poll_id    BIGINT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT poll_voters_pkey PRIMARY KEY (poll_id, account_id)
);

CREATE TABLE poll_votes (
    id         BIGINT PRIMARY KEY,
    poll_id    BIGINT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL,
    choice     BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    seq        BIGINT NOT NULL,
    hash       TEXT   NOT NULL
);
CREATE UNIQUE INDEX poll_votes_unique ON poll_votes (poll_id, account_id, choice);
CREATE UNIQUE INDEX poll_votes_seq ON poll_votes (poll_id, seq);
CREATE INDEX poll_votes_time ON poll_votes (poll_id, created_at);

-- Keys the server signs with (the snapshot key), shared by every node.
CREATE TABLE server_keys (
    name       TEXT   CONSTRAINT server_keys_pkey PRIMARY KEY,
    secret     BYTEA  NOT NULL,
    created_at BIGINT NOT NULL
);

-- The change log (see parley-store's `changes` module). `seq` is taken from
-- the one row of `change_log_head` (`seq = seq + n`), as the last statement
-- of each writing transaction: that row's lock is held until commit, so
-- records commit in `seq` order with no gaps, and a node that reads
-- `seq > applied` can never pass over a record that commits later with a
-- smaller number (a sequence or bigserial could: numbers are drawn in one
-- order and committed in another). See docs/development.md.
CREATE TABLE change_log (
    seq  BIGINT PRIMARY KEY,
    at   BIGINT NOT NULL,
    body TEXT   NOT NULL
);
CREATE TABLE change_log_head (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT  NOT NULL
);
INSERT INTO change_log_head (id, seq) VALUES (1, 0);

-- Node numbers for IDs: each process holds one while it runs (renewed by a
-- heartbeat), so two nodes never make the same ID.
CREATE TABLE nodes (
    node         BIGINT PRIMARY KEY CHECK (node >= 0 AND node < 64),
    pid          BIGINT NOT NULL,
    started_at   BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);

CREATE TABLE markers (
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    timeline     TEXT   NOT NULL,
    last_read_id BIGINT NOT NULL,
    version      BIGINT NOT NULL DEFAULT 0,
    updated_at   BIGINT NOT NULL,
    CONSTRAINT markers_pkey PRIMARY KEY (account_id, timeline)
);

CREATE TABLE posting_defaults (
    account_id BIGINT  PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    visibility TEXT    NOT NULL,
    sensitive  BOOLEAN NOT NULL,
    language   TEXT
);

CREATE TABLE conversations (
    id             BIGINT  PRIMARY KEY,
    account_id     BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    root_id        BIGINT  NOT NULL,
    participants   TEXT    NOT NULL,
    last_status_id BIGINT  NOT NULL,
    unread         BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX conversations_unique ON conversations (account_id, root_id, participants);
CREATE INDEX conversations_account ON conversations (account_id, last_status_id);
CREATE TABLE conversation_statuses (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    status_id       BIGINT NOT NULL,
    CONSTRAINT conversation_statuses_pkey PRIMARY KEY (conversation_id, status_id)
);
CREATE INDEX conversation_statuses_status ON conversation_statuses (status_id);

CREATE TABLE scheduled_statuses (
    id           BIGINT PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scheduled_at BIGINT NOT NULL,
    params       TEXT   NOT NULL
);
CREATE INDEX scheduled_statuses_account ON scheduled_statuses (account_id, id);
CREATE INDEX scheduled_statuses_due ON scheduled_statuses (scheduled_at);

CREATE TABLE lists (
    id             BIGINT  PRIMARY KEY,
    account_id     BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title          TEXT    NOT NULL,
    replies_policy TEXT    NOT NULL DEFAULT 'list' CHECK (replies_policy IN ('followed', 'list', 'none')),
    exclusive      BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX lists_account ON lists (account_id, id);
-- A member is an account the owner follows: the foreign key on the follow
-- takes it out of the owner's lists when the follow ends.
CREATE TABLE list_accounts (
    id         BIGINT PRIMARY KEY,
    list_id    BIGINT NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    owner_id   BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    FOREIGN KEY (owner_id, account_id) REFERENCES follows (account_id, target_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX list_accounts_unique ON list_accounts (list_id, account_id);
CREATE INDEX list_accounts_member ON list_accounts (owner_id, account_id);

CREATE TABLE filters (
    id         BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title      TEXT   NOT NULL,
    contexts   TEXT   NOT NULL,
    action     TEXT   NOT NULL CHECK (action IN ('warn', 'hide', 'blur')),
    expires_at BIGINT
);
CREATE INDEX filters_account ON filters (account_id, id);
CREATE TABLE filter_keywords (
    id         BIGINT  PRIMARY KEY,
    filter_id  BIGINT  NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    keyword    TEXT    NOT NULL,
    whole_word BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX filter_keywords_filter ON filter_keywords (filter_id, id);
CREATE TABLE filter_statuses (
    id        BIGINT PRIMARY KEY,
    filter_id BIGINT NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    status_id BIGINT NOT NULL REFERENCES statuses (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX filter_statuses_unique ON filter_statuses (filter_id, status_id);

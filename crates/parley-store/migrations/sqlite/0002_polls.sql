-- Polls. The ballot rows are the truth: `poll_voters` allows one ballot per
-- account and poll (a double vote is impossible at any timing), `poll_votes`
-- holds one row per chosen option, hash-chained per poll in `seq` order.
-- Tallies (`poll_options.votes_count`, `polls.votes_count`, `voters_count`)
-- change only by atomic increments in the ballot's own transaction; the
-- recount (`parley admin polls verify`) checks them against the rows.

CREATE TABLE polls (
    id           INTEGER PRIMARY KEY,
    status_id    INTEGER NOT NULL UNIQUE REFERENCES statuses (id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL,
    multiple     INTEGER NOT NULL,
    hide_totals  INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    -- 1 once the end was processed (notifications sent): exactly once.
    closed       INTEGER NOT NULL DEFAULT 0,
    votes_count  INTEGER NOT NULL DEFAULT 0,
    voters_count INTEGER NOT NULL DEFAULT 0,
    -- The hash of the last vote row (or the genesis), and its sequence number.
    chain_head   TEXT    NOT NULL,
    vote_seq     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX polls_open_by_expiry ON polls (expires_at) WHERE closed = 0;

CREATE TABLE poll_options (
    poll_id     INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    title       TEXT    NOT NULL,
    votes_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (poll_id, position)
) WITHOUT ROWID;

CREATE TABLE poll_voters (
    poll_id    INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (poll_id, account_id)
) WITHOUT ROWID;

CREATE TABLE poll_votes (
    id         INTEGER PRIMARY KEY,
    poll_id    INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL,
    choice     INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    hash       TEXT    NOT NULL
);
CREATE UNIQUE INDEX poll_votes_unique ON poll_votes (poll_id, account_id, choice);
CREATE UNIQUE INDEX poll_votes_seq ON poll_votes (poll_id, seq);
CREATE INDEX poll_votes_time ON poll_votes (poll_id, created_at);

-- Keys the server signs with (the snapshot key), shared by every node.
CREATE TABLE server_keys (
    name       TEXT    PRIMARY KEY,
    secret     BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);

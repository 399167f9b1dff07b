-- Each poll's transparency log (RFC 9162 Merkle tree; parley-core `tlog`).
-- A ballot is a leaf, appended in the ballot's own transaction: its index is
-- `polls.log_size` then, incremented there (the writer is single, so no two
-- ballots get the same index). A leaf holds the poll, round, choices, time and
-- a commitment to a secret only the voter was given — never the voter.
-- `poll_voters.leaf_index` ties a ballot to its leaf for the audit (ballots
-- recorded before this migration have none: the log starts here).
ALTER TABLE polls ADD COLUMN log_size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE poll_voters ADD COLUMN leaf_index INTEGER;

CREATE TABLE poll_log_leaves (
    poll_id    INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    leaf_index INTEGER NOT NULL,
    data       BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (poll_id, leaf_index)
) WITHOUT ROWID;

-- The hash of every complete aligned subtree: level 0 the leaf hashes, level
-- L index i the subtree over leaves [i * 2^L, (i + 1) * 2^L).
CREATE TABLE poll_log_hashes (
    poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    level   INTEGER NOT NULL,
    idx     INTEGER NOT NULL,
    hash    BLOB    NOT NULL,
    PRIMARY KEY (poll_id, level, idx)
) WITHOUT ROWID;

-- Signed checkpoints (C2SP tlog-checkpoint in a signed note), one per tree
-- size, the first signed at a size kept for good.
CREATE TABLE poll_checkpoints (
    poll_id    INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    tree_size  INTEGER NOT NULL,
    root       BLOB    NOT NULL,
    note       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (poll_id, tree_size)
) WITHOUT ROWID;

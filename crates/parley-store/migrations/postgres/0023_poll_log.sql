-- Each poll's transparency log (see the SQLite migration of the same
-- number). A ballot's leaf is appended in the ballot's transaction at index
-- `polls.log_size`, read and incremented under the poll row's lock
-- (`FOR UPDATE`), so concurrent ballots never share an index.
ALTER TABLE polls ADD COLUMN log_size BIGINT NOT NULL DEFAULT 0;
ALTER TABLE poll_voters ADD COLUMN leaf_index BIGINT;

CREATE TABLE poll_log_leaves (
    poll_id    BIGINT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    leaf_index BIGINT NOT NULL,
    data       BYTEA  NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT poll_log_leaves_pkey PRIMARY KEY (poll_id, leaf_index)
);

-- The hash of every complete aligned subtree: level 0 the leaf hashes, level
-- L index i the subtree over leaves [i * 2^L, (i + 1) * 2^L).
CREATE TABLE poll_log_hashes (
    poll_id BIGINT   NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    level   SMALLINT NOT NULL,
    idx     BIGINT   NOT NULL,
    hash    BYTEA    NOT NULL,
    CONSTRAINT poll_log_hashes_pkey PRIMARY KEY (poll_id, level, idx)
);

-- Signed checkpoints, one per tree size, the first signed at a size kept.
CREATE TABLE poll_checkpoints (
    poll_id    BIGINT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    tree_size  BIGINT NOT NULL,
    root       BYTEA  NOT NULL,
    note       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT poll_checkpoints_pkey PRIMARY KEY (poll_id, tree_size)
);

-- Witnesses' cosignatures of a poll's checkpoints (see the SQLite migration
-- of the same number); a witness key's first for a size stays.
CREATE TABLE poll_cosignatures (
    poll_id    BIGINT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    tree_size  BIGINT NOT NULL,
    witness    TEXT   NOT NULL,
    public_key BYTEA  NOT NULL,
    line       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT poll_cosignatures_pkey PRIMARY KEY (poll_id, tree_size, witness, public_key)
);

-- Witnesses' cosignatures (C2SP tlog-cosignature) of a poll's checkpoints:
-- the signature line as the witness wrote it, checked against the server's
-- own checkpoint at that size before it is kept. The first one a witness key
-- gives for a size stays.
CREATE TABLE poll_cosignatures (
    poll_id    INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    tree_size  INTEGER NOT NULL,
    witness    TEXT    NOT NULL,
    public_key BLOB    NOT NULL,
    line       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (poll_id, tree_size, witness, public_key)
) WITHOUT ROWID;

-- The change log: every write appends what it changed, in its own
-- transaction; every process applies it, in order, to what it keeps in memory
-- (see parley-store's `changes` module and docs/development.md). AUTOINCREMENT
-- so that a sequence number is never used twice, even after pruning.
-- No index on `at`: times grow with the sequence, so pruning finds its cut
-- by a binary search over `seq` (each step one primary-key lookup), and no
-- write pays for a second B-tree.
CREATE TABLE change_log (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    at   INTEGER NOT NULL,
    body TEXT NOT NULL
);

-- Node numbers for IDs: each process that writes holds one while it runs
-- (renewed by a heartbeat), so two processes never make the same ID.
CREATE TABLE nodes (
    node         INTEGER PRIMARY KEY CHECK (node >= 0 AND node < 64),
    pid          INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
);

-- Replaced by the change log: a revocation is a record that forgets one token.
DROP TABLE auth_generation;

-- The keys the server signs snapshots and checkpoints with, oldest first.
-- The newest signs; older ones are kept so that what they signed still
-- verifies against a key the server publishes (rotation adds a row, never
-- replaces one). The first key is the one `server_keys` held until now.
CREATE TABLE signing_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    secret     BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO signing_keys (secret, created_at)
    SELECT secret, created_at FROM server_keys WHERE name = 'snapshot-ed25519';

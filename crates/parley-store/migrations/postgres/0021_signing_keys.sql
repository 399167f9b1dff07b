-- The keys the server signs snapshots and checkpoints with, oldest first
-- (see the SQLite migration of the same number). The newest signs; older
-- ones are kept so what they signed still verifies. The first key is the
-- one `server_keys` held until now.
CREATE TABLE signing_keys (
    id         BIGINT GENERATED ALWAYS AS IDENTITY CONSTRAINT signing_keys_pkey PRIMARY KEY,
    secret     BYTEA  NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO signing_keys (secret, created_at)
    SELECT secret, created_at FROM server_keys WHERE name = 'snapshot-ed25519';

-- A counter bumped in the same transaction as every change that can end a
-- token's validity (revocation, password reset, suspension, approval, role).
-- Servers cache identities in memory and drop the cache when it moves, so a
-- revocation made by another process (the CLI) takes effect on the next request.
CREATE TABLE auth_generation (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO auth_generation (id, value) VALUES (1, 0);

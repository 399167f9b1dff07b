-- Every authenticated request starts by finding its token by hash. An index
-- that covers what the lookup reads makes that one B-tree descent instead of
-- two (the unique index, then the table by rowid). Under a viral poll each
-- of 100,000 first-seen voters' tokens is such a lookup, and in WAL mode a
-- reader's page cache is dropped after every commit, so each page read is a
-- read from the file.
CREATE UNIQUE INDEX tokens_lookup ON tokens (token_hash, app_id, account_id, scopes);

-- Mutes may end by themselves (`duration`): the mute expirer deletes them
-- when `expires_at` passes. Blocks and mutes are listed by their own IDs.
ALTER TABLE mutes ADD COLUMN expires_at INTEGER;
CREATE INDEX mutes_expiry ON mutes (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX mutes_account ON mutes (account_id, id);
CREATE INDEX blocks_account ON blocks (account_id, id);

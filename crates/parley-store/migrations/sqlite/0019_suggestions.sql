-- Follow suggestions: official (organisation) accounts first, then the most
-- followed. The index is walked in that order, so a page of suggestions reads
-- only the accounts it skips (already followed, blocked, dismissed) and the
-- ones it returns, whatever the number of accounts.
CREATE INDEX accounts_suggested ON accounts ((organisation IS NOT NULL) DESC, followers_count DESC, id DESC)
    WHERE suspended = 0 AND approved = 1;

-- Suggestions an account dismissed (`DELETE /api/v1/suggestions/:id`).
CREATE TABLE suggestion_dismissals (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, target_id)
) WITHOUT ROWID;

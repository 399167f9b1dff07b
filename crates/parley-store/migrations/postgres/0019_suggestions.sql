-- Follow suggestions: official (organisation) accounts first, then the most
-- followed, walked in this index's order (see the SQLite migration of the
-- same number).
CREATE INDEX accounts_suggested ON accounts ((organisation IS NOT NULL) DESC, followers_count DESC, id DESC)
    WHERE NOT suspended AND approved;

-- Suggestions an account dismissed (`DELETE /api/v1/suggestions/:id`).
CREATE TABLE suggestion_dismissals (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    target_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    CONSTRAINT suggestion_dismissals_pkey PRIMARY KEY (account_id, target_id)
);

-- An account's posting defaults (Mastodon's `source[privacy]`,
-- `source[sensitive]`, `source[language]`): used when a new status names
-- none, shown in `source` and `/api/v1/preferences`. No row: the defaults
-- (public, not sensitive, no language).
CREATE TABLE posting_defaults (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    visibility TEXT    NOT NULL,
    sensitive  INTEGER NOT NULL,
    language   TEXT
);

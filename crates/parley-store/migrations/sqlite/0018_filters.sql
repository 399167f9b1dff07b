-- Filters (Mastodon's v2 custom filters): an account's keywords and
-- statuses to warn about or hide, in the contexts it names
-- (https://docs.joinmastodon.org/methods/filters/).
CREATE TABLE filters (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    -- The contexts, comma-separated (home, notifications, public, thread, account).
    contexts    TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('warn', 'hide', 'blur')),
    expires_at  INTEGER
);
CREATE INDEX filters_account ON filters (account_id, id);

CREATE TABLE filter_keywords (
    id         INTEGER PRIMARY KEY,
    filter_id  INTEGER NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    keyword    TEXT NOT NULL,
    whole_word INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX filter_keywords_filter ON filter_keywords (filter_id, id);

CREATE TABLE filter_statuses (
    id        INTEGER PRIMARY KEY,
    filter_id INTEGER NOT NULL REFERENCES filters (id) ON DELETE CASCADE,
    status_id INTEGER NOT NULL REFERENCES statuses (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX filter_statuses_unique ON filter_statuses (filter_id, status_id);

-- Conversations (Mastodon's account conversations): each account's
-- direct-message threads, one per (thread, set of other participants).
-- `root_id` is the thread's first status (a reply's conversation is its
-- parent's); `participants` the other accounts, a sorted JSON array.
-- Listed newest last status first, paged by `last_status_id` as Mastodon.
CREATE TABLE conversations (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    root_id        INTEGER NOT NULL,
    participants   TEXT    NOT NULL,
    last_status_id INTEGER NOT NULL,
    unread         INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX conversations_unique ON conversations (account_id, root_id, participants);
CREATE INDEX conversations_account ON conversations (account_id, last_status_id);
-- The statuses of each conversation, so a deleted status leaves it (and the
-- last one takes the conversation with it).
CREATE TABLE conversation_statuses (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    status_id       INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, status_id)
) WITHOUT ROWID;
CREATE INDEX conversation_statuses_status ON conversation_statuses (status_id);

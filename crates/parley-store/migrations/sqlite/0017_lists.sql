-- Lists: accounts an account follows, read as a timeline of their own
-- (https://docs.joinmastodon.org/methods/lists/).
CREATE TABLE lists (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    title          TEXT NOT NULL,
    replies_policy TEXT NOT NULL DEFAULT 'list' CHECK (replies_policy IN ('followed', 'list', 'none')),
    exclusive      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX lists_account ON lists (account_id, id);

-- A member is an account the list's owner follows, as in Mastodon (a list
-- account belongs to a follow): the foreign key on the follow makes an
-- unfollow, or a block that severs the follow, take the account out of the
-- owner's lists in the same transaction.
CREATE TABLE list_accounts (
    id         INTEGER PRIMARY KEY,
    list_id    INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
    owner_id   INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    FOREIGN KEY (owner_id, account_id) REFERENCES follows (account_id, target_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX list_accounts_unique ON list_accounts (list_id, account_id);
CREATE INDEX list_accounts_member ON list_accounts (owner_id, account_id);

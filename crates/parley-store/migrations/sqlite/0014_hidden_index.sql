-- The (few) accounts shown to nobody else, suspended or awaiting approval
-- (`account_shown`), found without reading every account: the home timeline
-- asks for them on every read. Replaces the index of suspended ones only.
DROP INDEX accounts_suspended;
CREATE INDEX accounts_hidden ON accounts (id) WHERE suspended = 1 OR approved = 0;

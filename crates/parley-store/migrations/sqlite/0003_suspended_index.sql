-- The (few) suspended accounts, found without reading every account: the home
-- timeline asks for them on every read.
CREATE INDEX accounts_suspended ON accounts (id) WHERE suspended = 1;

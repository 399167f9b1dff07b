-- Who may vote in a poll (Parley's own, chosen by its author; open by
-- default): voters' accounts at least `min_account_age_days` old (NULL: any
-- age), and with `local_only`, accounts of this server only.
ALTER TABLE polls ADD COLUMN min_account_age_days INTEGER;
ALTER TABLE polls ADD COLUMN local_only INTEGER NOT NULL DEFAULT 0;

-- An account's server: NULL for this one. Every account is local until
-- federation brings remote ones; poll eligibility already reads it.
ALTER TABLE accounts ADD COLUMN domain TEXT;

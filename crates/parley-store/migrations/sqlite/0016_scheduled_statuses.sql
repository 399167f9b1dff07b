-- Statuses to publish later. `params` is the request as it was checked
-- (JSON: text, visibility, poll…), published by the scheduler in the same
-- transaction that deletes the row, so each is published once.
CREATE TABLE scheduled_statuses (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scheduled_at INTEGER NOT NULL,
    params       TEXT    NOT NULL
);
CREATE INDEX scheduled_statuses_account ON scheduled_statuses (account_id, id);
CREATE INDEX scheduled_statuses_due ON scheduled_statuses (scheduled_at);

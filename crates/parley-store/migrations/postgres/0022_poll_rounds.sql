-- Poll history is append-only (see the SQLite migration of the same number):
-- editing a poll's options or `multiple` starts a new round (`polls.round`),
-- earlier rounds' ballots stay, closed; every version of a poll is kept with
-- the moment it took effect.
ALTER TABLE polls ADD COLUMN round BIGINT NOT NULL DEFAULT 0;

CREATE TABLE poll_versions (
    poll_id     BIGINT  NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    version     BIGINT  NOT NULL,
    round       BIGINT  NOT NULL,
    -- The option titles in order, as a JSON array.
    options     TEXT    NOT NULL,
    multiple    BOOLEAN NOT NULL,
    hide_totals BOOLEAN NOT NULL,
    expires_at  BIGINT  NOT NULL,
    started_at  BIGINT  NOT NULL,
    CONSTRAINT poll_versions_pkey PRIMARY KEY (poll_id, version)
);

INSERT INTO poll_versions (poll_id, version, round, options, multiple, hide_totals, expires_at, started_at)
    SELECT id, 0, 0,
           coalesce((SELECT json_agg(title ORDER BY position)::text FROM poll_options o WHERE o.poll_id = polls.id),
                    '[]'),
           multiple, hide_totals, expires_at, created_at
    FROM polls;

-- One ballot per account, poll and round.
ALTER TABLE poll_voters ADD COLUMN round BIGINT NOT NULL DEFAULT 0;
ALTER TABLE poll_voters DROP CONSTRAINT poll_voters_pkey;
ALTER TABLE poll_voters ADD CONSTRAINT poll_voters_pkey PRIMARY KEY (poll_id, round, account_id);

ALTER TABLE poll_votes ADD COLUMN round BIGINT NOT NULL DEFAULT 0;
DROP INDEX poll_votes_unique;
CREATE UNIQUE INDEX poll_votes_unique ON poll_votes (poll_id, round, account_id, choice);

-- Poll history is append-only. Editing a poll's options or `multiple` starts
-- a new round (`polls.round`): the ballots of earlier rounds stay, closed,
-- and only the current round's are counted. Every version of a poll (its
-- options, `multiple`, hidden totals and end, and the round they belong to)
-- is kept with the moment it took effect, so a snapshot of a past moment
-- shows the poll as it was then. `poll_options` holds the current round's
-- options and tallies only.
ALTER TABLE polls ADD COLUMN round INTEGER NOT NULL DEFAULT 0;

CREATE TABLE poll_versions (
    poll_id     INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    round       INTEGER NOT NULL,
    -- The option titles in order, as a JSON array.
    options     TEXT    NOT NULL,
    multiple    INTEGER NOT NULL,
    hide_totals INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    PRIMARY KEY (poll_id, version)
) WITHOUT ROWID;

INSERT INTO poll_versions (poll_id, version, round, options, multiple, hide_totals, expires_at, started_at)
    SELECT id, 0, 0,
           (SELECT json_group_array(title) FROM
               (SELECT title FROM poll_options o WHERE o.poll_id = polls.id ORDER BY position)),
           multiple, hide_totals, expires_at, created_at
    FROM polls;

-- One ballot per account, poll and round.
CREATE TABLE poll_voters_by_round (
    poll_id    INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    round      INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (poll_id, round, account_id)
) WITHOUT ROWID;
INSERT INTO poll_voters_by_round (poll_id, round, account_id, created_at)
    SELECT poll_id, 0, account_id, created_at FROM poll_voters;
DROP TABLE poll_voters;
ALTER TABLE poll_voters_by_round RENAME TO poll_voters;

ALTER TABLE poll_votes ADD COLUMN round INTEGER NOT NULL DEFAULT 0;
DROP INDEX poll_votes_unique;
CREATE UNIQUE INDEX poll_votes_unique ON poll_votes (poll_id, round, account_id, choice);
-- No index by round and time: a snapshot's tally reads `poll_votes_time`
-- (poll and time) and filters the round; one index fewer to keep per vote.

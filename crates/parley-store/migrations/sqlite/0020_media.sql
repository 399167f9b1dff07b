-- Media attachments. A row is an upload; `status_id` is set when a status is
-- posted (or edited) with it, and `position` is its place among the status's
-- current attachments. An edit that drops an attachment keeps the row with
-- `position` NULL: the edit history still shows it. File names are content
-- hashes, so two rows may share a file: a file is deleted only when no row
-- (and no avatar or header) names it.
CREATE TABLE media_attachments (
    id                 INTEGER PRIMARY KEY,
    account_id         INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id          INTEGER REFERENCES statuses (id) ON DELETE CASCADE,
    position           INTEGER,
    kind               TEXT    NOT NULL,
    file_name          TEXT    NOT NULL,
    content_type       TEXT    NOT NULL,
    width              INTEGER NOT NULL,
    height             INTEGER NOT NULL,
    size               INTEGER NOT NULL,
    small_name         TEXT    NOT NULL,
    small_content_type TEXT    NOT NULL,
    small_width        INTEGER NOT NULL,
    small_height       INTEGER NOT NULL,
    small_size         INTEGER NOT NULL,
    description        TEXT,
    focus_x            REAL,
    focus_y            REAL,
    blurhash           TEXT    NOT NULL,
    created_at         INTEGER NOT NULL
);
CREATE INDEX media_attachments_status ON media_attachments (status_id, position) WHERE status_id IS NOT NULL;
CREATE INDEX media_attachments_unattached ON media_attachments (created_at) WHERE status_id IS NULL;
CREATE INDEX media_attachments_file ON media_attachments (file_name);
CREATE INDEX media_attachments_small ON media_attachments (small_name);

-- Each version in the history keeps the attachments it had, as they were
-- (JSON of the domain type, descriptions included).
ALTER TABLE status_edits ADD COLUMN media TEXT NOT NULL DEFAULT '[]';

-- The stored avatar and header images; NULL for the default ones.
ALTER TABLE accounts ADD COLUMN avatar TEXT;
ALTER TABLE accounts ADD COLUMN header TEXT;

-- Media attachments (see the SQLite migration of the same number).
CREATE TABLE media_attachments (
    id                 BIGINT PRIMARY KEY,
    account_id         BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status_id          BIGINT REFERENCES statuses (id) ON DELETE CASCADE,
    position           INTEGER,
    kind               TEXT    NOT NULL,
    file_name          TEXT    NOT NULL,
    content_type       TEXT    NOT NULL,
    width              BIGINT  NOT NULL,
    height             BIGINT  NOT NULL,
    size               BIGINT  NOT NULL,
    small_name         TEXT    NOT NULL,
    small_content_type TEXT    NOT NULL,
    small_width        BIGINT  NOT NULL,
    small_height       BIGINT  NOT NULL,
    small_size         BIGINT  NOT NULL,
    description        TEXT,
    focus_x            DOUBLE PRECISION,
    focus_y            DOUBLE PRECISION,
    blurhash           TEXT    NOT NULL,
    created_at         BIGINT  NOT NULL
);
CREATE INDEX media_attachments_status ON media_attachments (status_id, position) WHERE status_id IS NOT NULL;
CREATE INDEX media_attachments_unattached ON media_attachments (created_at) WHERE status_id IS NULL;
CREATE INDEX media_attachments_file ON media_attachments (file_name);
CREATE INDEX media_attachments_small ON media_attachments (small_name);

ALTER TABLE status_edits ADD COLUMN media TEXT NOT NULL DEFAULT '[]';

ALTER TABLE accounts ADD COLUMN avatar TEXT;
ALTER TABLE accounts ADD COLUMN header TEXT;

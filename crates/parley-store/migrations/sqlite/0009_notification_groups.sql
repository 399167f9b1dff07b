-- Grouped notifications (Mastodon 4.3): each favourite, boost and follow
-- notification carries the key of its group, set when it is made (see
-- parley-core's `grouping`). Notifications made before this migration are
-- grouped by the hour-bucket they were made in.
ALTER TABLE notifications ADD COLUMN group_key TEXT;
UPDATE notifications SET group_key = CASE
    WHEN kind IN ('favourite', 'reblog') AND status_id IS NOT NULL
        THEN kind || '-' || status_id || '-' || (created_at / 3600000)
    WHEN kind = 'follow' THEN 'follow-' || (created_at / 3600000)
END;
CREATE INDEX notifications_group ON notifications (account_id, group_key, id) WHERE group_key IS NOT NULL;

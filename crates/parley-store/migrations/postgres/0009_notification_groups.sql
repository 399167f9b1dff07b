-- Folded into 0001_core.sql (PostgreSQL support began after SQLite's 0009_notification_groups);
-- kept so both directories list the same versions.
SELECT 1;

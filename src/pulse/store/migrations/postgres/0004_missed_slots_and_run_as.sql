-- Missed slots are recorded on the job (how many in all, and the last gap: how many, between
-- which slots); a job may run its commands as another user.
ALTER TABLE scheduled_jobs ADD COLUMN missed_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE scheduled_jobs ADD COLUMN last_missed_count BIGINT;
ALTER TABLE scheduled_jobs ADD COLUMN last_missed_from TEXT;
ALTER TABLE scheduled_jobs ADD COLUMN last_missed_to TEXT;
ALTER TABLE scheduled_jobs ADD COLUMN run_as TEXT;

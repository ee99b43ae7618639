-- Cancel, re-run and retries.
--
-- A cancel is asked for on the execution (cancel_requested_at: the node running it stops it, on
-- hearing of it or at its next heartbeat at the latest) and recorded when the run ends
-- (cancelled_at). A job may retry a failed run (max_attempts, retry_backoff_seconds); a retry is
-- a run request that waits until run_after. Re-runs and retries point at the execution they run
-- again (rerun_of), which then finds them by this index.
ALTER TABLE pulse_executions ADD COLUMN cancel_requested_at TEXT;
ALTER TABLE pulse_executions ADD COLUMN cancelled_at TEXT;
ALTER TABLE scheduled_jobs ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 1;
ALTER TABLE scheduled_jobs ADD COLUMN retry_backoff_seconds REAL NOT NULL DEFAULT 10;
ALTER TABLE pulse_run_requests ADD COLUMN run_after TEXT;
CREATE INDEX idx_pulse_executions_rerun_of ON pulse_executions(rerun_of) WHERE rerun_of IS NOT NULL;

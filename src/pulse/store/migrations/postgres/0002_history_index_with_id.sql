-- A page of history is ordered by (started_at, id). With id in the index too, a page at any
-- offset is read in order from the index alone, instead of sorting executions that started in
-- the same millisecond in a temporary tree (which costs a table read for every skipped row).
DROP INDEX idx_pulse_executions_job_started;
DROP INDEX idx_pulse_executions_job_status_started;
CREATE INDEX idx_pulse_executions_job_started
    ON pulse_executions(scheduled_job_id, started_at, id);
CREATE INDEX idx_pulse_executions_job_status_started
    ON pulse_executions(scheduled_job_id, status, started_at, id);

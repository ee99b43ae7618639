-- Queries of the SQLite store, one named block each, loaded by pulse.store.queries.

-- name: get_job
SELECT j.*, e.status AS last_status, e.duration_ms AS last_duration_ms
FROM scheduled_jobs j LEFT JOIN pulse_executions e ON e.id = j.last_execution_id
WHERE j.id = :id;

-- name: get_jobs
-- For the workers, which need the definitions, not the last execution.
SELECT j.*, NULL AS last_status, NULL AS last_duration_ms
FROM scheduled_jobs j
WHERE j.id IN (SELECT value FROM json_each(:ids));

-- name: list_jobs
SELECT j.*, e.status AS last_status, e.duration_ms AS last_duration_ms
FROM scheduled_jobs j LEFT JOIN pulse_executions e ON e.id = j.last_execution_id
ORDER BY j.name, j.id;

-- name: insert_job
INSERT INTO scheduled_jobs (
    id, name, description, cron, timezone, interval_seconds, command, cwd, env, handler, payload,
    state, timeout_seconds, overlap, next_run_at, last_run_at, last_execution_id, skipped_count,
    last_skipped_at, created_at, updated_at
) VALUES (
    :id, :name, :description, :cron, :timezone, :interval_seconds, :command, :cwd, :env, :handler,
    :payload, :state, :timeout_seconds, :overlap, :next_run_at, :last_run_at, :last_execution_id,
    :skipped_count, :last_skipped_at, :created_at, :updated_at
);

-- name: update_job
UPDATE scheduled_jobs SET
    name = :name, description = :description, cron = :cron, timezone = :timezone,
    interval_seconds = :interval_seconds, command = :command, cwd = :cwd, env = :env,
    handler = :handler, payload = :payload, state = :state, timeout_seconds = :timeout_seconds,
    overlap = :overlap, next_run_at = :next_run_at, updated_at = :updated_at
WHERE id = :id;

-- name: delete_job_logs
DELETE FROM pulse_execution_logs
WHERE execution_id IN (SELECT id FROM pulse_executions WHERE scheduled_job_id = :id);

-- name: delete_job_executions
DELETE FROM pulse_executions WHERE scheduled_job_id = :id;

-- name: delete_job_counts
DELETE FROM pulse_execution_counts WHERE scheduled_job_id = :id;

-- name: delete_job_run_requests
DELETE FROM pulse_run_requests WHERE scheduled_job_id = :id;

-- name: delete_job
DELETE FROM scheduled_jobs WHERE id = :id;

-- name: due_jobs
-- Served by idx_scheduled_jobs_due; earliest slot first so no job starves behind a busy one.
SELECT j.*, NULL AS last_status, NULL AS last_duration_ms
FROM scheduled_jobs j
WHERE j.state = 'active' AND j.next_run_at IS NOT NULL AND j.next_run_at <= :now
ORDER BY j.next_run_at, j.id
LIMIT :limit;

-- name: due_slots
-- due_jobs with only what the ticker needs (it runs for every due slot).
SELECT id, cron, timezone, interval_seconds, next_run_at, overlap
FROM scheduled_jobs
WHERE state = 'active' AND next_run_at IS NOT NULL AND next_run_at <= :now
ORDER BY next_run_at, id
LIMIT :limit;

-- name: advance_job
-- Whoever moves next_run_at away from the value it read owns the slot.
UPDATE scheduled_jobs SET next_run_at = :new_next_run_at
WHERE id = :id AND next_run_at = :expected AND state = 'active';

-- name: job_has_run_request
SELECT 1 FROM pulse_run_requests WHERE scheduled_job_id = :id LIMIT 1;

-- name: count_skip
UPDATE scheduled_jobs SET skipped_count = skipped_count + 1, last_skipped_at = :now
WHERE id = :id;

-- name: job_exists
SELECT 1 FROM scheduled_jobs WHERE id = :id;

-- name: insert_run_request
INSERT INTO pulse_run_requests (
    id, scheduled_job_id, execution_id, trigger, scheduled_for, attempt, rerun_of, status,
    created_at
) VALUES (
    :id, :scheduled_job_id, :execution_id, :trigger, :scheduled_for, :attempt, :rerun_of, 'queued',
    :created_at
);

-- name: claim_run_requests
-- Oldest first: a steady stream of new requests must never starve old ones. SQLite has a single
-- writer, so selecting and updating inside one write transaction is already exclusive.
UPDATE pulse_run_requests SET status = 'claimed', node_id = :node_id, claimed_at = :now
WHERE id IN (
    SELECT id FROM pulse_run_requests WHERE status = 'queued'
    ORDER BY created_at, id LIMIT :limit
)
RETURNING *;

-- name: mark_run_request_running
UPDATE pulse_run_requests SET status = 'running' WHERE id = :id;

-- name: insert_execution
-- Nothing is inserted for a job deleted since its request was claimed (its request went too).
INSERT INTO pulse_executions (
    id, scheduled_job_id, async_job_id, status, started_at, completed_at, duration_ms,
    result_summary, error_message, created_at, updated_at, scheduled_for, trigger, attempt,
    rerun_of, node_id, exit_code, log_bytes, log_dropped_bytes
)
SELECT
    :id, :scheduled_job_id, :async_job_id, :status, :started_at, :completed_at, :duration_ms,
    :result_summary, :error_message, :created_at, :updated_at, :scheduled_for, :trigger, :attempt,
    :rerun_of, :node_id, :exit_code, :log_bytes, :log_dropped_bytes
WHERE EXISTS (SELECT 1 FROM scheduled_jobs WHERE id = :scheduled_job_id);

-- name: executions_among
SELECT id FROM pulse_executions WHERE id IN (SELECT value FROM json_each(:ids));

-- name: set_job_last_run
UPDATE scheduled_jobs SET last_run_at = :started_at, last_execution_id = :id
WHERE id = :scheduled_job_id;

-- name: insert_log_chunk
INSERT INTO pulse_execution_logs (execution_id, seq, ts, stream, text)
VALUES (:execution_id, :seq, :ts, :stream, :text);

-- name: finish_execution
-- Only a running execution changes: the row count tells the one caller that announces the end.
UPDATE pulse_executions SET
    status = :status, completed_at = :completed_at, duration_ms = :duration_ms,
    result_summary = :result_summary, error_message = :error_message, exit_code = :exit_code,
    log_bytes = :log_bytes, log_dropped_bytes = :log_dropped_bytes, updated_at = :completed_at,
    logs = :logs
WHERE id = :id AND status = 'running'
RETURNING *;

-- name: copy_small_log
-- The seed's logs column holds the whole log of small executions, for readers of the table.
UPDATE pulse_executions SET logs = (
    SELECT group_concat(text, '') FROM (
        SELECT text FROM pulse_execution_logs WHERE execution_id = :id ORDER BY seq
    )
)
WHERE id = :id;

-- name: delete_run_request_of
DELETE FROM pulse_run_requests WHERE execution_id = :id;

-- name: get_execution
SELECT * FROM pulse_executions WHERE id = :id;

-- name: list_executions
SELECT id, scheduled_job_id, async_job_id, status, started_at, completed_at, duration_ms,
       result_summary, error_message, created_at, updated_at, scheduled_for, trigger, attempt,
       rerun_of, node_id, exit_code, log_bytes, log_dropped_bytes
FROM pulse_executions INDEXED BY idx_pulse_executions_job_started
WHERE scheduled_job_id = :job_id
ORDER BY started_at DESC, id DESC
LIMIT :limit OFFSET :offset;

-- name: list_executions_by_status
SELECT id, scheduled_job_id, async_job_id, status, started_at, completed_at, duration_ms,
       result_summary, error_message, created_at, updated_at, scheduled_for, trigger, attempt,
       rerun_of, node_id, exit_code, log_bytes, log_dropped_bytes
FROM pulse_executions INDEXED BY idx_pulse_executions_job_status_started
WHERE scheduled_job_id = :job_id AND status = :status
ORDER BY started_at DESC, id DESC
LIMIT :limit OFFSET :offset;

-- name: count_executions
SELECT coalesce(sum(n), 0) FROM pulse_execution_counts WHERE scheduled_job_id = :job_id;

-- name: count_executions_by_status
SELECT coalesce(sum(n), 0) FROM pulse_execution_counts
WHERE scheduled_job_id = :job_id AND status = :status;

-- name: read_logs
SELECT seq, ts, stream, text FROM pulse_execution_logs
WHERE execution_id = :id AND seq > :after
ORDER BY seq LIMIT :limit;

-- name: heartbeat
INSERT INTO pulse_nodes (node_id, hostname, pid, started_at, heartbeat_at)
VALUES (:node_id, :hostname, :pid, :started_at, :heartbeat_at)
ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at;

-- name: list_nodes
SELECT * FROM pulse_nodes ORDER BY node_id;

-- name: remove_node
DELETE FROM pulse_nodes WHERE node_id = :node_id;

-- name: running_executions
SELECT * FROM pulse_executions WHERE status = 'running' ORDER BY started_at;

-- name: running_executions_of_node
SELECT * FROM pulse_executions WHERE status = 'running' AND node_id = :node_id ORDER BY started_at;

-- name: requeue_claimed
UPDATE pulse_run_requests SET status = 'queued', node_id = NULL, claimed_at = NULL
WHERE node_id = :node_id AND status = 'claimed';

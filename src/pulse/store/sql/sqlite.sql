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

-- name: job_names
SELECT id, name FROM scheduled_jobs ORDER BY name, id;

-- name: list_jobs
SELECT j.*, e.status AS last_status, e.duration_ms AS last_duration_ms
FROM scheduled_jobs j LEFT JOIN pulse_executions e ON e.id = j.last_execution_id
ORDER BY j.name, j.id;

-- name: insert_job
INSERT INTO scheduled_jobs (
    id, name, description, cron, timezone, interval_seconds, command, cwd, env, handler, payload,
    state, timeout_seconds, overlap, next_run_at, last_run_at, last_execution_id, skipped_count,
    last_skipped_at, created_at, updated_at, run_as, retention, max_attempts,
    retry_backoff_seconds
) VALUES (
    :id, :name, :description, :cron, :timezone, :interval_seconds, :command, :cwd, :env, :handler,
    :payload, :state, :timeout_seconds, :overlap, :next_run_at, :last_run_at, :last_execution_id,
    :skipped_count, :last_skipped_at, :created_at, :updated_at, :run_as, :retention, :max_attempts,
    :retry_backoff_seconds
);

-- name: update_job
UPDATE scheduled_jobs SET
    name = :name, description = :description, cron = :cron, timezone = :timezone,
    interval_seconds = :interval_seconds, command = :command, cwd = :cwd, env = :env,
    handler = :handler, payload = :payload, state = :state, timeout_seconds = :timeout_seconds,
    overlap = :overlap, next_run_at = :next_run_at, updated_at = :updated_at,
        run_as = :run_as, retention = :retention, max_attempts = :max_attempts,
        retry_backoff_seconds = :retry_backoff_seconds
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

-- The ticker's firings as a batch, in a few statements whatever its size: each statement works
-- through a JSON array of firings inside SQLite (the writer thread then waits for nothing
-- between rows). A firing is [job_id, expected, new_next_run_at, forbid_overlap, run request
-- columns...] (see insert_fired_requests); "key" is its index in the batch.

-- name: fire_winners
-- The firings whose slot is still due as read (they win it), with whether the job is busy.
SELECT json_group_array(json_array(f.key, f.value ->> 3 AND EXISTS (
    SELECT 1 FROM pulse_run_requests r WHERE r.scheduled_job_id = f.value ->> 0
)))
FROM json_each(:firings) AS f JOIN scheduled_jobs j ON j.id = f.value ->> 0
WHERE j.next_run_at = f.value ->> 1 AND j.state = 'active';

-- name: advance_jobs
-- :advance is [job_id, new_next_run_at, busy, now] for each winner; a busy one counts a skip.
UPDATE scheduled_jobs SET
    next_run_at = a.value ->> 1,
    skipped_count = skipped_count + (a.value ->> 2),
    last_skipped_at = CASE WHEN a.value ->> 2 THEN a.value ->> 3 ELSE last_skipped_at END
FROM json_each(:advance) AS a
WHERE scheduled_jobs.id = a.value ->> 0;

-- name: insert_fired_requests
INSERT INTO pulse_run_requests (
    id, scheduled_job_id, execution_id, trigger, scheduled_for, attempt, rerun_of, status,
    created_at
)
SELECT r.value ->> 0, r.value ->> 1, r.value ->> 2, r.value ->> 3, r.value ->> 4, r.value ->> 5,
       r.value ->> 6, 'queued', r.value ->> 7
FROM json_each(:requests) AS r;

-- name: record_missed
-- Slots a job missed while nothing could fire them (see Ticker): counted, the last gap kept.
UPDATE scheduled_jobs SET
    missed_count = missed_count + :count, last_missed_count = :count,
    last_missed_from = :first, last_missed_to = :last
WHERE id = :id;

-- name: job_exists
SELECT 1 FROM scheduled_jobs WHERE id = :id;

-- name: insert_run_request
INSERT INTO pulse_run_requests (
    id, scheduled_job_id, execution_id, trigger, scheduled_for, attempt, rerun_of, status,
    created_at, run_after
) VALUES (
    :id, :scheduled_job_id, :execution_id, :trigger, :scheduled_for, :attempt, :rerun_of, 'queued',
    :created_at, :run_after
);

-- name: claim_run_requests
-- Oldest first: a steady stream of new requests must never starve old ones. SQLite has a single
-- writer, so selecting and then updating inside one write transaction is already exclusive. The
-- batch comes back as one JSON array: one row to hand over, however many requests.
SELECT json_group_array(json_array(
    id, scheduled_job_id, execution_id, trigger, scheduled_for, attempt, rerun_of, created_at
))
FROM (
    SELECT * FROM pulse_run_requests
    WHERE status = 'queued' AND (run_after IS NULL OR run_after <= :now)
    ORDER BY created_at, id LIMIT :limit
);

-- name: mark_claimed
UPDATE pulse_run_requests SET status = 'claimed', node_id = :node_id, claimed_at = :now
WHERE id IN (SELECT value ->> 0 FROM json_each(:claimed));

-- A claimed batch starts in three statements over a JSON array of executions, each the columns
-- of insert_executions in order.

-- name: insert_executions
-- Nothing is inserted for a job deleted since its request was claimed (its request went too).
INSERT INTO pulse_executions (
    id, scheduled_job_id, async_job_id, status, started_at, completed_at, duration_ms,
    result_summary, error_message, created_at, updated_at, scheduled_for, trigger, attempt,
    rerun_of, node_id, exit_code, log_bytes, log_dropped_bytes
)
SELECT e.value ->> 0, e.value ->> 1, e.value ->> 2, e.value ->> 3, e.value ->> 4, e.value ->> 5,
       e.value ->> 6, e.value ->> 7, e.value ->> 8, e.value ->> 9, e.value ->> 10, e.value ->> 11,
       e.value ->> 12, e.value ->> 13, e.value ->> 14, e.value ->> 15, e.value ->> 16,
       e.value ->> 17, e.value ->> 18
FROM json_each(:executions) AS e
WHERE EXISTS (SELECT 1 FROM scheduled_jobs WHERE id = e.value ->> 1)
  -- Only a request this node still holds: one released or requeued meanwhile (a sweep, a
  -- recovery) may be another node's now, and must not run twice.
  AND EXISTS (
      SELECT 1 FROM pulse_run_requests q
      WHERE q.id = e.value ->> 2 AND q.status = 'claimed' AND q.node_id = e.value ->> 15
  );

-- name: mark_requests_running
UPDATE pulse_run_requests SET status = 'running'
WHERE id IN (
    SELECT async_job_id FROM pulse_executions
    WHERE id IN (SELECT value ->> 0 FROM json_each(:executions))
);

-- name: set_jobs_last_run
-- The last execution of the batch for each job.
UPDATE scheduled_jobs SET last_run_at = l.started_at, last_execution_id = l.id
FROM (
    SELECT job_id, id, started_at FROM (
        SELECT e.value ->> 1 AS job_id, e.value ->> 0 AS id, e.value ->> 4 AS started_at,
               row_number() OVER (PARTITION BY e.value ->> 1 ORDER BY e.key DESC) AS n
        FROM json_each(:executions) AS e
        WHERE e.value ->> 0 IN (SELECT id FROM pulse_executions)
    ) WHERE n = 1
) AS l
WHERE scheduled_jobs.id = l.job_id;

-- name: executions_among
SELECT json_group_array(id) FROM pulse_executions
WHERE id IN (SELECT value ->> 0 FROM json_each(:executions));

-- name: insert_log_chunk
INSERT INTO pulse_execution_logs (execution_id, seq, ts, stream, text)
VALUES (:execution_id, :seq, :ts, :stream, :text);

-- name: finish_execution
-- Only a running execution changes: the returned row tells the one caller that announces the end.
UPDATE pulse_executions SET
    status = :status, completed_at = :completed_at, duration_ms = :duration_ms,
    result_summary = :result_summary, error_message = :error_message, exit_code = :exit_code,
    log_bytes = :log_bytes, log_dropped_bytes = :log_dropped_bytes, updated_at = :completed_at,
    logs = :logs, cancelled_at = :cancelled_at
WHERE id = :id AND status = 'running'
RETURNING id;

-- The ends of a batch of runs, over JSON arrays: :ends is [id, status, completed_at,
-- duration_ms, result_summary, error_message, exit_code, log_bytes, log_dropped_bytes, logs] for
-- each; :won the ids of those still running (only they change).

-- name: running_among
-- "+status": look the batch up by id, never scan the running ones (there may be thousands).
SELECT json_group_array(id) FROM pulse_executions
WHERE id IN (SELECT value ->> 0 FROM json_each(:ends)) AND +status = 'running';

-- name: finish_executions
UPDATE pulse_executions SET
    status = e.value ->> 1, completed_at = e.value ->> 2, duration_ms = e.value ->> 3,
    result_summary = e.value ->> 4, error_message = e.value ->> 5, exit_code = e.value ->> 6,
    log_bytes = e.value ->> 7, log_dropped_bytes = e.value ->> 8, updated_at = e.value ->> 2,
    logs = e.value ->> 9, cancelled_at = e.value ->> 10
FROM json_each(:ends) AS e
WHERE pulse_executions.id = e.value ->> 0 AND +pulse_executions.status = 'running';

-- name: insert_log_chunks
-- :chunks is [execution_id, seq, ts, stream, text] for each.
INSERT INTO pulse_execution_logs (execution_id, seq, ts, stream, text)
SELECT c.value ->> 0, c.value ->> 1, c.value ->> 2, c.value ->> 3, c.value ->> 4
FROM json_each(:chunks) AS c;

-- name: delete_run_requests_of
DELETE FROM pulse_run_requests WHERE execution_id IN (SELECT value FROM json_each(:won));

-- name: copy_small_logs
UPDATE pulse_executions SET logs = (
    SELECT group_concat(text, '') FROM (
        SELECT text FROM pulse_execution_logs
        WHERE execution_id = pulse_executions.id ORDER BY seq
    )
)
WHERE id IN (SELECT value FROM json_each(:ids));

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
       rerun_of, node_id, exit_code, log_bytes, log_dropped_bytes, cancel_requested_at,
       cancelled_at
FROM pulse_executions INDEXED BY idx_pulse_executions_job_started
WHERE scheduled_job_id = :job_id
ORDER BY started_at DESC, id DESC
LIMIT :limit OFFSET :offset;

-- name: list_executions_by_status
SELECT id, scheduled_job_id, async_job_id, status, started_at, completed_at, duration_ms,
       result_summary, error_message, created_at, updated_at, scheduled_for, trigger, attempt,
       rerun_of, node_id, exit_code, log_bytes, log_dropped_bytes, cancel_requested_at,
       cancelled_at
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
-- One node serves an SQLite file: its own clock is the database's. Says whether the row was
-- there (renewed) or had to be inserted.
INSERT INTO pulse_nodes (node_id, hostname, pid, started_at, heartbeat_at)
VALUES (:node_id, :hostname, :pid, :started_at, :heartbeat_at)
ON CONFLICT (node_id) DO UPDATE SET
    heartbeat_at = excluded.heartbeat_at, hostname = excluded.hostname, pid = excluded.pid,
    started_at = excluded.started_at;

-- name: list_nodes
SELECT * FROM pulse_nodes ORDER BY node_id;

-- name: remove_node
DELETE FROM pulse_nodes WHERE node_id = :node_id;

-- name: remove_stale_node
DELETE FROM pulse_nodes WHERE node_id = :node_id AND heartbeat_at < :stale_before;

-- name: node_exists
SELECT 1 FROM pulse_nodes WHERE node_id = :node_id;

-- name: orphaned_executions
-- Running executions whose node has no row (see postgres.sql).
SELECT * FROM pulse_executions x
WHERE status = 'running' AND started_at < :before
  AND NOT EXISTS (SELECT 1 FROM pulse_nodes n WHERE n.node_id = x.node_id)
ORDER BY started_at, id;

-- name: requeue_orphaned_requests
UPDATE pulse_run_requests SET status = 'queued', node_id = NULL, claimed_at = NULL
WHERE status = 'claimed' AND claimed_at < :before
  AND NOT EXISTS (SELECT 1 FROM pulse_nodes n WHERE n.node_id = pulse_run_requests.node_id);

-- name: running_executions
SELECT * FROM pulse_executions WHERE status = 'running' ORDER BY started_at;

-- name: running_executions_of_node
SELECT * FROM pulse_executions WHERE status = 'running' AND node_id = :node_id ORDER BY started_at;

-- name: requeue_claimed
-- :before (optional) keeps requests claimed since then; :ids (optional, a JSON array) limits
-- the change to those requests.
UPDATE pulse_run_requests SET status = 'queued', node_id = NULL, claimed_at = NULL
WHERE node_id = :node_id AND status = 'claimed'
  AND (:before IS NULL OR claimed_at < :before)
  AND (:ids IS NULL OR id IN (SELECT value FROM json_each(:ids)));

-- Retention, settings and statistics ---------------------------------------------------------

-- name: delete_job_stats
DELETE FROM pulse_stats WHERE scheduled_job_id = :id;

-- name: delete_job_stat_durations
DELETE FROM pulse_stats_durations WHERE scheduled_job_id = :id;

-- name: get_setting
SELECT value FROM pulse_settings WHERE key = :key;

-- name: put_setting
INSERT INTO pulse_settings (key, value, updated_at) VALUES (:key, :value, :now)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;

-- name: delete_logs_among
DELETE FROM pulse_execution_logs WHERE execution_id IN (SELECT value FROM json_each(:ids));

-- name: prune_finished_count
SELECT scheduled_job_id, sum(n) AS n FROM pulse_execution_counts
WHERE status IN ('completed', 'failed') GROUP BY scheduled_job_id;

-- name: prune_nth_newest
SELECT started_at, id FROM pulse_executions INDEXED BY idx_pulse_executions_job_started
WHERE scheduled_job_id = :job AND +status IN ('completed', 'failed')
ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET :offset;

-- name: prune_nth_oldest
SELECT started_at, id FROM pulse_executions INDEXED BY idx_pulse_executions_job_started
WHERE scheduled_job_id = :job AND +status IN ('completed', 'failed')
ORDER BY started_at, id LIMIT 1 OFFSET :offset;

-- name: prune_batch_end
-- Where one batch of a prune's walk (pulse.store.pruning) ends: the size-th next execution of
-- one status, oldest first (a range of idx_pulse_executions_status_started); none when fewer
-- are left before the walk's bound.
SELECT started_at, id FROM pulse_executions
WHERE status = :status AND (started_at, id) > (:after_at, :after_id)
  AND (started_at, id) < (:bound_at, :bound_id)
ORDER BY status, started_at, id LIMIT 1 OFFSET :offset;

-- name: prune_victims
-- The executions of one status in a batch's range that their job's rules (a JSON array, one
-- object per job) let go, never a job's latest failure: per job, how many and which (ids and
-- rowids as JSON arrays). Each job's part of the range is one search of
-- idx_pulse_executions_job_status_started.
WITH rules AS MATERIALIZED (
    SELECT json_extract(value, '$.job') AS job, json_extract(value, '$.cut') AS cut,
           json_extract(value, '$.floor_at') AS floor_at,
           json_extract(value, '$.floor_id') AS floor_id,
           json_extract(value, '$.cap_at') AS cap_at, json_extract(value, '$.cap_id') AS cap_id
    FROM json_each(:rules)
)
SELECT s.scheduled_job_id AS job, count(*) AS n, json_group_array(s.id) AS ids,
       json_group_array(s.rowid) AS rowids
FROM rules AS r JOIN pulse_executions AS s ON s.scheduled_job_id = r.job
WHERE s.status = :status AND (s.started_at, s.id) > (:after_at, :after_id)
  AND (s.started_at, s.id) <= (:upto_at, :upto_id)
  AND (r.floor_at IS NULL OR (s.started_at, s.id) < (r.floor_at, r.floor_id))
  AND ((r.cut IS NOT NULL AND s.started_at < r.cut)
       OR (r.cap_at IS NOT NULL AND (s.started_at, s.id) < (r.cap_at, r.cap_id)))
  AND (:status <> 'failed' OR s.id <> (
      SELECT f.id FROM pulse_executions AS f INDEXED BY idx_pulse_executions_job_status_started
      WHERE f.scheduled_job_id = s.scheduled_job_id AND f.status = 'failed'
      ORDER BY f.started_at DESC, f.id DESC LIMIT 1))
GROUP BY s.scheduled_job_id;

-- name: prune_delete
DELETE FROM pulse_executions
WHERE rowid IN (SELECT value FROM json_each(:rowids)) AND +status IN ('completed', 'failed');

-- name: insert_prune
INSERT INTO pulse_prunes (started_at, finished_at, node_id, trigger, deleted, report)
VALUES (:started_at, :finished_at, :node_id, :trigger, :deleted, :report);

-- name: list_prunes
SELECT report FROM pulse_prunes ORDER BY id DESC LIMIT :limit;

-- name: oldest_running
SELECT min(started_at) AS started_at FROM pulse_executions WHERE status = 'running';

-- name: oldest_running_of_job
SELECT min(started_at) AS started_at FROM pulse_executions
WHERE scheduled_job_id = :job AND status = 'running';

-- name: stats_of_job
SELECT start, completed, failed, total_ms, min_ms, max_ms FROM pulse_stats
WHERE scheduled_job_id = :job AND period = :period AND start >= :since
  AND (:until IS NULL OR start < :until);

-- name: stat_durations_of_job
-- A period's histogram as one row (two JSON arrays: buckets, counts): a 90-day window is then
-- 90 rows instead of ~5,000.
SELECT start, json_group_array(bucket) AS buckets, json_group_array(n) AS ns
FROM pulse_stats_durations
WHERE scheduled_job_id = :job AND period = :period AND start >= :since
  AND (:until IS NULL OR start < :until)
GROUP BY start;

-- name: stats_of_all
SELECT start, sum(completed) AS completed, sum(failed) AS failed, sum(total_ms) AS total_ms,
       min(min_ms) AS min_ms, max(max_ms) AS max_ms
FROM pulse_stats WHERE period = :period AND start >= :since
  AND (:until IS NULL OR start < :until)
GROUP BY start;

-- name: stat_durations_of_all
SELECT start, json_group_array(bucket) AS buckets, json_group_array(n) AS ns FROM (
    SELECT start, bucket, sum(n) AS n FROM pulse_stats_durations
    WHERE period = :period AND start >= :since
      AND (:until IS NULL OR start < :until)
    GROUP BY start, bucket
) GROUP BY start;

-- name: stats_by_job
SELECT scheduled_job_id, sum(completed) AS completed, sum(failed) AS failed,
       sum(total_ms) AS total_ms, min(min_ms) AS min_ms, max(max_ms) AS max_ms
FROM pulse_stats WHERE period = :period AND start >= :since
  AND (:until IS NULL OR start < :until)
GROUP BY scheduled_job_id;

-- name: clear_stats
DELETE FROM pulse_stats WHERE :job IS NULL OR scheduled_job_id = :job;

-- name: clear_stat_durations
DELETE FROM pulse_stats_durations WHERE :job IS NULL OR scheduled_job_id = :job;

-- name: rebuild_stats
-- The same sums the triggers keep, over the history stored now.
INSERT INTO pulse_stats
    (scheduled_job_id, period, start, completed, failed, total_ms, min_ms, max_ms)
SELECT scheduled_job_id, p.period,
       CASE p.period WHEN 'hour' THEN substr(started_at, 1, 13) || ':00:00.000Z'
                     ELSE substr(started_at, 1, 10) || 'T00:00:00.000Z' END AS start,
       sum(status = 'completed'), sum(status = 'failed'), sum(coalesce(duration_ms, 0)),
       min(coalesce(duration_ms, 0)), max(coalesce(duration_ms, 0))
FROM pulse_executions, (SELECT 'hour' AS period UNION ALL SELECT 'day') AS p
WHERE status IN ('completed', 'failed') AND (:job IS NULL OR scheduled_job_id = :job)
GROUP BY scheduled_job_id, p.period, start;

-- name: rebuild_stat_durations
INSERT INTO pulse_stats_durations (scheduled_job_id, period, start, bucket, n)
SELECT scheduled_job_id, p.period,
       CASE p.period WHEN 'hour' THEN substr(started_at, 1, 13) || ':00:00.000Z'
                     ELSE substr(started_at, 1, 10) || 'T00:00:00.000Z' END AS start,
       CASE WHEN coalesce(duration_ms, 0) < 1 THEN 0
            ELSE 1 + CAST(floor(ln(duration_ms) / ln(1.1)) AS INTEGER) END AS bucket,
       count(*)
FROM pulse_executions, (SELECT 'hour' AS period UNION ALL SELECT 'day') AS p
WHERE status IN ('completed', 'failed') AND (:job IS NULL OR scheduled_job_id = :job)
GROUP BY scheduled_job_id, p.period, start, bucket;

-- name: latest_failures
SELECT * FROM pulse_executions
WHERE status = 'failed' AND started_at >= :since
ORDER BY started_at DESC, id DESC
LIMIT :limit;

-- name: recent_outcomes
-- Newest first; one short index range per job.
SELECT j.id AS job_id, (
    SELECT json_group_array(status) FROM (
        SELECT status FROM pulse_executions e
        WHERE e.scheduled_job_id = j.id AND e.status IN ('completed', 'failed')
        ORDER BY e.started_at DESC, e.id DESC
        LIMIT :limit
    )
) AS recent
FROM scheduled_jobs j;

-- Cancel, re-run, retries ---------------------------------------------------------------------

-- name: request_cancel
UPDATE pulse_executions SET cancel_requested_at = coalesce(cancel_requested_at, :at)
WHERE id = :id AND status = 'running'
RETURNING cancel_requested_at;

-- name: runs_of
-- The executions that ran this one again (re-runs, and the retries of a first attempt).
SELECT * FROM pulse_executions WHERE rerun_of = :id ORDER BY started_at, id;

-- name: drop_queued_retries
DELETE FROM pulse_run_requests
WHERE scheduled_job_id = :job_id AND status = 'queued' AND trigger = 'retry';

-- Queries of the PostgreSQL store, one named block each, loaded by pulse.store.queries.
--
-- Several nodes run these at once, so each write that must be atomic is one statement (data-
-- modifying CTEs run as one unit) or runs inside one transaction; comments say which race each
-- guards against. Parameters are psycopg's %(name)s; casts appear where PostgreSQL could not
-- infer a parameter's type (a NULL in an INSERT ... SELECT would otherwise be text).

-- name: get_job
SELECT j.*, e.status AS last_status, e.duration_ms AS last_duration_ms
FROM scheduled_jobs j LEFT JOIN pulse_executions e ON e.id = j.last_execution_id
WHERE j.id = %(id)s;

-- name: get_jobs
-- For the workers, which need the definitions, not the last execution.
SELECT j.*, NULL AS last_status, NULL::integer AS last_duration_ms
FROM scheduled_jobs j
WHERE j.id = ANY(%(ids)s);

-- name: job_names
SELECT id, name FROM scheduled_jobs ORDER BY name, id;

-- name: list_jobs
SELECT j.*, e.status AS last_status, e.duration_ms AS last_duration_ms
FROM scheduled_jobs j LEFT JOIN pulse_executions e ON e.id = j.last_execution_id
ORDER BY j.name, j.id;

-- name: insert_job
-- Returns the job as get_job does: a copied job may already point at its last execution.
WITH j AS (
    INSERT INTO scheduled_jobs (
        id, name, description, cron, timezone, interval_seconds, command, cwd, env, handler,
        payload, state, timeout_seconds, overlap, next_run_at, last_run_at, last_execution_id,
        skipped_count, last_skipped_at, created_at, updated_at, run_as, retention, max_attempts,
        retry_backoff_seconds
    ) VALUES (
        %(id)s, %(name)s, %(description)s, %(cron)s, %(timezone)s, %(interval_seconds)s,
        %(command)s, %(cwd)s, %(env)s, %(handler)s, %(payload)s, %(state)s, %(timeout_seconds)s,
        %(overlap)s, %(next_run_at)s, %(last_run_at)s, %(last_execution_id)s, %(skipped_count)s,
        %(last_skipped_at)s, %(created_at)s, %(updated_at)s, %(run_as)s, %(retention)s,
        %(max_attempts)s, %(retry_backoff_seconds)s
    )
    RETURNING *
)
SELECT j.*, e.status AS last_status, e.duration_ms AS last_duration_ms
FROM j LEFT JOIN pulse_executions e ON e.id = j.last_execution_id;

-- name: update_job
-- The bookkeeping columns (last_run_at, last_execution_id, skip counters) belong to the ticker
-- and the workers; an edit never overwrites them.
WITH j AS (
    UPDATE scheduled_jobs SET
        name = %(name)s, description = %(description)s, cron = %(cron)s,
        timezone = %(timezone)s, interval_seconds = %(interval_seconds)s,
        command = %(command)s, cwd = %(cwd)s, env = %(env)s, handler = %(handler)s,
        payload = %(payload)s, state = %(state)s, timeout_seconds = %(timeout_seconds)s,
        overlap = %(overlap)s, next_run_at = %(next_run_at)s, updated_at = %(updated_at)s,
        run_as = %(run_as)s, retention = %(retention)s,
        max_attempts = %(max_attempts)s, retry_backoff_seconds = %(retry_backoff_seconds)s
    WHERE id = %(id)s
    RETURNING *
)
SELECT j.*, e.status AS last_status, e.duration_ms AS last_duration_ms
FROM j LEFT JOIN pulse_executions e ON e.id = j.last_execution_id;

-- name: lock_job
-- Taken first by delete_job: a ticker or worker writing to this job's rows waits for the
-- deletion instead of leaving an orphan behind it.
SELECT 1 FROM scheduled_jobs WHERE id = %(id)s FOR UPDATE;

-- name: delete_job_logs
DELETE FROM pulse_execution_logs
WHERE execution_id IN (SELECT id FROM pulse_executions WHERE scheduled_job_id = %(id)s);

-- name: delete_job_executions
DELETE FROM pulse_executions WHERE scheduled_job_id = %(id)s;

-- name: delete_job_counts
DELETE FROM pulse_execution_counts WHERE scheduled_job_id = %(id)s;

-- name: delete_job_run_requests
DELETE FROM pulse_run_requests WHERE scheduled_job_id = %(id)s;

-- name: delete_job
DELETE FROM scheduled_jobs WHERE id = %(id)s;

-- name: due_jobs
-- Served by idx_scheduled_jobs_due; earliest slot first so no job starves behind a busy one.
-- No lock: fire() decides ownership, so a ticker may read a slot another one is firing.
SELECT j.*, NULL::text AS last_status, NULL::bigint AS last_duration_ms
FROM scheduled_jobs j
WHERE j.state = 'active' AND j.next_run_at IS NOT NULL AND j.next_run_at <= %(now)s
ORDER BY j.next_run_at, j.id
LIMIT %(limit)s;

-- name: due_slots
-- due_jobs with only what the ticker needs (it runs for every due slot).
SELECT id, cron, timezone, interval_seconds, next_run_at, overlap
FROM scheduled_jobs
WHERE state = 'active' AND next_run_at IS NOT NULL AND next_run_at <= %(now)s
ORDER BY next_run_at, id
LIMIT %(limit)s;

-- name: lock_due_slots
-- due_slots for fire_due: the due jobs this ticker will fire, locked until it has fired them.
-- Jobs another ticker holds are skipped: each due job is read and fired by one node.
SELECT id, cron, timezone, interval_seconds, next_run_at, overlap
FROM scheduled_jobs
WHERE state = 'active' AND next_run_at IS NOT NULL AND next_run_at <= %(now)s
ORDER BY next_run_at, id
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED;

-- name: fire_locked
-- Firings of jobs this transaction holds locked (lock_due_slots, lock_jobs_to_fire), at most one
-- per job, in one statement (:firings, one JSON object each). Whoever moves next_run_at away
-- from the value it read owns the slot. The owner queues its request or, when overlap is
-- forbidden and the job still has a run request, counts a skip; the CTEs commit together, so a
-- slot is never advanced without its request (or its skip). Returns the jobs that moved and
-- whether each was busy; the others were paused or changed meanwhile ("lost").
WITH f AS (
    SELECT * FROM json_to_recordset(%(firings)s::json) AS f(
        job_id text, expected text, new_next_run_at text, forbid_overlap boolean, id text,
        execution_id text, trigger text, scheduled_for text, attempt integer, rerun_of text,
        created_at text
    )
), won AS (
    UPDATE scheduled_jobs j SET
        next_run_at = f.new_next_run_at,
        skipped_count = j.skipped_count + CASE WHEN b.busy THEN 1 ELSE 0 END,
        last_skipped_at = CASE WHEN b.busy THEN f.created_at ELSE j.last_skipped_at END
    FROM f, LATERAL (
        SELECT f.forbid_overlap AND EXISTS (
            SELECT 1 FROM pulse_run_requests r WHERE r.scheduled_job_id = f.job_id
        ) AS busy
    ) AS b
    WHERE j.id = f.job_id AND j.next_run_at = f.expected AND j.state = 'active'
    RETURNING j.id AS job_id, b.busy
), queued AS (
    INSERT INTO pulse_run_requests (
        id, scheduled_job_id, execution_id, trigger, scheduled_for, attempt, rerun_of, status,
        created_at
    )
    SELECT f.id, f.job_id, f.execution_id, f.trigger, f.scheduled_for, f.attempt, f.rerun_of,
           'queued', f.created_at
    FROM f JOIN won ON won.job_id = f.job_id
    WHERE NOT won.busy
)
SELECT job_id, busy FROM won;

-- name: lock_jobs_to_fire
-- fire(): the jobs of its firings this transaction can have now, locked in id order (:ids is
-- sorted), never waiting for one held elsewhere.
SELECT id FROM scheduled_jobs WHERE id = ANY(%(ids)s::text[]) ORDER BY id FOR UPDATE SKIP LOCKED;

-- name: record_missed
-- Slots a job missed while nothing could fire them (see Ticker): counted, the last gap kept.
UPDATE scheduled_jobs SET
    missed_count = missed_count + %(count)s, last_missed_count = %(count)s,
    last_missed_from = %(first)s, last_missed_to = %(last)s
WHERE id = %(id)s;

-- name: enqueue
-- FOR KEY SHARE holds the job against a concurrent delete_job until this request is committed;
-- no row inserted means the job does not exist.
INSERT INTO pulse_run_requests (
    id, scheduled_job_id, execution_id, trigger, scheduled_for, attempt, rerun_of, status,
    created_at, run_after
)
SELECT %(id)s::text, j.id, %(execution_id)s::text, %(trigger)s::text, %(scheduled_for)s::text,
       %(attempt)s::integer, %(rerun_of)s::text, 'queued', %(created_at)s::text,
       %(run_after)s::text
FROM scheduled_jobs j WHERE j.id = %(scheduled_job_id)s::text
FOR KEY SHARE;

-- name: claim_run_requests
-- Oldest first: a steady stream of new requests must never starve old ones. SKIP LOCKED lets
-- each node take the oldest requests nobody else is taking right now, instead of queueing
-- behind another node's claim (or, without the lock, claiming the same rows twice).
WITH picked AS (
    SELECT id FROM pulse_run_requests
    WHERE status = 'queued' AND (run_after IS NULL OR run_after <= %(now)s)
    ORDER BY created_at, queue_seq
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE pulse_run_requests r SET status = 'claimed', node_id = %(node_id)s, claimed_at = %(now)s
FROM picked WHERE r.id = picked.id
RETURNING r.*;

-- name: start_executions
-- A claimed batch started in one statement: the executions (one JSON object each, keyed by
-- column), their requests marked running, and each job's last execution. The jobs are locked
-- in id order first, so that two nodes starting batches of the same jobs cannot deadlock, and a
-- job deleted meanwhile is simply not found: its executions are not inserted.
WITH rows AS (
    SELECT * FROM ROWS FROM (json_to_recordset(%(executions)s::json) AS (
        id text, scheduled_job_id text, async_job_id text, status text, started_at text,
        completed_at text, duration_ms bigint, result_summary text, error_message text,
        created_at text, updated_at text, scheduled_for text, trigger text, attempt integer,
        rerun_of text, node_id text, exit_code integer, log_bytes bigint,
        log_dropped_bytes bigint
    )) WITH ORDINALITY AS e(
        id, scheduled_job_id, async_job_id, status, started_at, completed_at, duration_ms,
        result_summary, error_message, created_at, updated_at, scheduled_for, trigger, attempt,
        rerun_of, node_id, exit_code, log_bytes, log_dropped_bytes, ord
    )
), node AS (
    -- Fencing: a node whose row peers removed (they declared it lost) starts nothing until its
    -- next heartbeat registers it again. The key-share lock keeps the row against a concurrent
    -- removal until this statement commits.
    SELECT 1 FROM pulse_nodes WHERE node_id = (SELECT node_id FROM rows LIMIT 1) FOR KEY SHARE
), jobs AS (
    SELECT id FROM scheduled_jobs WHERE id IN (SELECT scheduled_job_id FROM rows)
      AND EXISTS (SELECT 1 FROM node)
    ORDER BY id FOR NO KEY UPDATE
), held AS (
    -- Only requests this node still holds: one released or requeued meanwhile (a sweep, a
    -- recovery) may be another node's now, and must not run twice. Locked, so that a requeue
    -- waits for this statement and then finds the request running.
    SELECT q.id FROM pulse_run_requests q JOIN rows r ON r.async_job_id = q.id
    WHERE q.status = 'claimed' AND q.node_id = r.node_id
    ORDER BY q.id FOR NO KEY UPDATE OF q
), started AS (
    INSERT INTO pulse_executions (
        id, scheduled_job_id, async_job_id, status, started_at, completed_at, duration_ms,
        result_summary, error_message, created_at, updated_at, scheduled_for, trigger, attempt,
        rerun_of, node_id, exit_code, log_bytes, log_dropped_bytes
    )
    SELECT r.id, r.scheduled_job_id, r.async_job_id, r.status, r.started_at, r.completed_at,
           r.duration_ms, r.result_summary, r.error_message, r.created_at, r.updated_at,
           r.scheduled_for, r.trigger, r.attempt, r.rerun_of, r.node_id, r.exit_code,
           r.log_bytes, r.log_dropped_bytes
    FROM rows r JOIN jobs j ON j.id = r.scheduled_job_id JOIN held h ON h.id = r.async_job_id
    RETURNING id, async_job_id
), request AS (
    UPDATE pulse_run_requests SET status = 'running'
    WHERE id IN (SELECT async_job_id FROM started)
), last_run AS (
    UPDATE scheduled_jobs s SET last_run_at = l.started_at, last_execution_id = l.id
    FROM (
        SELECT DISTINCT ON (r.scheduled_job_id) r.scheduled_job_id, r.id, r.started_at
        FROM rows r JOIN started x ON x.id = r.id
        ORDER BY r.scheduled_job_id, r.ord DESC
    ) AS l
    WHERE s.id = l.scheduled_job_id
)
SELECT id FROM started;

-- name: insert_log_chunks
-- A batch of chunks as one statement: one array per column, unnested side by side.
INSERT INTO pulse_execution_logs (execution_id, seq, ts, stream, text)
SELECT %(execution_id)s, c.seq, c.ts, c.stream, c.text
FROM unnest(%(seqs)s::bigint[], %(tss)s::text[], %(streams)s::text[], %(texts)s::text[])
    AS c(seq, ts, stream, text);

-- name: copy_log_chunks
COPY pulse_execution_logs (execution_id, seq, ts, stream, text) FROM STDIN;

-- name: finish_executions
-- finish_execution for a batch of ends in one statement. :ends holds one JSON object per end,
-- in execution id order (the rows are then locked in that order); :chunks the last log chunks
-- of them all. Returns the ids whose end this statement recorded.
WITH ends AS (
    SELECT * FROM json_to_recordset(%(ends)s::json) AS e(
        id text, status text, completed_at text, duration_ms bigint, result_summary text,
        error_message text, exit_code integer, log_bytes bigint, log_dropped_bytes bigint,
        copy_log boolean, new_text text, cancelled_at text
    )
), done AS (
    UPDATE pulse_executions x SET
        status = e.status, completed_at = e.completed_at, duration_ms = e.duration_ms,
        result_summary = e.result_summary, error_message = e.error_message,
        exit_code = e.exit_code, log_bytes = e.log_bytes,
        log_dropped_bytes = e.log_dropped_bytes, updated_at = e.completed_at,
        cancelled_at = e.cancelled_at,
        logs = CASE WHEN e.copy_log THEN coalesce((
            SELECT string_agg(l.text, '' ORDER BY l.seq) FROM pulse_execution_logs l
            WHERE l.execution_id = e.id
        ), '') || e.new_text ELSE x.logs END
    FROM ends e
    WHERE x.id = e.id AND x.status = 'running'
    RETURNING x.id
), request AS (
    DELETE FROM pulse_run_requests WHERE execution_id IN (SELECT id FROM done)
), chunks AS (
    INSERT INTO pulse_execution_logs (execution_id, seq, ts, stream, text)
    SELECT c.execution_id, c.seq, c.ts, c.stream, c.text
    FROM json_to_recordset(%(chunks)s::json) AS c(
        execution_id text, seq bigint, ts text, stream text, text text
    )
    WHERE c.execution_id IN (SELECT id FROM done)
)
SELECT id FROM done;

-- name: get_execution
-- Never the logs column: a log is read through read_logs, in chunks.
SELECT id, scheduled_job_id, async_job_id, status, started_at, completed_at, duration_ms,
       result_summary, error_message, created_at, updated_at, scheduled_for, trigger, attempt,
       rerun_of, node_id, exit_code, log_bytes, log_dropped_bytes, cancel_requested_at,
       cancelled_at
FROM pulse_executions WHERE id = %(id)s;

-- name: list_executions
-- Page, total and the job's existence in one statement, hence one snapshot: the total always
-- describes the page beside it. The total is the job's counters (O(1)); the page is a backward
-- range of idx_pulse_executions_job_started. The LEFT JOIN keeps the total when the page is
-- empty (offset past the end).
WITH page AS (
    SELECT id, scheduled_job_id, async_job_id, status, started_at, completed_at, duration_ms,
           result_summary, error_message, created_at, updated_at, scheduled_for, trigger,
           attempt, rerun_of, node_id, exit_code, log_bytes, log_dropped_bytes,
           cancel_requested_at, cancelled_at
    FROM pulse_executions
    WHERE scheduled_job_id = %(job_id)s
    ORDER BY started_at DESC, id DESC
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT t.job_exists, t.total, page.*
FROM (
    SELECT EXISTS (SELECT 1 FROM scheduled_jobs WHERE id = %(job_id)s) AS job_exists,
           (SELECT coalesce(sum(n), 0) FROM pulse_execution_counts
            WHERE scheduled_job_id = %(job_id)s)::bigint AS total
) t
LEFT JOIN page ON true
ORDER BY page.started_at DESC, page.id DESC;

-- name: list_executions_by_status
-- As list_executions, over idx_pulse_executions_job_status_started.
WITH page AS (
    SELECT id, scheduled_job_id, async_job_id, status, started_at, completed_at, duration_ms,
           result_summary, error_message, created_at, updated_at, scheduled_for, trigger,
           attempt, rerun_of, node_id, exit_code, log_bytes, log_dropped_bytes,
           cancel_requested_at, cancelled_at
    FROM pulse_executions
    WHERE scheduled_job_id = %(job_id)s AND status = %(status)s
    ORDER BY started_at DESC, id DESC
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT t.job_exists, t.total, page.*
FROM (
    SELECT EXISTS (SELECT 1 FROM scheduled_jobs WHERE id = %(job_id)s) AS job_exists,
           (SELECT coalesce(sum(n), 0) FROM pulse_execution_counts
            WHERE scheduled_job_id = %(job_id)s AND status = %(status)s)::bigint AS total
) t
LEFT JOIN page ON true
ORDER BY page.started_at DESC, page.id DESC;

-- name: read_logs
SELECT seq, ts, stream, text FROM pulse_execution_logs
WHERE execution_id = %(id)s AND seq > %(after)s
ORDER BY seq LIMIT %(limit)s;

-- name: heartbeat
-- Stamped with the database's clock, not the node's: every node's lease is then measured in one
-- clock whatever the nodes' own clocks say. Says whether the row was there (renewed) or had to
-- be inserted (a new node, or one that peers declared lost meanwhile).
INSERT INTO pulse_nodes (node_id, hostname, pid, started_at, heartbeat_at)
VALUES (%(node_id)s, %(hostname)s, %(pid)s, %(started_at)s,
        to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
ON CONFLICT (node_id) DO UPDATE SET
    heartbeat_at = EXCLUDED.heartbeat_at, hostname = EXCLUDED.hostname, pid = EXCLUDED.pid,
    started_at = EXCLUDED.started_at
RETURNING heartbeat_at, xmax <> 0 AS renewed;

-- name: list_nodes
SELECT * FROM pulse_nodes ORDER BY node_id;

-- name: remove_node
DELETE FROM pulse_nodes WHERE node_id = %(node_id)s;

-- name: remove_stale_node
-- The conditional delete decides which recoverer owns a lost node; a node that heartbeat since
-- is not stale any more and keeps its row.
DELETE FROM pulse_nodes WHERE node_id = %(node_id)s AND heartbeat_at < %(stale_before)s;

-- name: orphaned_executions
-- Running executions whose node has no row: it was removed (a graceful stop that could not
-- record every end, a recovery interrupted half-way) and no one else will ever end them.
SELECT id, scheduled_job_id, async_job_id, status, started_at, completed_at, duration_ms,
       result_summary, error_message, created_at, updated_at, scheduled_for, trigger, attempt,
       rerun_of, node_id, exit_code, log_bytes, log_dropped_bytes, cancel_requested_at,
       cancelled_at
FROM pulse_executions x
WHERE status = 'running' AND started_at < %(before)s
  AND NOT EXISTS (SELECT 1 FROM pulse_nodes n WHERE n.node_id = x.node_id)
ORDER BY started_at, id;

-- name: requeue_orphaned_requests
-- Claimed requests whose node has no row go back to the queue.
UPDATE pulse_run_requests r SET status = 'queued', node_id = NULL, claimed_at = NULL
WHERE status = 'claimed' AND claimed_at < %(before)s
  AND NOT EXISTS (SELECT 1 FROM pulse_nodes n WHERE n.node_id = r.node_id);

-- name: running_executions
SELECT id, scheduled_job_id, async_job_id, status, started_at, completed_at, duration_ms,
       result_summary, error_message, created_at, updated_at, scheduled_for, trigger, attempt,
       rerun_of, node_id, exit_code, log_bytes, log_dropped_bytes, cancel_requested_at,
       cancelled_at
FROM pulse_executions WHERE status = 'running' ORDER BY started_at, id;

-- name: running_executions_of_node
SELECT id, scheduled_job_id, async_job_id, status, started_at, completed_at, duration_ms,
       result_summary, error_message, created_at, updated_at, scheduled_for, trigger, attempt,
       rerun_of, node_id, exit_code, log_bytes, log_dropped_bytes, cancel_requested_at,
       cancelled_at
FROM pulse_executions WHERE status = 'running' AND node_id = %(node_id)s
ORDER BY started_at, id;

-- name: requeue_claimed
-- Only 'claimed' requests: a 'running' one has an execution, which recovery fails instead.
-- :before (optional) keeps requests claimed since then; :ids (optional) limits to those.
UPDATE pulse_run_requests SET status = 'queued', node_id = NULL, claimed_at = NULL
WHERE node_id = %(node_id)s AND status = 'claimed'
  AND (%(before)s::text IS NULL OR claimed_at < %(before)s::text)
  AND (%(ids)s::text[] IS NULL OR id = ANY(%(ids)s::text[]));

-- Retention, settings and statistics ---------------------------------------------------------

-- name: delete_job_stats
DELETE FROM pulse_stats WHERE scheduled_job_id = %(id)s;

-- name: delete_job_stat_durations
DELETE FROM pulse_stats_durations WHERE scheduled_job_id = %(id)s;

-- name: get_setting
SELECT value FROM pulse_settings WHERE key = %(key)s;

-- name: put_setting
INSERT INTO pulse_settings (key, value, updated_at) VALUES (%(key)s, %(value)s, %(now)s)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at;

-- name: prune_finished_count
SELECT scheduled_job_id, sum(n) AS n FROM pulse_execution_counts
WHERE status IN ('completed', 'failed') GROUP BY scheduled_job_id;

-- name: prune_nth_newest
SELECT started_at, id FROM pulse_executions
WHERE scheduled_job_id = %(job)s AND status IN ('completed', 'failed')
ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET %(offset)s;

-- name: prune_nth_oldest
SELECT started_at, id FROM pulse_executions
WHERE scheduled_job_id = %(job)s AND status IN ('completed', 'failed')
ORDER BY started_at, id LIMIT 1 OFFSET %(offset)s;

-- name: prune_batch
-- One batch of a prune's walk (pulse.store.pruning), whole on the server: the next executions
-- of one status, oldest first (a range of idx_pulse_executions_status_started); of those, the
-- ones their job's rules (a JSON array, one object per job) let go, never a job's latest
-- failure; deleted with their logs. Answers how many were read, the last one's key, and how
-- many went per job (a row another transaction deleted meanwhile, a job's, is not counted).
-- The executions go by their place in the table (ctid), read by the scan: no lookup by id.
-- The log chunks of a run that took under an hour are found by their time, on the BRIN index
-- idx_pulse_execution_logs_ts: the chunks of neighbouring runs lie on neighbouring pages, where
-- the primary key, by id, would read one random page per run. A chunk is written between its
-- run's start and end; the window has ten minutes more on each side (for a clock set back
-- meanwhile). A run with output of which no chunk was found there, and a longer run, have their
-- chunks looked up by id.
WITH rules AS (
    SELECT * FROM jsonb_to_recordset(%(rules)s::jsonb)
        AS r(job text, cut text, floor_at text, floor_id text, cap_at text, cap_id text)
), scan AS (
    SELECT ctid, id, scheduled_job_id, started_at, completed_at, duration_ms, log_bytes
    FROM pulse_executions
    WHERE status = %(status)s AND (started_at, id) > (%(after_at)s, %(after_id)s)
      AND (started_at, id) < (%(bound_at)s, %(bound_id)s)
    ORDER BY status, started_at, id LIMIT %(limit)s
), victims AS (
    SELECT s.ctid, s.id, s.started_at, s.completed_at, s.log_bytes,
           coalesce(s.duration_ms < 3600000, false) AS short
    FROM scan AS s JOIN rules AS r ON r.job = s.scheduled_job_id
    WHERE (r.floor_at IS NULL OR (s.started_at, s.id) < (r.floor_at, r.floor_id))
      AND ((r.cut IS NOT NULL AND s.started_at < r.cut)
           OR (r.cap_at IS NOT NULL AND (s.started_at, s.id) < (r.cap_at, r.cap_id)))
      AND (%(status)s <> 'failed' OR s.id <> (
          SELECT f.id FROM pulse_executions AS f
          WHERE f.scheduled_job_id = s.scheduled_job_id AND f.status = 'failed'
          ORDER BY f.started_at DESC, f.id DESC LIMIT 1))
), span AS (
    SELECT to_char((min(started_at)::timestamptz - interval '10 minutes') AT TIME ZONE 'UTC',
                   'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS lo,
           to_char((max(completed_at)::timestamptz + interval '10 minutes') AT TIME ZONE 'UTC',
                   'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS hi
    FROM victims WHERE short
), by_time AS (
    -- "|| ''" keeps the planner off the primary key: the window is the way in.
    DELETE FROM pulse_execution_logs
    WHERE ts >= (SELECT lo FROM span) AND ts <= (SELECT hi FROM span)
      AND execution_id || '' IN (SELECT id FROM victims WHERE short) AND NOT %(dry_run)s
    RETURNING execution_id
), by_id AS (
    DELETE FROM pulse_execution_logs
    WHERE execution_id IN (
        SELECT id FROM victims
        WHERE NOT short OR (log_bytes > 0 AND id NOT IN (SELECT execution_id FROM by_time)))
      AND NOT %(dry_run)s
), gone AS (
    DELETE FROM pulse_executions
    WHERE ctid = ANY (ARRAY(SELECT ctid FROM victims)) AND status IN ('completed', 'failed')
      AND NOT %(dry_run)s
    RETURNING scheduled_job_id
), last AS (
    SELECT started_at, id FROM scan ORDER BY started_at DESC, id DESC LIMIT 1
)
SELECT (SELECT count(*) FROM scan) AS scanned,
       (SELECT started_at FROM last) AS last_at, (SELECT id FROM last) AS last_id,
       CASE WHEN %(dry_run)s
            THEN (SELECT jsonb_object_agg(job, n) FROM (
                    SELECT scheduled_job_id AS job, count(*) AS n
                    FROM scan WHERE id IN (SELECT id FROM victims) GROUP BY 1) AS v)
            ELSE (SELECT jsonb_object_agg(job, n) FROM (
                    SELECT scheduled_job_id AS job, count(*) AS n FROM gone GROUP BY 1) AS g)
       END AS deleted;

-- name: summarize_log_times
-- The page ranges of idx_pulse_execution_logs_ts not summarized yet (written since the last
-- time), read once each; an index owned by another role is left to autovacuum.
SELECT brin_summarize_new_values('idx_pulse_execution_logs_ts');

-- name: insert_prune
INSERT INTO pulse_prunes (started_at, finished_at, node_id, trigger, deleted, report)
VALUES (%(started_at)s, %(finished_at)s, %(node_id)s, %(trigger)s, %(deleted)s, %(report)s);

-- name: list_prunes
SELECT report FROM pulse_prunes ORDER BY id DESC LIMIT %(limit)s;

-- name: oldest_running
SELECT min(started_at) AS started_at FROM pulse_executions WHERE status = 'running';

-- name: oldest_running_of_job
SELECT min(started_at) AS started_at FROM pulse_executions
WHERE scheduled_job_id = %(job)s AND status = 'running';

-- name: stats_of_job
SELECT start, completed, failed, total_ms, min_ms, max_ms FROM pulse_stats
WHERE scheduled_job_id = %(job)s AND period = %(period)s AND start >= %(since)s
  AND (%(until)s::text IS NULL OR start < %(until)s);

-- name: stat_durations_of_job
-- A period's histogram as one row (two arrays: buckets, counts): a 90-day window is then 90
-- rows instead of ~5,000.
SELECT start, array_agg(bucket) AS buckets, array_agg(n) AS ns FROM pulse_stats_durations
WHERE scheduled_job_id = %(job)s AND period = %(period)s AND start >= %(since)s
  AND (%(until)s::text IS NULL OR start < %(until)s)
GROUP BY start;

-- name: stats_of_all
SELECT start, sum(completed) AS completed, sum(failed) AS failed, sum(total_ms) AS total_ms,
       min(min_ms) AS min_ms, max(max_ms) AS max_ms
FROM pulse_stats WHERE period = %(period)s AND start >= %(since)s
  AND (%(until)s::text IS NULL OR start < %(until)s)
GROUP BY start;

-- name: stat_durations_of_all
SELECT start, array_agg(bucket) AS buckets, array_agg(n) AS ns FROM (
    SELECT start, bucket, sum(n)::bigint AS n FROM pulse_stats_durations
    WHERE period = %(period)s AND start >= %(since)s
      AND (%(until)s::text IS NULL OR start < %(until)s)
    GROUP BY start, bucket
) AS b GROUP BY start;

-- name: stats_by_job
SELECT scheduled_job_id, sum(completed) AS completed, sum(failed) AS failed,
       sum(total_ms) AS total_ms, min(min_ms) AS min_ms, max(max_ms) AS max_ms
FROM pulse_stats WHERE period = %(period)s AND start >= %(since)s
  AND (%(until)s::text IS NULL OR start < %(until)s)
GROUP BY scheduled_job_id;

-- name: clear_stats
DELETE FROM pulse_stats WHERE %(job)s::text IS NULL OR scheduled_job_id = %(job)s;

-- name: clear_stat_durations
DELETE FROM pulse_stats_durations WHERE %(job)s::text IS NULL OR scheduled_job_id = %(job)s;

-- name: rebuild_stats
-- The same sums the triggers keep, over the history stored now; returns how many were counted.
SELECT pulse_stats_add(array_agg(scheduled_job_id), array_agg(status), array_agg(started_at),
                       array_agg(duration_ms)), count(*) AS n
FROM pulse_executions
WHERE status IN ('completed', 'failed') AND (%(job)s::text IS NULL OR scheduled_job_id = %(job)s)
HAVING count(*) > 0;

-- name: latest_failures
SELECT * FROM pulse_executions
WHERE status = 'failed' AND started_at >= %(since)s
ORDER BY started_at DESC, id DESC
LIMIT %(limit)s;

-- name: recent_outcomes
-- Newest first. Per job, the newest completed and the newest failed runs are each a short
-- backward range of idx_pulse_executions_job_status_started; the newest of both are kept.
SELECT j.id AS job_id, r.recent
FROM scheduled_jobs j
CROSS JOIN LATERAL (
    SELECT array_agg(status ORDER BY started_at DESC, id DESC) AS recent FROM (
        SELECT status, started_at, id FROM (
            (SELECT e.status, e.started_at, e.id FROM pulse_executions e
             WHERE e.scheduled_job_id = j.id AND e.status = 'completed'
             ORDER BY e.started_at DESC, e.id DESC LIMIT %(limit)s)
            UNION ALL
            (SELECT e.status, e.started_at, e.id FROM pulse_executions e
             WHERE e.scheduled_job_id = j.id AND e.status = 'failed'
             ORDER BY e.started_at DESC, e.id DESC LIMIT %(limit)s)
        ) AS both_kinds
        ORDER BY started_at DESC, id DESC
        LIMIT %(limit)s
    ) AS last
) AS r;

-- Cancel, re-run, retries ---------------------------------------------------------------------

-- name: request_cancel
UPDATE pulse_executions SET cancel_requested_at = coalesce(cancel_requested_at, %(at)s)
WHERE id = %(id)s AND status = 'running'
RETURNING cancel_requested_at;

-- name: runs_of
-- The executions that ran this one again (re-runs, and the retries of a first attempt).
SELECT id, scheduled_job_id, async_job_id, status, started_at, completed_at, duration_ms,
       result_summary, error_message, created_at, updated_at, scheduled_for, trigger, attempt,
       rerun_of, node_id, exit_code, log_bytes, log_dropped_bytes, cancel_requested_at,
       cancelled_at
FROM pulse_executions WHERE rerun_of = %(id)s ORDER BY started_at, id;

-- name: drop_queued_retries
DELETE FROM pulse_run_requests
WHERE scheduled_job_id = %(job_id)s AND status = 'queued' AND trigger = 'retry';

-- Jobs, run requests, executions (the seed's table, with additions), their logs, and nodes.
--
-- The same tables and columns as the SQLite schema, so that both backends behave alike and
-- `pulse store copy` moves rows as they are. Timestamps stay fixed-width RFC 3339 TEXT with a Z
-- (pulse.clock.format_ts), as in the seed: text order is time order, and nothing is converted
-- between the two backends. Integers that SQLite stores in 64 bits (durations, byte counts,
-- counters) are BIGINT here, so no value that fits one backend overflows the other.

CREATE TABLE scheduled_jobs (
    id                TEXT PRIMARY KEY,       -- SPJ_…
    name              TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    cron              TEXT,                   -- 5 fields or a macro; NULL for interval jobs
    timezone          TEXT NOT NULL DEFAULT 'UTC',
    interval_seconds  BIGINT,
    command           TEXT,                   -- shell target
    cwd               TEXT,
    env               TEXT NOT NULL DEFAULT '{}',   -- JSON object
    handler           TEXT,                   -- Python handler target
    payload           TEXT,                   -- JSON
    state             TEXT NOT NULL,          -- 'active', 'paused'
    timeout_seconds   DOUBLE PRECISION,
    overlap           TEXT NOT NULL DEFAULT 'forbid',
    next_run_at       TEXT,
    last_run_at       TEXT,
    last_execution_id TEXT,
    skipped_count     BIGINT NOT NULL DEFAULT 0,
    last_skipped_at   TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
-- The ticker's query: active jobs by next_run_at.
CREATE INDEX idx_scheduled_jobs_due ON scheduled_jobs(next_run_at, id) WHERE state = 'active';

CREATE TABLE pulse_run_requests (
    id               TEXT PRIMARY KEY,       -- JB_…
    -- Unlike SQLite (one writer, so enqueue's existence check cannot race a deletion), several
    -- nodes write here at once: the foreign key keeps a request from outliving its job.
    scheduled_job_id TEXT NOT NULL REFERENCES scheduled_jobs(id),
    execution_id     TEXT NOT NULL UNIQUE,   -- chosen when queued
    trigger          TEXT NOT NULL,
    scheduled_for    TEXT,
    attempt          INTEGER NOT NULL DEFAULT 1,
    rerun_of         TEXT,
    status           TEXT NOT NULL,          -- 'queued', 'claimed', 'running'
    node_id          TEXT,
    created_at       TEXT NOT NULL,
    claimed_at       TEXT,
    -- Breaks ties between requests created in the same millisecond in the order they were
    -- queued, so "oldest first" holds even where created_at cannot tell.
    queue_seq        BIGINT GENERATED ALWAYS AS IDENTITY
);
-- Claiming reads the queue head; only queued rows are in this index, so it stays small however
-- many requests are claimed or running.
CREATE INDEX idx_pulse_run_requests_queue ON pulse_run_requests(created_at, queue_seq)
    WHERE status = 'queued';
CREATE INDEX idx_pulse_run_requests_job ON pulse_run_requests(scheduled_job_id);

CREATE TABLE IF NOT EXISTS pulse_executions (
    id TEXT PRIMARY KEY,                    -- ASID format: PX_{random}_{timestamp}
    scheduled_job_id TEXT NOT NULL,         -- FK to scheduled_jobs(id)
    async_job_id TEXT,                      -- the run request (JB_…) it served
    status TEXT NOT NULL,                   -- 'running', 'completed', 'failed'
    started_at TEXT NOT NULL,               -- RFC3339 timestamp
    completed_at TEXT,                      -- RFC3339 timestamp (null if running)
    duration_ms BIGINT,                     -- Milliseconds (null if running)
    logs TEXT,                              -- whole log of small finished executions; see pulse_execution_logs
    result_summary TEXT,
    error_message TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- additions
    scheduled_for TEXT,                     -- the schedule slot served (null for manual runs)
    trigger TEXT NOT NULL DEFAULT 'schedule',
    attempt INTEGER NOT NULL DEFAULT 1,
    rerun_of TEXT,
    node_id TEXT,
    exit_code INTEGER,
    log_bytes BIGINT NOT NULL DEFAULT 0,    -- bytes of output produced
    log_dropped_bytes BIGINT NOT NULL DEFAULT 0,  -- bytes dropped past the log cap
    FOREIGN KEY (scheduled_job_id) REFERENCES scheduled_jobs(id)
);
CREATE INDEX idx_pulse_executions_job ON pulse_executions(scheduled_job_id);
CREATE INDEX idx_pulse_executions_status ON pulse_executions(status);
CREATE INDEX idx_pulse_executions_started ON pulse_executions(started_at);
-- A page of one job's history, newest first, with or without a status filter, is a backward
-- index range; id is in the key because it breaks ties in the ORDER BY, so no sort is needed
-- however long the history.
CREATE INDEX idx_pulse_executions_job_started
    ON pulse_executions(scheduled_job_id, started_at, id);
CREATE INDEX idx_pulse_executions_job_status_started
    ON pulse_executions(scheduled_job_id, status, started_at, id);
CREATE INDEX idx_pulse_executions_running ON pulse_executions(node_id) WHERE status = 'running';

-- Logs are appended in chunks while an execution runs; a chunk is consecutive lines of one stream.
CREATE TABLE pulse_execution_logs (
    execution_id TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    ts           TEXT NOT NULL,
    stream       TEXT NOT NULL,              -- 'stdout', 'stderr', 'log', 'system'
    text         TEXT NOT NULL,
    PRIMARY KEY (execution_id, seq)
);

-- Counts per (job, status), kept by triggers, so that a list's total is one row read instead of
-- a count over millions of index entries.
CREATE TABLE pulse_execution_counts (
    scheduled_job_id TEXT NOT NULL,
    status           TEXT NOT NULL,
    n                BIGINT NOT NULL,
    PRIMARY KEY (scheduled_job_id, status)
);

-- Inserts and deletes are counted per statement, from the transition table: deleting a job with
-- a million executions then updates each counter once, not a million times (every update of a
-- row leaves a dead version behind, and a million versions of one row would crawl). The groups
-- are locked in key order so that two bulk statements cannot deadlock on each other's counters.
CREATE FUNCTION pulse_executions_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pulse_execution_counts AS c (scheduled_job_id, status, n)
    SELECT scheduled_job_id, status, count(*) FROM inserted
    GROUP BY scheduled_job_id, status
    ORDER BY scheduled_job_id, status
    ON CONFLICT (scheduled_job_id, status) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE TRIGGER pulse_executions_count_insert AFTER INSERT ON pulse_executions
REFERENCING NEW TABLE AS inserted
FOR EACH STATEMENT EXECUTE FUNCTION pulse_executions_count_insert();

CREATE FUNCTION pulse_executions_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE pulse_execution_counts AS c SET n = c.n - d.n
    FROM (
        SELECT scheduled_job_id, status, count(*) AS n FROM deleted
        GROUP BY scheduled_job_id, status
    ) AS d
    WHERE c.scheduled_job_id = d.scheduled_job_id AND c.status = d.status;
    RETURN NULL;
END
$$;

CREATE TRIGGER pulse_executions_count_delete AFTER DELETE ON pulse_executions
REFERENCING OLD TABLE AS deleted
FOR EACH STATEMENT EXECUTE FUNCTION pulse_executions_count_delete();

-- A status change (running -> completed/failed) touches one row at a time: a row trigger that
-- fires only when the status really changes costs nothing on other updates (e.g. of logs).
CREATE FUNCTION pulse_executions_count_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE pulse_execution_counts SET n = n - 1
    WHERE scheduled_job_id = OLD.scheduled_job_id AND status = OLD.status;
    INSERT INTO pulse_execution_counts AS c (scheduled_job_id, status, n)
    VALUES (NEW.scheduled_job_id, NEW.status, 1)
    ON CONFLICT (scheduled_job_id, status) DO UPDATE SET n = c.n + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER pulse_executions_count_update AFTER UPDATE OF status ON pulse_executions
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION pulse_executions_count_update();

CREATE TABLE pulse_nodes (
    node_id      TEXT PRIMARY KEY,
    hostname     TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL
);

-- Jobs, run requests, executions (the seed's table, with additions), their logs, and nodes.

CREATE TABLE scheduled_jobs (
    id                TEXT PRIMARY KEY,       -- SPJ_…
    name              TEXT NOT NULL,
    description       TEXT NOT NULL DEFAULT '',
    cron              TEXT,                   -- 5 fields or a macro; NULL for interval jobs
    timezone          TEXT NOT NULL DEFAULT 'UTC',
    interval_seconds  INTEGER,
    command           TEXT,                   -- shell target
    cwd               TEXT,
    env               TEXT NOT NULL DEFAULT '{}',   -- JSON object
    handler           TEXT,                   -- Python handler target
    payload           TEXT,                   -- JSON
    state             TEXT NOT NULL,          -- 'active', 'paused'
    timeout_seconds   REAL,
    overlap           TEXT NOT NULL DEFAULT 'forbid',
    next_run_at       TEXT,
    last_run_at       TEXT,
    last_execution_id TEXT,
    skipped_count     INTEGER NOT NULL DEFAULT 0,
    last_skipped_at   TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
-- The ticker's query: active jobs by next_run_at.
CREATE INDEX idx_scheduled_jobs_due ON scheduled_jobs(next_run_at) WHERE state = 'active';

CREATE TABLE pulse_run_requests (
    id               TEXT PRIMARY KEY,       -- JB_…
    scheduled_job_id TEXT NOT NULL,
    execution_id     TEXT NOT NULL UNIQUE,   -- chosen when queued
    trigger          TEXT NOT NULL,
    scheduled_for    TEXT,
    attempt          INTEGER NOT NULL DEFAULT 1,
    rerun_of         TEXT,
    status           TEXT NOT NULL,          -- 'queued', 'claimed', 'running'
    node_id          TEXT,
    created_at       TEXT NOT NULL,
    claimed_at       TEXT
);
CREATE INDEX idx_pulse_run_requests_queue ON pulse_run_requests(status, created_at);
CREATE INDEX idx_pulse_run_requests_job ON pulse_run_requests(scheduled_job_id);

CREATE TABLE IF NOT EXISTS pulse_executions (
    id TEXT PRIMARY KEY,                    -- ASID format: PX_{random}_{timestamp}
    scheduled_job_id TEXT NOT NULL,         -- FK to scheduled_jobs(id)
    async_job_id TEXT,                      -- the run request (JB_…) it served
    status TEXT NOT NULL,                   -- 'running', 'completed', 'failed'
    started_at TEXT NOT NULL,               -- RFC3339 timestamp
    completed_at TEXT,                      -- RFC3339 timestamp (null if running)
    duration_ms INTEGER,                    -- Milliseconds (null if running)
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
    log_bytes INTEGER NOT NULL DEFAULT 0,   -- bytes of output produced
    log_dropped_bytes INTEGER NOT NULL DEFAULT 0,  -- bytes dropped past the log cap
    FOREIGN KEY (scheduled_job_id) REFERENCES scheduled_jobs(id)
);
CREATE INDEX idx_pulse_executions_job ON pulse_executions(scheduled_job_id);
CREATE INDEX idx_pulse_executions_status ON pulse_executions(status);
CREATE INDEX idx_pulse_executions_started ON pulse_executions(started_at);
-- A page of one job's history, newest first, with or without a status filter, is an index range.
CREATE INDEX idx_pulse_executions_job_started ON pulse_executions(scheduled_job_id, started_at);
CREATE INDEX idx_pulse_executions_job_status_started
    ON pulse_executions(scheduled_job_id, status, started_at);

-- Logs are appended in chunks while an execution runs; a chunk is consecutive lines of one stream.
CREATE TABLE pulse_execution_logs (
    execution_id TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    ts           TEXT NOT NULL,
    stream       TEXT NOT NULL,              -- 'stdout', 'stderr', 'log', 'system'
    text         TEXT NOT NULL,
    PRIMARY KEY (execution_id, seq)
);  -- a rowid table: chunks are large rows, which WITHOUT ROWID handles poorly

-- Counts per (job, status), kept by triggers, so that a list's total is one row read instead of
-- a count over millions of index entries.
CREATE TABLE pulse_execution_counts (
    scheduled_job_id TEXT NOT NULL,
    status           TEXT NOT NULL,
    n                INTEGER NOT NULL,
    PRIMARY KEY (scheduled_job_id, status)
) WITHOUT ROWID;

CREATE TRIGGER pulse_executions_count_insert AFTER INSERT ON pulse_executions BEGIN
    INSERT INTO pulse_execution_counts (scheduled_job_id, status, n)
    VALUES (NEW.scheduled_job_id, NEW.status, 1)
    ON CONFLICT (scheduled_job_id, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER pulse_executions_count_update AFTER UPDATE OF status ON pulse_executions
WHEN OLD.status <> NEW.status BEGIN
    UPDATE pulse_execution_counts SET n = n - 1
    WHERE scheduled_job_id = OLD.scheduled_job_id AND status = OLD.status;
    INSERT INTO pulse_execution_counts (scheduled_job_id, status, n)
    VALUES (NEW.scheduled_job_id, NEW.status, 1)
    ON CONFLICT (scheduled_job_id, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER pulse_executions_count_delete AFTER DELETE ON pulse_executions BEGIN
    UPDATE pulse_execution_counts SET n = n - 1
    WHERE scheduled_job_id = OLD.scheduled_job_id AND status = OLD.status;
END;

CREATE TABLE pulse_nodes (
    node_id      TEXT PRIMARY KEY,
    hostname     TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL
);

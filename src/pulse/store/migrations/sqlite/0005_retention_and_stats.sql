-- Retention and statistics.
--
-- A job may override the global retention policy (JSON, see pulse.retention); the global one and
-- other settings shared by the nodes live in pulse_settings; each prune leaves a report.
ALTER TABLE scheduled_jobs ADD COLUMN retention TEXT;

CREATE TABLE pulse_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,                -- JSON
    updated_at TEXT NOT NULL
);

CREATE TABLE pulse_prunes (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    node_id     TEXT NOT NULL,
    trigger     TEXT NOT NULL,              -- 'schedule', 'manual'
    deleted     INTEGER NOT NULL,
    report      TEXT NOT NULL               -- JSON: the policies and the count per job
);

-- The latest failures across jobs (the overview), and the latest failure of a job (which
-- retention always keeps), are index ranges.
CREATE INDEX idx_pulse_executions_status_started ON pulse_executions(status, started_at, id);

-- Roll-ups of finished executions per job, per UTC hour and per UTC day of their start
-- (pulse.stats). Kept by the triggers below in the transaction that records the end, and never
-- touched by deleting executions, so they outlive pruning.
CREATE TABLE pulse_stats (
    scheduled_job_id TEXT NOT NULL,
    period           TEXT NOT NULL,          -- 'hour', 'day'
    start            TEXT NOT NULL,          -- the period's first instant
    completed        INTEGER NOT NULL,
    failed           INTEGER NOT NULL,
    total_ms         INTEGER NOT NULL,
    min_ms           INTEGER NOT NULL,
    max_ms           INTEGER NOT NULL,
    PRIMARY KEY (scheduled_job_id, period, start)
) WITHOUT ROWID;
-- Reads across jobs (the overview) take a window of periods of every job: covering indexes, so
-- that they never visit the tables.
CREATE INDEX idx_pulse_stats_period ON pulse_stats(
    period, start, scheduled_job_id, completed, failed, total_ms, min_ms, max_ms
);

-- The duration histogram of each roll-up: how many runs fell in each log-scale bucket.
CREATE TABLE pulse_stats_durations (
    scheduled_job_id TEXT NOT NULL,
    period           TEXT NOT NULL,
    start            TEXT NOT NULL,
    bucket           INTEGER NOT NULL,
    n                INTEGER NOT NULL,
    PRIMARY KEY (scheduled_job_id, period, start, bucket)
) WITHOUT ROWID;
CREATE INDEX idx_pulse_stats_durations_period ON pulse_stats_durations(period, start, bucket, n);

CREATE TRIGGER pulse_stats_on_end AFTER UPDATE OF status ON pulse_executions
WHEN OLD.status = 'running' AND NEW.status IN ('completed', 'failed') BEGIN
    INSERT INTO pulse_stats
        (scheduled_job_id, period, start, completed, failed, total_ms, min_ms, max_ms)
    SELECT NEW.scheduled_job_id, p.period, p.start, NEW.status = 'completed',
           NEW.status = 'failed', coalesce(NEW.duration_ms, 0), coalesce(NEW.duration_ms, 0),
           coalesce(NEW.duration_ms, 0)
    FROM (SELECT 'hour' AS period, substr(NEW.started_at, 1, 13) || ':00:00.000Z' AS start
          UNION ALL
          SELECT 'day', substr(NEW.started_at, 1, 10) || 'T00:00:00.000Z') AS p
    WHERE true
    ON CONFLICT (scheduled_job_id, period, start) DO UPDATE SET
        completed = pulse_stats.completed + excluded.completed,
        failed = pulse_stats.failed + excluded.failed,
        total_ms = pulse_stats.total_ms + excluded.total_ms,
        min_ms = min(pulse_stats.min_ms, excluded.min_ms),
        max_ms = max(pulse_stats.max_ms, excluded.max_ms);
    INSERT INTO pulse_stats_durations (scheduled_job_id, period, start, bucket, n)
    SELECT NEW.scheduled_job_id, p.period, p.start,
           CASE WHEN coalesce(NEW.duration_ms, 0) < 1 THEN 0
                ELSE 1 + CAST(floor(ln(NEW.duration_ms) / ln(1.1)) AS INTEGER) END, 1
    FROM (SELECT 'hour' AS period, substr(NEW.started_at, 1, 13) || ':00:00.000Z' AS start
          UNION ALL
          SELECT 'day', substr(NEW.started_at, 1, 10) || 'T00:00:00.000Z') AS p
    WHERE true
    ON CONFLICT (scheduled_job_id, period, start, bucket) DO UPDATE SET n = pulse_stats_durations.n + 1;
END;

-- Executions inserted already finished (a copy from another store, an import) count too.
CREATE TRIGGER pulse_stats_on_insert AFTER INSERT ON pulse_executions
WHEN NEW.status IN ('completed', 'failed') BEGIN
    INSERT INTO pulse_stats
        (scheduled_job_id, period, start, completed, failed, total_ms, min_ms, max_ms)
    SELECT NEW.scheduled_job_id, p.period, p.start, NEW.status = 'completed',
           NEW.status = 'failed', coalesce(NEW.duration_ms, 0), coalesce(NEW.duration_ms, 0),
           coalesce(NEW.duration_ms, 0)
    FROM (SELECT 'hour' AS period, substr(NEW.started_at, 1, 13) || ':00:00.000Z' AS start
          UNION ALL
          SELECT 'day', substr(NEW.started_at, 1, 10) || 'T00:00:00.000Z') AS p
    WHERE true
    ON CONFLICT (scheduled_job_id, period, start) DO UPDATE SET
        completed = pulse_stats.completed + excluded.completed,
        failed = pulse_stats.failed + excluded.failed,
        total_ms = pulse_stats.total_ms + excluded.total_ms,
        min_ms = min(pulse_stats.min_ms, excluded.min_ms),
        max_ms = max(pulse_stats.max_ms, excluded.max_ms);
    INSERT INTO pulse_stats_durations (scheduled_job_id, period, start, bucket, n)
    SELECT NEW.scheduled_job_id, p.period, p.start,
           CASE WHEN coalesce(NEW.duration_ms, 0) < 1 THEN 0
                ELSE 1 + CAST(floor(ln(NEW.duration_ms) / ln(1.1)) AS INTEGER) END, 1
    FROM (SELECT 'hour' AS period, substr(NEW.started_at, 1, 13) || ':00:00.000Z' AS start
          UNION ALL
          SELECT 'day', substr(NEW.started_at, 1, 10) || 'T00:00:00.000Z') AS p
    WHERE true
    ON CONFLICT (scheduled_job_id, period, start, bucket) DO UPDATE SET n = pulse_stats_durations.n + 1;
END;

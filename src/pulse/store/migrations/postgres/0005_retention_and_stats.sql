-- Retention and statistics: as the SQLite migration of the same number (read it for the why).
ALTER TABLE scheduled_jobs ADD COLUMN retention TEXT;

CREATE TABLE pulse_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,                -- JSON
    updated_at TEXT NOT NULL
);

CREATE TABLE pulse_prunes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    node_id     TEXT NOT NULL,
    trigger     TEXT NOT NULL,
    deleted     BIGINT NOT NULL,
    report      TEXT NOT NULL
);

CREATE INDEX idx_pulse_executions_status_started ON pulse_executions(status, started_at, id);

CREATE TABLE pulse_stats (
    scheduled_job_id TEXT NOT NULL,
    period           TEXT NOT NULL,
    start            TEXT NOT NULL,
    completed        BIGINT NOT NULL,
    failed           BIGINT NOT NULL,
    total_ms         BIGINT NOT NULL,
    min_ms           BIGINT NOT NULL,
    max_ms           BIGINT NOT NULL,
    PRIMARY KEY (scheduled_job_id, period, start)
);
-- Reads across jobs (the overview) take a window of periods of every job: covering indexes, so
-- that they never visit the tables.
CREATE INDEX idx_pulse_stats_period ON pulse_stats(
    period, start, scheduled_job_id, completed, failed, total_ms, min_ms, max_ms
);

CREATE TABLE pulse_stats_durations (
    scheduled_job_id TEXT NOT NULL,
    period           TEXT NOT NULL,
    start            TEXT NOT NULL,
    bucket           INTEGER NOT NULL,
    n                BIGINT NOT NULL,
    PRIMARY KEY (scheduled_job_id, period, start, bucket)
);
CREATE INDEX idx_pulse_stats_durations_period ON pulse_stats_durations(period, start, bucket, n);

-- Adds finished executions (job, status, started_at, duration_ms of each, as arrays) to the
-- roll-ups, grouped per statement and locked in key order (as the counters are: two nodes
-- ending runs of the same jobs at once then never deadlock).
CREATE FUNCTION pulse_stats_add(jobs text[], statuses text[], starts text[], durations bigint[])
RETURNS void LANGUAGE sql AS $$
    WITH f AS (
        SELECT job, status, started_at, coalesce(ms, 0) AS ms
        FROM unnest(jobs, statuses, starts, durations) AS u(job, status, started_at, ms)
    ), p AS (
        SELECT job, status, ms, 'hour' AS period,
               substr(started_at, 1, 13) || ':00:00.000Z' AS start FROM f
        UNION ALL
        SELECT job, status, ms, 'day', substr(started_at, 1, 10) || 'T00:00:00.000Z' FROM f
    ), s AS (
        INSERT INTO pulse_stats AS s
            (scheduled_job_id, period, start, completed, failed, total_ms, min_ms, max_ms)
        SELECT job, period, start, count(*) FILTER (WHERE status = 'completed'),
               count(*) FILTER (WHERE status = 'failed'), sum(ms), min(ms), max(ms)
        FROM p GROUP BY job, period, start ORDER BY job, period, start
        ON CONFLICT (scheduled_job_id, period, start) DO UPDATE SET
            completed = s.completed + EXCLUDED.completed,
            failed = s.failed + EXCLUDED.failed,
            total_ms = s.total_ms + EXCLUDED.total_ms,
            min_ms = least(s.min_ms, EXCLUDED.min_ms),
            max_ms = greatest(s.max_ms, EXCLUDED.max_ms)
    )
    INSERT INTO pulse_stats_durations AS d (scheduled_job_id, period, start, bucket, n)
    SELECT job, period, start, b, count(*)
    FROM (SELECT job, period, start,
                 CASE WHEN ms < 1 THEN 0
                      ELSE 1 + floor(ln(ms::float8) / ln(1.1::float8))::int END AS b
          FROM p) AS x
    GROUP BY job, period, start, b ORDER BY job, period, start, b
    ON CONFLICT (scheduled_job_id, period, start, bucket) DO UPDATE SET n = d.n + EXCLUDED.n;
$$;

CREATE FUNCTION pulse_stats_on_end() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pulse_stats_add(array_agg(n.scheduled_job_id), array_agg(n.status),
                            array_agg(n.started_at), array_agg(n.duration_ms))
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE o.status = 'running' AND n.status IN ('completed', 'failed')
    HAVING count(*) > 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER pulse_stats_on_end AFTER UPDATE ON pulse_executions
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION pulse_stats_on_end();

CREATE FUNCTION pulse_stats_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pulse_stats_add(array_agg(scheduled_job_id), array_agg(status),
                            array_agg(started_at), array_agg(duration_ms))
    FROM inserted WHERE status IN ('completed', 'failed')
    HAVING count(*) > 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER pulse_stats_on_insert AFTER INSERT ON pulse_executions
REFERENCING NEW TABLE AS inserted
FOR EACH STATEMENT EXECUTE FUNCTION pulse_stats_on_insert();

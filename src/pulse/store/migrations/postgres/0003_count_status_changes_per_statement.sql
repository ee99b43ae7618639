-- The ends of many runs are recorded by one statement (finish_executions). A row trigger would
-- update the counters row by row, in the order the rows happen to be updated: two nodes ending
-- runs of the same jobs could then lock each other's counters in opposite orders and deadlock,
-- and a job's counter would be rewritten once per run. Counted per statement instead, from the
-- transition tables, with the groups locked in key order, like inserts and deletes.
-- (Transition tables cannot go with a column list, so the trigger fires on every UPDATE of the
-- table; the function only counts rows whose status changed.)
DROP TRIGGER pulse_executions_count_update ON pulse_executions;
DROP FUNCTION pulse_executions_count_update();

CREATE FUNCTION pulse_executions_count_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pulse_execution_counts AS c (scheduled_job_id, status, n)
    SELECT scheduled_job_id, status, sum(delta) FROM (
        SELECT o.scheduled_job_id, o.status, -1 AS delta
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE n.status IS DISTINCT FROM o.status
        UNION ALL
        SELECT n.scheduled_job_id, n.status, 1 AS delta
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE n.status IS DISTINCT FROM o.status
    ) AS d
    GROUP BY scheduled_job_id, status
    ORDER BY scheduled_job_id, status
    ON CONFLICT (scheduled_job_id, status) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE TRIGGER pulse_executions_count_update AFTER UPDATE ON pulse_executions
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION pulse_executions_count_update();

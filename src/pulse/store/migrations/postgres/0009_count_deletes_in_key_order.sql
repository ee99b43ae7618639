-- Deletes update their counters in key order, as inserts and status changes do (0001, 0003). The
-- UPDATE ... FROM of 0001 took them in whatever order its join produced: a prune's batch, which
-- deletes runs of many jobs in one statement, could hold one job's counter while it waited for
-- another's that a node's write held, the write then waiting for the first: a deadlock, and one
-- of the two failed. (A counter is there for every job and status with executions: a delete
-- only ever adds a negative count to one.)
CREATE OR REPLACE FUNCTION pulse_executions_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pulse_execution_counts AS c (scheduled_job_id, status, n)
    SELECT scheduled_job_id, status, -count(*) FROM deleted
    GROUP BY scheduled_job_id, status
    ORDER BY scheduled_job_id, status
    ON CONFLICT (scheduled_job_id, status) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

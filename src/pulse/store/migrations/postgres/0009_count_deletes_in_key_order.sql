-- Deletes lock their counters in key order, as inserts and status changes do (0001, 0003). The
-- UPDATE ... FROM of 0001 took them in whatever order its join produced: a prune's batch, which
-- deletes runs of many jobs in one statement, could hold one job's counter while it waited for
-- another's that a node's write held, the write then waiting for the first: a deadlock, and one
-- of the two failed. The counters are now locked first, sorted, then updated.
CREATE OR REPLACE FUNCTION pulse_executions_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM pulse_execution_counts AS c
    WHERE (c.scheduled_job_id, c.status) IN (SELECT scheduled_job_id, status FROM deleted)
    ORDER BY c.scheduled_job_id, c.status
    FOR UPDATE OF c;
    UPDATE pulse_execution_counts AS c SET n = c.n - d.n
    FROM (
        SELECT scheduled_job_id, status, count(*) AS n FROM deleted
        GROUP BY scheduled_job_id, status
    ) AS d
    WHERE c.scheduled_job_id = d.scheduled_job_id AND c.status = d.status;
    RETURN NULL;
END
$$;

-- Searching executions across jobs (pulse.store.search composes these): one statement, newest
-- first, from the base below and one condition per filter given. {columns} is every column of
-- an execution but the log and the search vector; {where} the conditions, joined by AND.

-- name: search_executions
-- A backward range of the index that fits the conditions, from the position (see the SQLite
-- twin). One row more than the page says whether another page follows.
SELECT {columns}
FROM pulse_executions
WHERE {where}
ORDER BY started_at DESC, id DESC
LIMIT %(limit)s;

-- name: job
scheduled_job_id = %(job_id)s

-- name: status
status = %(status)s

-- name: trigger
trigger = %(trigger)s

-- name: rare_trigger
-- The partial index idx_pulse_executions_trigger_started holds these triggers only; saying so
-- lets any plan use it, whatever the parameter's value.
trigger = %(trigger)s AND trigger <> 'schedule'

-- name: node
node_id = %(node_id)s

-- name: started_after
started_at >= %(started_after)s

-- name: started_before
started_at < %(started_before)s

-- name: after
-- The keyset: what comes after the last row of the previous page in the order above.
(started_at, id) < (%(after_started_at)s, %(after_id)s)

-- name: recent_matches
-- Words, first (pulse.store.search.postgres_rows): the history after the position is walked
-- newest first, testing each row, up to the window parameter's count of rows (the run condition
-- on row_number stops the walk there) or until a page of matches is found (the LIMIT). Returns
-- the matches, and the window's last row, match or not, when the walk got that far: without it,
-- the walk reached the end of the filtered history. The words parameter is a tsquery of quoted
-- words (pulse.store.search.tsquery), never user syntax.
SELECT *
FROM (
    SELECT {columns}, search @@ to_tsquery('simple', %(words)s) AS hit,
           row_number() OVER (ORDER BY started_at DESC, id DESC) AS walked
    FROM pulse_executions
    WHERE {where}
    ORDER BY started_at DESC, id DESC
) AS walk
WHERE walked <= %(window)s AND (hit OR walked = %(window)s)
LIMIT %(limit)s + 1;

-- name: matches
-- Rare words: every match from the GIN index of the search column (the fence keeps the
-- planner from walking the history instead), then the newest.
WITH matches AS MATERIALIZED (
    SELECT {columns}
    FROM pulse_executions
    WHERE {where}
      AND search @@ to_tsquery('simple', %(words)s)
)
SELECT {columns}
FROM matches
ORDER BY started_at DESC, id DESC
LIMIT %(limit)s;

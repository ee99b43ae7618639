-- Searching executions across jobs (pulse.store.search composes these): one statement, newest
-- first, from the base below and one condition per filter given. {columns} is every column of
-- an execution but the log; {where} the conditions, joined by AND.

-- name: search_executions
-- The index that fits the conditions is read backwards from the position: idx_pulse_executions_
-- started, _job_started, _job_status_started, _status_started, _node_started or
-- _trigger_started. One row more than the page says whether another page follows.
SELECT {columns}
FROM pulse_executions
WHERE {where}
ORDER BY started_at DESC, id DESC
LIMIT :limit;

-- name: job
scheduled_job_id = :job_id

-- name: status
status = :status

-- name: trigger
trigger = :trigger

-- name: rare_trigger
-- The partial index idx_pulse_executions_trigger_started holds these triggers only; the
-- planner uses it when the query says so.
trigger = :trigger AND trigger <> 'schedule'

-- name: node
node_id = :node_id

-- name: started_after
started_at >= :started_after

-- name: started_before
started_at < :started_before

-- name: after
-- The keyset: what comes after the last row of the previous page in the order above.
(started_at, id) < (:after_started_at, :after_id)

-- name: matches
-- The rowids of the executions the words match, no more than :cap of them. :words is an FTS5
-- query of quoted words (pulse.store.search.fts5_query), never user syntax.
SELECT rowid FROM pulse_executions_fts WHERE pulse_executions_fts MATCH :words LIMIT :cap;

-- name: among_matches
-- Rare words (pulse.store.search.sqlite_rows): their executions by rowid (:rowids, a JSON array
-- of every match), then sorted.
rowid IN (SELECT value FROM json_each(:rowids))

-- name: common_words
-- Common words (pulse.store.search.sqlite_rows): "+" keeps the planner from driving the search by
-- rowid, so it walks the history's index newest first and tests each entry against the set of
-- matches (built once), before reading the row.
+rowid IN (SELECT rowid FROM pulse_executions_fts WHERE pulse_executions_fts MATCH :words)

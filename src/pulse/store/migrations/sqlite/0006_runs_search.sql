-- Every run across jobs (pulse.search): newest first, filtered, and searched by the words of its
-- error message and result summary.
--
-- A page is an index range read backwards from its position (started_at, id), whatever the
-- filter: the history of all jobs by (started_at, id), and by node, and by the triggers other
-- than 'schedule'. (By job and by status the indexes of 0002 and 0005 serve already.)
--
-- idx_pulse_executions_started becomes (started_at, id): the same cost on writes, and a page
-- that ends among executions started in the same millisecond continues in the index instead of
-- sorting them.
DROP INDEX idx_pulse_executions_started;
CREATE INDEX idx_pulse_executions_started ON pulse_executions(started_at, id);
-- Node ids change at every restart (host:pid): without this index, the runs of a node long gone
-- would be found by walking every run since.
CREATE INDEX idx_pulse_executions_node_started ON pulse_executions(node_id, started_at, id);
-- Most runs are scheduled: a filter on 'schedule' walks idx_pulse_executions_started and finds
-- a page at once, so only the rarer triggers (manual, rerun, retry) are indexed, and scheduled
-- runs cost this index nothing. Queries name the condition so the planner may use it.
CREATE INDEX idx_pulse_executions_trigger_started ON pulse_executions(trigger, started_at, id)
    WHERE trigger <> 'schedule';

-- The full-text index of error messages and result summaries: an external-content FTS5 table
-- (it stores the index, not a copy of the text), keyed by the executions' rowid and kept by the
-- triggers below in the transaction of each write. Tokens are runs of letters and digits,
-- lower-cased, accents kept, as PostgreSQL's search column makes them (see its 0006), so that a
-- search matches the same executions on both backends.
--
-- Executions with neither text (running ones) are not in the index: a run costs it nothing until
-- it ends. Each trigger adds or removes a row under that same condition, as FTS5 requires of an
-- external-content table (a removal must name exactly what was added).
--
-- The index follows the rowids of pulse_executions. VACUUM keeps them (it copies the table as it
-- is), and Pulse only ever runs an incremental vacuum; a tool that rewrote the table with new
-- rowids would need INSERT INTO pulse_executions_fts(pulse_executions_fts) VALUES ('rebuild').
CREATE VIRTUAL TABLE pulse_executions_fts USING fts5(
    error_message, result_summary,
    content = 'pulse_executions', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 0'
);

INSERT INTO pulse_executions_fts (rowid, error_message, result_summary)
SELECT rowid, error_message, result_summary FROM pulse_executions
WHERE error_message IS NOT NULL OR result_summary IS NOT NULL;

CREATE TRIGGER pulse_executions_fts_insert AFTER INSERT ON pulse_executions
WHEN NEW.error_message IS NOT NULL OR NEW.result_summary IS NOT NULL BEGIN
    INSERT INTO pulse_executions_fts (rowid, error_message, result_summary)
    VALUES (NEW.rowid, NEW.error_message, NEW.result_summary);
END;

CREATE TRIGGER pulse_executions_fts_update AFTER UPDATE OF error_message, result_summary
ON pulse_executions BEGIN
    INSERT INTO pulse_executions_fts (pulse_executions_fts, rowid, error_message, result_summary)
    SELECT 'delete', OLD.rowid, OLD.error_message, OLD.result_summary
    WHERE OLD.error_message IS NOT NULL OR OLD.result_summary IS NOT NULL;
    INSERT INTO pulse_executions_fts (rowid, error_message, result_summary)
    SELECT NEW.rowid, NEW.error_message, NEW.result_summary
    WHERE NEW.error_message IS NOT NULL OR NEW.result_summary IS NOT NULL;
END;

-- Retention's prunes and job deletions.
CREATE TRIGGER pulse_executions_fts_delete AFTER DELETE ON pulse_executions
WHEN OLD.error_message IS NOT NULL OR OLD.result_summary IS NOT NULL BEGIN
    INSERT INTO pulse_executions_fts (pulse_executions_fts, rowid, error_message, result_summary)
    VALUES ('delete', OLD.rowid, OLD.error_message, OLD.result_summary);
END;

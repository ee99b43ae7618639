-- Every run across jobs (pulse.search): as the SQLite migration of the same number, with the
-- full-text index as a search column.
DROP INDEX idx_pulse_executions_started;
CREATE INDEX idx_pulse_executions_started ON pulse_executions(started_at, id);
CREATE INDEX idx_pulse_executions_node_started ON pulse_executions(node_id, started_at, id);
CREATE INDEX idx_pulse_executions_trigger_started ON pulse_executions(trigger, started_at, id)
    WHERE trigger <> 'schedule';

-- The words of an execution's error message and result summary, as SQLite's FTS5 tokenizer
-- (unicode61, accents kept) makes them: runs of letters and digits, lower-cased. The 'simple'
-- configuration lower-cases and has no stop words and no stemming; ASCII punctuation becomes a
-- space first, or the default parser would keep "connection-refused", "/var/log/app.log" or
-- "db.example.com" whole (as one hyphenated word, a path, a host) where FTS5 sees their words.
-- translate() and not a regular expression class such as [^[:alnum:]]: what a class holds
-- beyond ASCII depends on the database's locale.
CREATE FUNCTION pulse_search_vector(error_message text, result_summary text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsvector('simple'::regconfig, translate(
        coalesce(error_message, '') || ' ' || coalesce(result_summary, ''),
        '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~',
        repeat(' ', 32)
    ))
$$;

-- Stored, not computed in an expression index: a search for a common word is best served by
-- walking idx_pulse_executions_started and testing each row's vector, which then costs a read,
-- not a parse of both texts. Rewrites the table once (filling the column for existing rows).
ALTER TABLE pulse_executions ADD COLUMN search tsvector
    GENERATED ALWAYS AS (pulse_search_vector(error_message, result_summary)) STORED;
CREATE INDEX idx_pulse_executions_search ON pulse_executions USING gin (search);

-- Log chunks by time, for pruning (PostgreSQL only). Chunks are appended as runs go, so the
-- chunks of neighbouring runs lie on neighbouring pages; a prune walks the history oldest first
-- and finds the chunks of a batch's runs by their time on this index (some tens of kilobytes per
-- gigabyte of logs, and next to nothing per insert) instead of one primary-key lookup per run.
-- Ranges of 16 pages (128 KiB): a batch of a few thousand runs reads little past its own chunks.
-- New page ranges are summarized as they fill (autosummarize, when autovacuum runs) and by the
-- prune itself before it starts (brin_summarize_new_values).
CREATE INDEX idx_pulse_execution_logs_ts ON pulse_execution_logs USING brin (ts)
    WITH (pages_per_range = 16, autosummarize = on);

/** The Runs page's filters: each change is a new URL (so back and forward step through them). */
import { useEffect, useState } from "preact/hooks";
import type { Job } from "../api/jobs";
import { type RunsFilter, STATUSES, TRIGGERS } from "../lib/runsFilter";
import { TRIGGER_WORDS } from "./ExecutionList";

interface Props {
  filter: RunsFilter;
  jobs: Job[];
  onChange: (next: RunsFilter) => void;
}

function without<K extends keyof RunsFilter>(f: RunsFilter, key: K, value: RunsFilter[K] | ""): RunsFilter {
  const next = { ...f };
  if (value === "" || value === undefined) delete next[key];
  else next[key] = value;
  return next;
}

/** A text filter applied when the user commits it (Enter, or leaving the field), not per key. */
function useDraft(value: string | undefined): [string, (v: string) => void] {
  const [draft, setDraft] = useState(value ?? "");
  useEffect(() => setDraft(value ?? ""), [value]);
  return [draft, setDraft];
}

export function RunsFilters({ filter, jobs, onChange }: Props) {
  const [q, setQ] = useDraft(filter.q);
  const [node, setNode] = useDraft(filter.node);
  const set = <K extends keyof RunsFilter>(key: K, value: RunsFilter[K] | "") => onChange(without(filter, key, value));
  const knownJob = !filter.jobId || jobs.some((j) => j.id === filter.jobId);
  return (
    <form
      class="runs-filters"
      role="search"
      aria-label="Filter runs"
      onSubmit={(e) => {
        e.preventDefault();
        onChange(without(without(filter, "q", q.trim()), "node", node.trim()));
      }}
    >
      <div class="field runs-filter-q">
        <label for="runs-q">Search errors and results</label>
        <input
          id="runs-q"
          type="search"
          value={q}
          placeholder="e.g. connection refused"
          onInput={(e) => setQ(e.currentTarget.value)}
          onChange={(e) => set("q", e.currentTarget.value.trim())}
        />
      </div>
      <div class="field">
        <label for="runs-status">Status</label>
        <select id="runs-status" value={filter.status ?? ""} onChange={(e) => set("status", e.currentTarget.value as RunsFilter["status"] | "")}>
          <option value="">Any status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="runs-job">Job</label>
        <select id="runs-job" value={filter.jobId ?? ""} onChange={(e) => set("jobId", e.currentTarget.value)}>
          <option value="">Every job</option>
          {!knownJob && <option value={filter.jobId}>{filter.jobId}</option>}
          {jobs.map((j) => (
            <option key={j.id} value={j.id}>
              {j.name}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="runs-trigger">Trigger</label>
        <select id="runs-trigger" value={filter.trigger ?? ""} onChange={(e) => set("trigger", e.currentTarget.value as RunsFilter["trigger"] | "")}>
          <option value="">Any trigger</option>
          {TRIGGERS.map((t) => (
            <option key={t} value={t}>
              {TRIGGER_WORDS[t]}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="runs-node">Node</label>
        <input
          id="runs-node"
          type="text"
          class="mono"
          value={node}
          autoComplete="off"
          spellcheck={false}
          onInput={(e) => setNode(e.currentTarget.value)}
          onChange={(e) => set("node", e.currentTarget.value.trim())}
        />
      </div>
      <div class="field">
        <label for="runs-from">Started from</label>
        <input id="runs-from" type="date" value={filter.from ?? ""} max={filter.to} onChange={(e) => set("from", e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="runs-to">Started until</label>
        <input id="runs-to" type="date" value={filter.to ?? ""} min={filter.from} onChange={(e) => set("to", e.currentTarget.value)} />
      </div>
      <div class="runs-filter-buttons">
        <button type="submit" class="btn btn--primary">
          Search
        </button>
      </div>
    </form>
  );
}
